"""The ONNX backends: exported offline, reused, and in agreement with the default model."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require_module

require_module("onnxruntime")

from app.embeddings import onnx_export
from app.embeddings import openvino_int8 as openvino_int8_module
from app.embeddings.factory import build_backend, build_embedder, fastest_backend
from app.embeddings.onnx_backend import (
    OnnxEmbedder,
    export_folder,
    local_model_dir,
    prepare_model_file,
)
from app.embeddings.openvino_backend import OpenVinoEmbedder
from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.settings import DEFAULT_MODEL, Settings

pytestmark = pytest.mark.model

SAMPLE = [
    "Set of 3 cake tins, Pantry design. Kitchen. Round tins for baking and storing cakes.",
    "White hanging heart T-light holder",
    "Jumbo bag red retrospot",
    "Regency cakestand 3 tier",
    "Party bunting. Decorations. Bright cotton bunting, five metres, for birthdays and fetes.",
    "Lunch bag black skull",
    "Assorted colour bird ornament",
    "Natural slate heart chalkboard",
    "Men's merino crew-neck sweater. Apparel. Soft fine-knit wool, machine washable.",
    "Bluetooth speaker, waterproof, 12 hours of playback",
    "Ceramic plant pot with drainage hole, 15 cm, matte white",
    "Hardcover recipe book: weeknight vegetarian dinners in thirty minutes",
    "Dog chew toy made of natural rubber, medium size",
    "Sunscreen SPF 50, 200 ml, water resistant, for sensitive skin",
    "Mechanical keyboard with brown switches and a detachable USB-C cable",
    "Silver hoop earrings, hypoallergenic, 20 mm",
] * 2


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def export_root(data_dir: Path) -> Path:
    return data_dir / "models"


@pytest.fixture(scope="module")
def int8(export_root: Path) -> OnnxEmbedder:
    return OnnxEmbedder(DEFAULT_MODEL, 16, export_root, quantized=True)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def _assert_agrees(reference: np.ndarray, vectors: np.ndarray) -> None:
    """Normalized float32 vectors of the same shape, at a mean cosine of 0.98 or more."""
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert _cosines(reference, vectors).mean() >= 0.98


def test_int8_backend_agrees_with_the_default_model(
    embedder: SentenceTransformerEmbedder, int8: OnnxEmbedder
) -> None:
    _assert_agrees(embedder.embed(SAMPLE), int8.embed(SAMPLE))


def test_fp32_backend_matches_the_default_model(
    embedder: SentenceTransformerEmbedder, export_root: Path, int8: OnnxEmbedder
) -> None:
    fp32 = OnnxEmbedder(DEFAULT_MODEL, 16, export_root, quantized=False)
    assert fp32.model_file.name == onnx_export.FP32_FILE
    assert _cosines(embedder.embed(SAMPLE), fp32.embed(SAMPLE)).min() >= 0.999


def test_export_is_made_once_and_reused(export_root: Path, int8: OnnxEmbedder) -> None:
    folder = export_folder(export_root, DEFAULT_MODEL)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = OnnxEmbedder(DEFAULT_MODEL, 16, export_root, quantized=True)
    assert again.model_file == int8.model_file
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    info = onnx_export.read_export_info(folder)
    assert info is not None and (info.int8_agreement_mean or 0) >= onnx_export.MIN_AGREEMENT


def test_int8_kernel_is_chosen_by_cpu_flags(export_root: Path, int8: OnnxEmbedder) -> None:
    assert onnx_export.quantization_target({"avx2", "avx512_vnni"}) == "avx512_vnni"
    assert onnx_export.quantization_target({"avx2"}) == "avx2"
    assert onnx_export.quantization_target({"sse4_2"}) is None
    folder = export_folder(export_root, DEFAULT_MODEL)
    # Without AVX2 the int8 kernels would be slow: the fp32 export is served instead.
    chosen = prepare_model_file(local_model_dir(DEFAULT_MODEL), folder, True, flags={"sse4_2"})
    assert chosen.name == onnx_export.FP32_FILE


def test_settings_select_the_backend(data_dir: Path, int8: OnnxEmbedder) -> None:
    settings = Settings(_env_file=None, data_dir=data_dir, embedding_backend="onnx-int8")  # type: ignore[call-arg]
    built = build_embedder(settings)
    assert isinstance(built, OnnxEmbedder) and built.model_name == DEFAULT_MODEL
    assert built.model_file == int8.model_file
    assert built.embed([]).shape == (0, built.dimension)


@pytest.fixture(scope="module")
def openvino(export_root: Path, int8: OnnxEmbedder) -> OpenVinoEmbedder:
    require_module("openvino")
    return OpenVinoEmbedder(DEFAULT_MODEL, 16, export_root)


def test_openvino_backend_agrees_with_the_default_model(
    embedder: SentenceTransformerEmbedder, openvino: OpenVinoEmbedder
) -> None:
    _assert_agrees(embedder.embed(SAMPLE), openvino.embed(SAMPLE))
    assert openvino.runner.precision in {"bf16", "f32"}
    assert openvino.model_file.name == onnx_export.FP32_FILE


def test_openvino_computes_in_fp32_when_the_faster_precision_disagrees(
    export_root: Path, openvino: OpenVinoEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_export, "MIN_AGREEMENT", 1.01)  # nothing short of fp32 passes
    strict = OpenVinoEmbedder(DEFAULT_MODEL, 16, export_root)
    assert strict.runner.precision == "f32"
    assert _cosines(openvino.embed(SAMPLE), strict.embed(SAMPLE)).mean() >= 0.98


def test_settings_select_openvino(data_dir: Path, openvino: OpenVinoEmbedder) -> None:
    settings = Settings(_env_file=None, data_dir=data_dir, embedding_backend="openvino")  # type: ignore[call-arg]
    built = build_embedder(settings)
    assert isinstance(built, OpenVinoEmbedder) and built.model_file == openvino.model_file


@pytest.fixture(scope="module")
def openvino_int8(export_root: Path, int8: OnnxEmbedder) -> OpenVinoEmbedder:
    require_module("openvino")
    require_module("nncf")
    return OpenVinoEmbedder(DEFAULT_MODEL, 16, export_root, quantized=True)


def test_int8_openvino_backend_agrees_with_the_default_model(
    embedder: SentenceTransformerEmbedder, openvino_int8: OpenVinoEmbedder, export_root: Path
) -> None:
    _assert_agrees(embedder.embed(SAMPLE), openvino_int8.embed(SAMPLE))
    assert openvino_int8.model_file.name == openvino_int8_module.MODEL_FILE
    record = json.loads((export_folder(export_root, DEFAULT_MODEL)
                         / openvino_int8_module.RECORD_FILE).read_text())
    assert record["model_file"] == openvino_int8_module.MODEL_FILE
    assert record["agreement_mean"] >= onnx_export.MIN_AGREEMENT


def test_int8_openvino_model_is_made_once_and_reused(
    export_root: Path, openvino_int8: OpenVinoEmbedder
) -> None:
    folder = export_folder(export_root, DEFAULT_MODEL)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = OpenVinoEmbedder(DEFAULT_MODEL, 16, export_root, quantized=True)
    assert again.model_file == openvino_int8.model_file
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert np.allclose(again.embed(SAMPLE[:4]), openvino_int8.embed(SAMPLE[:4]), atol=1e-5)


def test_int8_openvino_that_disagrees_is_not_served(
    tmp_path: Path, export_root: Path, openvino_int8: OpenVinoEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = export_folder(export_root, DEFAULT_MODEL)
    target = export_folder(tmp_path, DEFAULT_MODEL)
    target.mkdir(parents=True)
    for name in (onnx_export.FP32_FILE, onnx_export.METADATA_FILE):
        shutil.copy(source / name, target / name)
    monkeypatch.setattr(onnx_export, "MIN_AGREEMENT", 1.01)  # nothing short of fp32 passes
    strict = OpenVinoEmbedder(DEFAULT_MODEL, 16, tmp_path, quantized=True)
    assert strict.model_file.name == onnx_export.FP32_FILE and strict.runner.precision == "f32"
    assert not (target / openvino_int8_module.MODEL_FILE).exists()
    record = json.loads((target / openvino_int8_module.RECORD_FILE).read_text())
    assert record["model_file"] is None and record["agreement_mean"] < 1.01


def test_settings_select_int8_openvino(data_dir: Path, openvino_int8: OpenVinoEmbedder) -> None:
    settings = Settings(_env_file=None, data_dir=data_dir, embedding_backend="openvino-int8")  # type: ignore[call-arg]
    built = build_embedder(settings)
    assert isinstance(built, OpenVinoEmbedder) and built.model_file == openvino_int8.model_file


def test_settings_auto_take_the_fastest_backend_for_this_cpu(
    data_dir: Path, openvino_int8: OpenVinoEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    settings = Settings(_env_file=None, data_dir=data_dir, embedding_backend="auto")  # type: ignore[call-arg]
    built = build_embedder(settings)
    named = build_backend(fastest_backend(onnx_export.cpu_flags()), settings)
    assert type(built) is type(named)
    assert getattr(built, "model_file", None) == getattr(named, "model_file", None)
    _assert_agrees(embedder.embed(SAMPLE), built.embed(SAMPLE))
