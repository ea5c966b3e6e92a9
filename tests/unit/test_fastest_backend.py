"""The embedding backend named fastest for a CPU's instruction-set flags, and ``auto``."""

import logging

import pytest

from app.embeddings import factory
from app.embeddings.factory import fastest_backend
from app.errors import Unavailable
from app.settings import Settings


def test_int8_dot_product_cpus_take_int8_openvino() -> None:
    assert fastest_backend({"avx2", "avx512_vnni", "avx512_bf16"}) == "openvino-int8"
    assert fastest_backend({"avx2", "avx512_vnni"}) == "openvino-int8"
    assert fastest_backend({"avx2", "avx_vnni"}) == "openvino-int8"
    assert fastest_backend({"avx2", "amx_bf16", "amx_int8"}) == "openvino-int8"


def test_bfloat16_cpus_take_openvino_avx2_ones_int8_others_fp32() -> None:
    assert fastest_backend({"avx2", "amx_bf16"}) == "openvino"
    assert fastest_backend({"avx2", "avx512_bf16"}) == "openvino"
    assert fastest_backend({"avx2"}) == "onnx-int8"
    assert fastest_backend({"sse4_2"}) == "onnx"


class _Built:
    def __init__(self, backend: str) -> None:
        self.backend = backend


def _settings(backend: str) -> Settings:
    return Settings(_env_file=None, embedding_backend=backend)  # type: ignore[call-arg]


def test_auto_builds_the_fastest_backend_for_this_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factory, "cpu_flags", lambda: {"avx2"})
    monkeypatch.setattr(factory, "build_backend", lambda backend, _settings: _Built(backend))
    built = factory.build_embedder(_settings("auto"))
    assert isinstance(built, _Built) and built.backend == "onnx-int8"
    named = factory.build_embedder(_settings("openvino"))
    assert isinstance(named, _Built) and named.backend == "openvino"  # a named one as named


def test_auto_falls_back_to_torch_where_the_fastest_cannot_be_prepared(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def build(backend: str, _settings: Settings) -> _Built:
        if backend != "torch":
            raise Unavailable("the openvino backend needs the openvino and nncf packages")
        return _Built(backend)

    monkeypatch.setattr(factory, "cpu_flags", lambda: {"avx2", "avx512_vnni"})
    monkeypatch.setattr(factory, "build_backend", build)
    with caplog.at_level(logging.WARNING, logger=factory.__name__):
        built = factory.build_embedder(_settings("auto"))
    assert isinstance(built, _Built) and built.backend == "torch"
    assert "openvino-int8 is not available here" in caplog.text


def test_an_unknown_backend_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedding backend 'tensorrt'"):
        factory.build_backend("tensorrt", _settings("torch"))
