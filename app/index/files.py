"""Index files on disk: one folder per shop and model, a ``CURRENT`` pointer swapped
atomically with ``os.replace`` so readers see either the old or the new version.

Files are the owner's only (0600 in 0700 folders), and only the current version and the
one before it stay on disk (a server may still have the previous one mapped)."""

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from app.crypto.file_modes import PRIVATE_FILE, private_file, private_folder

POINTER = "CURRENT"
KEEP_VERSIONS = 2


@dataclass(frozen=True)
class IndexPointer:
    version: int
    file_name: str
    keys_file: str
    dimension: int
    item_count: int
    snapshot_at: datetime
    vectors_file: str | None = None
    """The indexed vectors as an ``.npy`` matrix, memory-mapped for lookups by key
    (absent in versions written before it existed)."""
    neighbours_file: str | None = None
    """Each item's nearest items, precomputed at build time (``annoy_index.NEIGHBOURS``
    rows, memory-mapped); absent in versions written before it existed."""
    neighbours_search_k: int | None = None
    """The ``search_k`` the precomputed lists were found with: a server with another
    setting queries Annoy itself, so that its answers follow its own setting."""


def shop_index_folder(index_dir: Path, shop_id: int) -> Path:
    """Every index of the shop, one subfolder per model."""
    return index_dir / f"shop-{shop_id}"


def index_folder(index_dir: Path, shop_id: int, model_name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name).strip("_") or "model"
    return shop_index_folder(index_dir, shop_id) / slug


def read_pointer(folder: Path) -> IndexPointer | None:
    try:
        raw = json.loads((folder / POINTER).read_text())
    except FileNotFoundError:
        return None
    return IndexPointer(
        version=int(raw["version"]),
        file_name=str(raw["file_name"]),
        keys_file=str(raw["keys_file"]),
        dimension=int(raw["dimension"]),
        item_count=int(raw["item_count"]),
        snapshot_at=datetime.fromisoformat(raw["snapshot_at"]),
        vectors_file=raw.get("vectors_file"),
        neighbours_file=raw.get("neighbours_file"),
        neighbours_search_k=raw.get("neighbours_search_k"),
    )


def write_pointer(folder: Path, pointer: IndexPointer) -> None:
    payload = {
        "version": pointer.version,
        "file_name": pointer.file_name,
        "keys_file": pointer.keys_file,
        "dimension": pointer.dimension,
        "item_count": pointer.item_count,
        "snapshot_at": pointer.snapshot_at.isoformat(),
        "vectors_file": pointer.vectors_file,
        "neighbours_file": pointer.neighbours_file,
        "neighbours_search_k": pointer.neighbours_search_k,
    }
    _make_private(folder, pointer)
    temporary = folder / f".{POINTER}.{os.getpid()}.tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE),
              "w") as handle:
        json.dump(payload, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / POINTER)
    _fsync_dir(folder)


def _make_private(folder: Path, pointer: IndexPointer) -> None:
    """The version's files 0600, its folder, the shop's and the index root 0700."""
    names = (pointer.file_name, pointer.keys_file, pointer.vectors_file, pointer.neighbours_file)
    for name in names:
        if name:
            private_file(folder / name)
    for enclosing in (folder, folder.parent, folder.parent.parent):
        private_folder(enclosing)


def save_array(path: Path, array: np.ndarray) -> None:
    """An ``.npy`` file, on disk before the pointer can name it."""
    with open(path, "wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def prune_old_versions(folder: Path, current_version: int) -> None:
    """Delete files of versions older than the last few (open mmaps stay valid on POSIX)."""
    for path in folder.glob("v*.*"):
        match = re.match(r"v(\d+)\.", path.name)
        if match and int(match.group(1)) <= current_version - KEEP_VERSIONS:
            path.unlink(missing_ok=True)
