"""The embedding backend named fastest for a CPU's instruction-set flags."""

from app.embeddings.factory import fastest_backend


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
