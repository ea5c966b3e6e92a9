"""Choose the embedding backend named by the settings."""

from collections.abc import Callable

from app.embeddings.protocol import Embedder
from app.settings import Settings

BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")


def build_embedder(settings: Settings) -> Embedder:
    """The configured backend; the others than torch export to ONNX under the data folder on
    first use."""
    if settings.embedding_backend == "torch":
        from app.embeddings.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)
    if settings.embedding_backend == "openvino":
        from app.embeddings.openvino_backend import OpenVinoEmbedder

        return OpenVinoEmbedder(settings.embedding_model, settings.embedding_batch_size,
                                settings.data_dir / "models")
    from app.embeddings.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(
        settings.embedding_model,
        settings.embedding_batch_size,
        settings.data_dir / "models",
        quantized=settings.embedding_backend == "onnx-int8",
    )


# On a 2-core Xeon with AMX, OpenVINO in bfloat16 gave 2.35–2.68x torch (int8 ONNX Runtime
# 1.87–2.33x); on a 2-core AMD EPYC with AVX-512 BF16 and no AMX, 3.80–4.11x in six runs
# (int8 3.58–3.93x in the same runs); on the same flags in a later, slower session,
# 2.07–2.39x against int8 2.49–2.87x.
BFLOAT16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})


def fastest_backend(flags: set[str]) -> str:
    """The quickest backend on a CPU with these instruction-set flags, as measured by
    ``benchmarks/embedding.py``: OpenVINO where the CPU computes bfloat16 natively (AMX, or
    AVX-512 BF16), int8 ONNX Runtime where it has AVX2, else fp32 ONNX Runtime."""
    if BFLOAT16_FLAGS & flags:
        return "openvino"
    return "onnx-int8" if "avx2" in flags else "onnx"


def embedder_factory(settings: Settings) -> Callable[[], Embedder]:
    """A loader for composition roots that load the model lazily."""
    return lambda: build_embedder(settings)
