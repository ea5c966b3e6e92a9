"""Choose the embedding backend named by the settings."""

import logging
from collections.abc import Callable

from app.embeddings.onnx_export import cpu_flags
from app.embeddings.protocol import Embedder
from app.errors import Unavailable
from app.settings import Settings

log = logging.getLogger(__name__)
BACKENDS = ("torch", "onnx", "onnx-int8", "openvino", "openvino-int8")
AUTO = "auto"


def build_embedder(settings: Settings) -> Embedder:
    """The configured backend; the others than torch export to ONNX under the data folder on
    first use. ``auto`` takes the fastest for this CPU (``fastest_backend``), or torch where
    that one cannot be prepared here."""
    if settings.embedding_backend != AUTO:
        return build_backend(settings.embedding_backend, settings)
    chosen = fastest_backend(cpu_flags())
    try:
        embedder = build_backend(chosen, settings)
    except Unavailable as exc:
        log.warning("embedding backend %s is not available here (%s): using torch", chosen, exc)
        return build_backend("torch", settings)
    log.info("embedding backend %s, the fastest for this CPU", chosen)
    return embedder


def build_backend(backend: str, settings: Settings) -> Embedder:
    """One named backend (one of ``BACKENDS``) with the settings' model and batch size."""
    if backend == "torch":
        from app.embeddings.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)
    if backend in ("openvino", "openvino-int8"):
        from app.embeddings.openvino_backend import OpenVinoEmbedder

        return OpenVinoEmbedder(settings.embedding_model, settings.embedding_batch_size,
                                settings.data_dir / "models", quantized=backend == "openvino-int8")
    if backend not in ("onnx", "onnx-int8"):
        raise ValueError(f"unknown embedding backend {backend!r}; one of {', '.join(BACKENDS)}")
    from app.embeddings.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(
        settings.embedding_model,
        settings.embedding_batch_size,
        settings.data_dir / "models",
        quantized=backend == "onnx-int8",
    )


# On a 2-core AMD EPYC with AVX-512 VNNI and BF16 (no AMX), NNCF's int8 model on OpenVINO
# gave 3.49-3.76x torch in six runs of benchmarks/embedding.py, where OpenVINO in bfloat16
# gave 2.35-2.59x and int8 ONNX Runtime 2.36-2.82x (earlier on the same flags: bfloat16
# 2.07-4.11x, int8 ONNX Runtime 2.49-3.93x, their order changing from day to day). On a 2-core Xeon with AMX, OpenVINO in bfloat16 gave 2.35-2.68x torch and int8
# ONNX Runtime 1.87-2.33x; int8 OpenVINO was not measured there.
INT8_DOT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
BFLOAT16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})


def fastest_backend(flags: set[str]) -> str:
    """The quickest backend on a CPU with these instruction-set flags, as measured by
    ``benchmarks/embedding.py``: int8 OpenVINO where the CPU has int8 dot-product
    instructions (VNNI, AMX), OpenVINO in bfloat16 where it computes bfloat16 natively,
    int8 ONNX Runtime where it has AVX2, else fp32 ONNX Runtime."""
    if INT8_DOT_FLAGS & flags:
        return "openvino-int8"
    if BFLOAT16_FLAGS & flags:
        return "openvino"
    return "onnx-int8" if "avx2" in flags else "onnx"


def embedder_factory(settings: Settings) -> Callable[[], Embedder]:
    """A loader for composition roots that load the model lazily."""
    return lambda: build_embedder(settings)
