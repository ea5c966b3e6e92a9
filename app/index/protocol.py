"""The port for nearest-neighbour search over product vectors."""

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
    def of(cls, keys: list[int], found: dict[int, Vector]) -> "AlignedVectors":
        """From vectors by key (``keys`` without one get a row of zeros)."""
        dimension = len(next(iter(found.values()))) if found else 0
        matrix = np.zeros((len(keys), dimension), np.float32)
        present = np.zeros(len(keys), bool)
        for i, key in enumerate(keys):
            vector = found.get(key)
            if vector is not None:
                matrix[i], present[i] = vector, True
        return cls(np.asarray(keys, np.int64), matrix, present)


class VectorIndex(Protocol):
    """An immutable set of (product key, vector) pairs searchable by cosine similarity."""

    @property
    def version(self) -> int: ...

    @property
    def size(self) -> int: ...

    def nearest(self, vector: Vector, count: int) -> list[tuple[int, float]]:
        """Up to ``count`` (product key, cosine similarity) pairs, most similar first."""
        ...
