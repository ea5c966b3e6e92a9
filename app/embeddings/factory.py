"""Choose the embedding backend named by the settings."""

from collections.abc import Callable

from app.embeddings.protocol import Embedder
from app.settings import Settings

BACKENDS = ("torch", "onnx", "onnx-int8")


def build_embedder(settings: Settings) -> Embedder:
    """The configured backend; the ONNX ones export under the data folder on first use."""
    if settings.embedding_backend == "torch":
        from app.embeddings.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)
    from app.embeddings.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(
        settings.embedding_model,
        settings.embedding_batch_size,
        settings.data_dir / "models",
        quantized=settings.embedding_backend == "onnx-int8",
    )


def embedder_factory(settings: Settings) -> Callable[[], Embedder]:
    """A loader for composition roots that load the model lazily."""
    return lambda: build_embedder(settings)
