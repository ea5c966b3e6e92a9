"""The ONNX export quantized to int8 for OpenVINO, once, offline.

NNCF's post-training quantization calibrates the activations' ranges on a few product-like
texts and writes an OpenVINO model (``.xml`` and ``.bin``) beside the ONNX export. Its vectors
of the probe texts, which calibration does not see, are compared with ONNX Runtime's fp32
ones; below the agreement bar the quantized model is not used. ``openvino-int8.json`` records
the outcome for the model's fingerprint, NNCF's version and the calibration texts, so later
loads neither quantize nor check again."""

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from app.embeddings import onnx_export as export
from app.embeddings.onnx_backend import GraphRunner, OrtRunner, TextEncoder, probe_agreement

log = logging.getLogger(__name__)

RECORD_FILE = "openvino-int8.json"
MODEL_FILE = "model_int8_openvino.xml"
# The int8 graph computes its remaining float operations in fp32: on a 2-core AMD EPYC with
# AVX-512 BF16 this ran 361 against 325 texts/s in bfloat16, at the same agreement.
PRECISION = "f32"

# Product texts as the engine composes them (title. type. body), of varied length; none of
# them is among the probe texts the agreement check embeds.
CALIBRATION_TEXTS = [
    "Blue denim jacket. Apparel. Classic trucker fit with brass buttons and two chest pockets.",
    "Bamboo cutting board, large",
    "Scented reed diffuser with fig and blackcurrant, 200 ml",
    "Kids' rain boots. Footwear. Waterproof rubber boots with easy pull-on handles.",
    "Wall clock, Scandinavian style, silent movement, 30 cm",
    "Stoneware dinner plates, set of 6, speckled glaze",
    "Merino wool socks. Accessories. Cushioned hiking socks that keep feet dry.",
    "Portable phone charger 10000 mAh with two USB ports",
    "Watercolour paint set. Art supplies. Twenty-four pans, a brush and a mixing palette.",
    "Herb seed kit: basil, parsley, chives and coriander",
    "Cotton tote bag with a printed botanical design",
    "Electric kettle. Kitchen. 1.7 litre brushed steel kettle with a rapid-boil element.",
    "Scarf",
    "Memory foam pillow, hypoallergenic cover",
    "Wooden building blocks. Toys. Fifty natural beech blocks in a drawstring bag.",
    "Christmas tree ornament, glass bauble, gold glitter",
    "Face moisturiser with hyaluronic acid for dry skin, 50 ml",
    "Cycling gloves, padded palms, size M",
    "Picture frame. Home decor. Oak frame for A4 prints with a white mount.",
    "Dark chocolate gift box, 24 assorted truffles",
    "Garden hose, 25 m, with spray nozzle and wall mount",
    "Pet bed. Pets. Round plush bed for cats and small dogs, machine washable cover.",
    "Retro alarm clock with twin bells, red",
    "Travel backpack 40 l, carry-on size, laptop sleeve",
]


@dataclass(frozen=True)
class Int8Record:
    """What ``openvino-int8.json`` records: the outcome for one source and NNCF version."""

    fingerprint: str
    model_file: str | None
    agreement_mean: float
    agreement_min: float


def _fingerprint(model_dir: Path) -> str:
    """The model's files, NNCF's version and the calibration texts: a change to any of them
    quantizes again."""
    import nncf

    texts = hashlib.sha256("\n".join(CALIBRATION_TEXTS).encode()).hexdigest()[:16]
    return f"{export.source_fingerprint(model_dir)};nncf:{nncf.__version__};calibration:{texts}"


def _read_record(folder: Path) -> Int8Record | None:
    try:
        return Int8Record(**json.loads((folder / RECORD_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _write_record(folder: Path, record: Int8Record) -> None:
    def write(path: Path) -> None:
        path.write_text(json.dumps(asdict(record), indent=2))

    export.write_atomically(folder / RECORD_FILE, write)


def _quantize(tokens: TextEncoder, fp32: Path, target: Path) -> None:
    """Calibrate on the calibration texts, one by one and as one batch; write ``target``
    (and its ``.bin``) through a temporary folder, the weights first."""
    import nncf
    import openvino as ov

    texts = CALIBRATION_TEXTS
    feeds = [tokens.feed([text]) for text in texts] + [tokens.feed(texts)]
    # Smooth quant is off: on the Online Retail catalog it raised the mean cosine to torch
    # slightly but let single products fall to 0.91-0.95 (0.982-0.985 without it).
    quantized = nncf.quantize(
        ov.Core().read_model(str(fp32)), nncf.Dataset(feeds),
        model_type=nncf.ModelType.TRANSFORMER, subset_size=len(feeds),
        advanced_parameters=nncf.AdvancedQuantizationParameters(
            smooth_quant_alphas=nncf.AdvancedSmoothQuantParameters(matmul=-1)),
    )
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        written = Path(scratch) / target.name
        ov.save_model(quantized, str(written), compress_to_fp16=False)
        os.replace(written.with_suffix(".bin"), target.with_suffix(".bin"))
        os.replace(written, target)


def prepare_int8_model(
    model_dir: Path, folder: Path, fp32: Path, runner_for: Callable[[Path], GraphRunner]
) -> Path | None:
    """The quantized OpenVINO model to serve, or None where it disagrees with fp32.
    ``runner_for`` compiles a model file as the backend will run it."""
    fingerprint = _fingerprint(model_dir)
    record = _read_record(folder)
    if record is not None and record.fingerprint == fingerprint:
        if record.model_file is None:
            return None
        if (folder / record.model_file).exists():
            return folder / record.model_file
    target = folder / MODEL_FILE
    reference = OrtRunner(fp32)
    log.info("quantizing %s to int8 for OpenVINO (first use only)", fp32)
    _quantize(TextEncoder(model_dir, reference, 16), fp32, target)
    mean, minimum = probe_agreement(model_dir, reference, runner_for(target))
    accepted = mean >= export.MIN_AGREEMENT
    if not accepted:
        log.warning("OpenVINO int8 agrees %.4f with fp32 (< %.2f): not used",
                    mean, export.MIN_AGREEMENT)
        target.unlink(missing_ok=True)
        target.with_suffix(".bin").unlink(missing_ok=True)
    _write_record(folder, Int8Record(fingerprint, target.name if accepted else None,
                                     round(mean, 6), round(minimum, 6)))
    return target if accepted else None
