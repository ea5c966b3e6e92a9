"""Fakes for unit tests: a deterministic embedder."""

import hashlib
import re

import numpy as np

from app.embeddings.protocol import Vectors


class HashingEmbedder:
    """Bag of words hashed into a fixed number of dimensions, L2-normalized.

    Texts that share words get similar vectors, which is all unit tests need."""

    def __init__(self, dimension: int = 64, model_name: str = "fake-hashing") -> None:
        self._dimension = dimension
        self._name = model_name
        self.calls: list[list[str]] = []

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: list[str]) -> Vectors:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                slot = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self._dimension
                out[row, slot] += 1.0
            norm = float(np.linalg.norm(out[row])) or 1.0
            out[row] /= norm
        return out

    @property
    def texts_embedded(self) -> int:
        return sum(len(c) for c in self.calls)
