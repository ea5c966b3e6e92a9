"""The best rows of a score vector."""

import numpy as np
import numpy.typing as npt


def top_rows(scores: npt.NDArray[np.float32], count: int) -> list[int]:
    """Indices of the ``count`` highest scores, best first."""
    if count <= 0 or not scores.size:
        return []
    count = min(count, scores.size)
    part = np.argpartition(-scores, count - 1)[:count]
    return [int(i) for i in part[np.argsort(-scores[part])]]
