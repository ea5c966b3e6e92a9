"""Per-process view of the current index of each shop.

Servers never build: they watch the ``CURRENT`` pointer and memory-map a new version as
soon as it appears, so a rebuild reaches every process without a restart."""

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from app.index.annoy_index import AnnoyVectorIndex
from app.index.files import IndexPointer, index_folder, read_pointer


@dataclass(frozen=True)
class ServedIndex:
    index: AnnoyVectorIndex
    snapshot_at: datetime
    keys: frozenset[int]


class IndexRegistry:
    """Hands out the current index per (shop, model), re-checking the pointer now and then."""

    def __init__(self, index_dir: Path, search_k: int = -1, check_interval: float = 0.25) -> None:
        self._index_dir = index_dir
        self._search_k = search_k
        self._check_interval = check_interval
        self._served: dict[tuple[int, str], ServedIndex] = {}
        self._checked_at: dict[tuple[int, str], float] = {}
        self._lock = threading.Lock()

    def current(self, shop_id: int, model_name: str) -> ServedIndex | None:
        key = (shop_id, model_name)
        now = time.monotonic()
        if now - self._checked_at.get(key, -1e9) >= self._check_interval:
            self._checked_at[key] = now
            self._refresh(key)
        return self._served.get(key)

    def _refresh(self, key: tuple[int, str]) -> None:
        folder = index_folder(self._index_dir, *key)
        pointer = read_pointer(folder)
        served = self._served.get(key)
        if pointer is None or (served is not None and served.index.version == pointer.version):
            return
        with self._lock:
            self._served[key] = self._load(folder, pointer)

    def _load(self, folder: Path, pointer: IndexPointer) -> ServedIndex:
        keys = np.load(folder / pointer.keys_file)
        # Memory-mapped, read through plain arrays: indexing a ``np.memmap`` costs about
        # 1.8 µs more a lookup (its subclass hooks), and a request makes dozens.
        vectors = (np.load(folder / pointer.vectors_file, mmap_mode="r").view(np.ndarray)
                   if pointer.vectors_file and len(keys) else None)
        neighbours = (np.load(folder / pointer.neighbours_file, mmap_mode="r").view(np.ndarray)
                      if pointer.neighbours_file and pointer.neighbours_search_k == self._search_k
                      and len(keys) else None)
        index = AnnoyVectorIndex(
            folder / pointer.file_name, keys, pointer.dimension, pointer.version, self._search_k,
            vectors, neighbours)
        return ServedIndex(index, pointer.snapshot_at, frozenset(int(k) for k in keys))

    def recheck(self, shop_id: int) -> None:
        """Look at the shop's pointers on the next lookup (a new version was announced)."""
        for key in [k for k in self._checked_at if k[0] == shop_id]:
            self._checked_at.pop(key, None)

    def forget(self, shop_id: int) -> None:
        """Drop a shop's indexes from memory (the shop was removed)."""
        with self._lock:
            for key in [k for k in self._served if k[0] == shop_id]:
                del self._served[key]
