"""The port for nearest-neighbour search over product vectors."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class AlignedVectors:
    """The vectors of a list of products (``keys``) as one matrix: row ``i`` is product
    ``keys[i]``'s, zeros where ``present[i]`` says it has none."""

    keys: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.float32]
    present: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, keys: list[int], found: Mapping[int, Vector]) -> "AlignedVectors":
        """From vectors by key (``keys`` without one get a row of zeros)."""
        dimension = len(next(iter(found.values()))) if found else 0
        aligned = cls(np.asarray(keys, np.int64), np.zeros((len(keys), dimension), np.float32),
                      np.zeros(len(keys), bool))
        aligned.fill(found)
        return aligned

    def fill(self, found: Mapping[int, Vector]) -> None:
        """Put the vectors of ``found`` in their keys' rows (replacing what they held)."""
        if found:
            for i, key in enumerate(self.keys.tolist()):
                vector = found.get(key)
                if vector is not None:
                    self.matrix[i], self.present[i] = vector, True

    def by_key(self) -> dict[int, Vector]:
        """The vectors there are, by key."""
        return dict(zip(self.keys[self.present].tolist(), self.matrix[self.present],
                        strict=True))


class VectorIndex(Protocol):
    """An immutable set of (product key, vector) pairs searchable by cosine similarity."""

    @property
    def version(self) -> int: ...

    @property
    def size(self) -> int: ...

    def nearest(self, vector: Vector, count: int) -> list[tuple[int, float]]:
        """Up to ``count`` (product key, cosine similarity) pairs, most similar first."""
        ...
