"""The port for nearest-neighbour search over product vectors."""

from typing import Protocol

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


class VectorIndex(Protocol):
    """An immutable set of (product key, vector) pairs searchable by cosine similarity."""

    @property
    def version(self) -> int: ...

    @property
    def size(self) -> int: ...

    def nearest(self, vector: Vector, count: int) -> list[tuple[int, float]]:
        """Up to ``count`` (product key, cosine similarity) pairs, most similar first."""
        ...
