"""One embedding model per process, loaded on first use and shared by its users."""

import threading
from collections.abc import Callable

from app.embeddings.protocol import Embedder
from app.process.heap import settle


class LazyEmbedder:
    def __init__(self, factory: Callable[[], Embedder]) -> None:
        self._factory = factory
        self._model: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def get(self) -> Embedder:
        """The model (blocking: call it from a worker thread on the request path)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._factory()
                    settle()
        return self._model
