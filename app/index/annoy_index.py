"""Annoy adapter: build an index file, and memory-map one for queries."""

from pathlib import Path

import numpy as np
import numpy.typing as npt
from annoy import AnnoyIndex

from app.index.protocol import Vector
from app.lru import Lru

AROUND_ITEMS = 5000
AROUND_COUNT = 64


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


class AnnoyVectorIndex:
    """A memory-mapped Annoy file; items are positions in ``keys``."""

    def __init__(
        self, path: Path, keys: npt.NDArray[np.int64], dimension: int, version: int, search_k: int,
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> None:
        """``vectors``: the same vectors as a (memory-mapped) matrix, row i = item i; without
        it, lookups by key read them back from the Annoy file (slower)."""
        self._index = AnnoyIndex(dimension, "angular")
        self._vectors = vectors
        # item key -> (count asked, neighbour keys, similarities): arrays, a few hundred
        # bytes an item where a list of tuples takes kilobytes.
        self._around: Lru[int, tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float64]]] = (
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
    def size(self) -> int:
        return len(self._keys)

    def vector(self, key: int) -> Vector | None:
        """The stored vector of product ``key`` (keys are written in ascending order)."""
        return self.vectors([key]).get(key)

    def vectors(self, keys: list[int]) -> dict[int, Vector]:
        """The stored vectors of those of ``keys`` in the index (one array for all)."""
        if not keys or not len(self._keys):
            return {}
        wanted = np.asarray(keys, dtype=np.int64)
        positions = np.minimum(np.searchsorted(self._keys, wanted), len(self._keys) - 1)
        present = self._keys[positions] == wanted
        found = [(int(k), int(p)) for k, p, ok in zip(wanted, positions, present, strict=True)
                 if ok]
        if not found:
            return {}
        if self._vectors is not None:
            matrix = np.asarray(self._vectors[[p for _, p in found]])
        else:
            matrix = np.array([self._index.get_item_vector(p) for _, p in found], np.float32)
        return {key: matrix[i] for i, (key, _) in enumerate(found)}

    def nearest(self, vector: Vector, count: int) -> list[tuple[int, float]]:
        if not len(self._keys) or count <= 0:
            return []
        items, distances = self._index.get_nns_by_vector(
            vector.tolist(), count, search_k=self._search_k, include_distances=True
        )
        # Annoy's angular distance is sqrt(2 - 2 cos) for normalized vectors.
        return [
            (int(self._keys[i]), 1.0 - (d * d) / 2.0)
            for i, d in zip(items, distances, strict=True)
        ]

    def nearest_to_item(self, key: int, vector: Vector, count: int) -> list[tuple[int, float]]:
        """``nearest(vector, count)`` where ``vector`` is the stored vector of item ``key``:
        an immutable answer, kept for the most recently asked items (a product page's
        neighbours are asked again and again). With a fixed ``search_k`` the best ``n`` of a
        longer answer are the answer for ``n``."""
        kept = self._around.get(key)
        if kept is not None and (count <= kept[0] or len(kept[1]) < kept[0]):  # enough, or all
            return list(zip(kept[1][:count].tolist(), kept[2][:count].tolist(), strict=True))
        asked = max(count, AROUND_COUNT)
        found = self.nearest(vector, asked)
        self._around.put(key, (asked, np.asarray([k for k, _ in found], np.int64),
                               np.asarray([s for _, s in found], np.float64)))
        return found[:count]

    def close(self) -> None:
        self._index.unload()
