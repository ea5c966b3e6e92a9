"""Annoy adapter: build an index file, and memory-map one for queries."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
from annoy import AnnoyIndex

from app.index.protocol import AlignedVectors, Vector
from app.process.lru import Lru

# The neighbours of the items asked most recently: a product page's, a cart's anchors. About
# 600 bytes an item (positions and similarities as 32-bit arrays): 12 MB when full.
AROUND_ITEMS = 20_000
AROUND_COUNT = 64
# A precomputed row: the AROUND_COUNT nearest items of one item, best first; item -1 pads a
# row that Annoy answered with fewer.
NEIGHBOURS = np.dtype([("item", np.int32), ("similarity", np.float32)])


def build_annoy_file(
    path: Path, vectors: npt.NDArray[np.float32], trees: int, seed: int = 42
) -> None:
    """Write ``vectors`` (row i = item i) to a new Annoy file at ``path``."""
    dimension = int(vectors.shape[1])
    index = AnnoyIndex(dimension, "angular")
    index.set_seed(seed)
    index.on_disk_build(str(path))
    for item, vector in enumerate(vectors):
        index.add_item(item, vector.tolist())
    index.build(trees, n_jobs=1)
    index.unload()


def cosines_of(distances: list[float]) -> npt.NDArray[np.float32]:
    """Cosine similarities of Annoy's angular distances, sqrt(2 - 2 cos) for normalized
    vectors."""
    d = np.asarray(distances, np.float64)
    return (1.0 - d * d / 2.0).astype(np.float32)


def neighbour_lists(path: Path, dimension: int, search_k: int,
                    threads: int | None = None) -> npt.NDArray[np.void]:
    """Every item's ``AROUND_COUNT`` nearest items in the Annoy file at ``path``, as the
    served index answers them at ``search_k`` (one ``NEIGHBOURS`` row per item). Annoy
    answers without the GIL, so ``threads`` (default: one per core) share the items."""
    index = AnnoyIndex(dimension, "angular")
    index.load(str(path), prefault=True)
    count = index.get_n_items()
    rows = np.zeros((count, AROUND_COUNT), NEIGHBOURS)
    rows["item"] = -1

    def fill(items: range) -> None:
        for item in items:
            found, distances = index.get_nns_by_item(
                item, AROUND_COUNT, search_k=search_k, include_distances=True)
            rows["item"][item, : len(found)] = found
            rows["similarity"][item, : len(found)] = cosines_of(distances)

    workers = max(1, threads or os.cpu_count() or 1)
    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(fill, [range(w, count, workers) for w in range(workers)]))
    finally:
        index.unload()
    return rows


class AnnoyVectorIndex:
    """A memory-mapped Annoy file; items are positions in ``keys``."""

    def __init__(
        self, path: Path, keys: npt.NDArray[np.int64], dimension: int, version: int, search_k: int,
        vectors: npt.NDArray[np.float32] | None = None,
        neighbours: npt.NDArray[np.void] | None = None,
    ) -> None:
        """``vectors``: the same vectors as a (memory-mapped) matrix, row i = item i; without
        it, lookups by key read them back from the Annoy file (slower). ``neighbours``: the
        ``neighbour_lists`` of this file at this ``search_k``; without them, each item's
        neighbours are asked of Annoy on first use."""
        self._index = AnnoyIndex(dimension, "angular")
        self._dimension = dimension
        self._vectors = vectors
        self._neighbours = neighbours
        # item key -> (count asked, neighbour positions, similarities): 32-bit arrays, a
        # few hundred bytes an item where a list of tuples takes kilobytes.
        self._around: Lru[int, tuple[int, npt.NDArray[np.int32], npt.NDArray[np.float32]]] = (
            Lru(AROUND_ITEMS))
        if len(keys):
            self._index.load(str(path), prefault=False)
        self._keys = keys
        self._version = version
        self._search_k = search_k

    @property
    def version(self) -> int:
        return self._version

    @property
    def has_neighbour_lists(self) -> bool:
        """Whether items' neighbours come from lists precomputed at build time."""
        return self._neighbours is not None

    @property
    def size(self) -> int:
        return len(self._keys)

    def vector(self, key: int) -> Vector | None:
        """The stored vector of product ``key`` (keys are written in ascending order)."""
        return self.vectors([key]).get(key)

    def vectors(self, keys: list[int]) -> dict[int, Vector]:
        """The stored vectors of those of ``keys`` in the index (one array for all)."""
        return self.aligned(keys).by_key()

    def aligned(self, keys: list[int]) -> AlignedVectors:
        """The stored vectors of ``keys``, row by row in their order (zeros for keys that
        are not in the index)."""
        if not keys or not len(self._keys):
            return AlignedVectors(np.asarray(keys, np.int64),
                                  np.zeros((len(keys), self._dimension), np.float32),
                                  np.zeros(len(keys), bool))
        wanted = np.asarray(keys, dtype=np.int64)
        positions = np.minimum(np.searchsorted(self._keys, wanted), len(self._keys) - 1)
        present = self._keys[positions] == wanted
        if self._vectors is not None:
            matrix = np.array(self._vectors[positions], np.float32)
        else:
            matrix = np.array([self._index.get_item_vector(p) for p in positions.tolist()],
                              np.float32).reshape(len(keys), self._dimension)
        matrix[~present] = 0.0
        return AlignedVectors(wanted, matrix, present)

    def nearest(self, vector: Vector, count: int) -> list[tuple[int, float]]:
        items, similarities = self._nearest_items(vector, count)
        return list(zip(self._keys[items].tolist(), similarities.tolist(), strict=True))

    def _nearest_items(self, vector: Vector, count: int) -> tuple[npt.NDArray[np.int32],
                                                                  npt.NDArray[np.float32]]:
        """Positions of the nearest items and their cosine similarities, best first."""
        if not len(self._keys) or count <= 0:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        items, distances = self._index.get_nns_by_vector(
            vector.tolist(), count, search_k=self._search_k, include_distances=True
        )
        return np.asarray(items, np.int32), cosines_of(distances)

    def nearest_to_item(self, key: int, vector: Vector, count: int) -> list[tuple[int, float]]:
        """``nearest(vector, count)`` where ``vector`` is the stored vector of item ``key``:
        an immutable answer, read from the lists precomputed at build time, or asked of
        Annoy and kept for the most recently asked items (a product page's neighbours are
        asked again and again). With a fixed ``search_k`` the best ``n`` of a longer answer
        are the answer for ``n``."""
        kept = self._around.get(key)
        if kept is None and count <= AROUND_COUNT:
            kept = self._precomputed(key)
        if kept is None or (count > kept[0] and len(kept[1]) >= kept[0]):  # too few, not all
            asked = max(count, AROUND_COUNT)
            kept = (asked, *self._nearest_items(vector, asked))
            self._around.put(key, kept)
        items, similarities = kept[1][:count], kept[2][:count]
        return list(zip(self._keys[items].tolist(), similarities.tolist(), strict=True))

    def _precomputed(
        self, key: int
    ) -> tuple[int, npt.NDArray[np.int32], npt.NDArray[np.float32]] | None:
        """Item ``key``'s precomputed neighbours, in the shape of an ``_around`` entry."""
        if self._neighbours is None or not len(self._keys):
            return None
        position = int(np.searchsorted(self._keys, key))
        if position >= len(self._keys) or self._keys[position] != key:
            return None
        row = self._neighbours[position]
        found = row["item"] >= 0
        return AROUND_COUNT, row["item"][found], row["similarity"][found]

    def close(self) -> None:
        self._index.unload()
