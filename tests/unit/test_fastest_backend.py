"""The embedding backend named fastest for a CPU's instruction-set flags."""

from app.embeddings.factory import fastest_backend


def test_bfloat16_cpus_take_openvino_avx2_ones_int8_others_fp32() -> None:
    assert fastest_backend({"avx2", "avx512_vnni", "amx_bf16"}) == "openvino"
    assert fastest_backend({"avx2", "avx512_vnni", "avx512_bf16"}) == "openvino"
    assert fastest_backend({"avx2", "avx512_vnni"}) == "onnx-int8"
    assert fastest_backend({"avx2"}) == "onnx-int8"
    assert fastest_backend({"sse4_2"}) == "onnx"
