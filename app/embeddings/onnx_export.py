"""Export a sentence-transformers model to ONNX once, offline, and quantize it for this CPU.

The export is written under the data folder and reused by every later load. Its
``export.json`` records which source it came from, so a changed model is re-exported,
and which int8 variant (if any) passed the agreement check against the fp32 export."""

import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from app.embeddings.protocol import Vectors

log = logging.getLogger(__name__)

FP32_FILE = "model.onnx"
METADATA_FILE = "export.json"
OPSET = 17
# Below this mean cosine to the fp32 export, a faster variant (int8, or OpenVINO's
# bfloat16) is not used.
MIN_AGREEMENT = 0.98
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")

# Short product-like texts of varied length: what the agreement check embeds.
PROBE_TEXTS = [
    "Red cotton t-shirt with a round neck",
    "Stainless steel water bottle, 750 ml, keeps drinks cold for 24 hours",
    "Wireless noise-cancelling headphones. Electronics. Over-ear, 30 hours of battery.",
    "Hand-poured soy candle with lavender and cedar notes",
    "Children's wooden puzzle, 24 pieces, farm animals",
    "Leather wallet. Accessories. Slim bifold wallet in full-grain leather with six card slots.",
    "Organic green tea, 100 bags",
    "Vintage ceramic coffee mug with a floral pattern",
    "Trail running shoes. Footwear. Lightweight shoes with a grippy outsole for muddy paths.",
    "Set of 4 linen napkins in sage green",
    "Yoga mat, non-slip, 6 mm thick, with a carrying strap",
    "Paperback notebook, dotted pages, A5",
    "Cast iron skillet. Kitchen. Pre-seasoned 10-inch pan for stovetop and oven.",
    "Knitted wool beanie in charcoal grey",
    "LED desk lamp with adjustable brightness and USB charging port",
    "Glass storage jars with bamboo lids, set of three",
]


@dataclass(frozen=True)
class ExportInfo:
    """What ``export.json`` records about an export."""

    source: str
    fingerprint: str
    int8_file: str | None
    int8_agreement_mean: float | None
    int8_agreement_min: float | None
    int8_target: str | None


def cpu_flags() -> set[str]:
    """The instruction-set flags of this CPU (empty where /proc/cpuinfo is absent)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def quantization_target(flags: set[str]) -> str | None:
    """The int8 kernel family to quantize for: VNNI where present, else AVX2, else none."""
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    if "avx2" in flags:
        return "avx2"
    return None


def source_fingerprint(model_dir: Path) -> str:
    """Names and sizes of the weight and config files: changes when the model does."""
    parts = [
        f"{p.name}:{p.stat().st_size}"
        for p in sorted(model_dir.iterdir())
        if p.is_file() and p.suffix in (".safetensors", ".bin", ".json")
    ]
    return ";".join(parts)


def read_export_info(folder: Path) -> ExportInfo | None:
    try:
        raw = json.loads((folder / METADATA_FILE).read_text())
        return ExportInfo(**raw)
    except (OSError, ValueError, TypeError):
        return None


def write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename into place."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=target.suffix)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


def export_fp32(model_dir: Path, target: Path) -> None:
    """Trace the transformer (eager attention, which quantizes best) to ONNX."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids)
            return out.last_hidden_state  # type: ignore[no-any-return]

    ids = torch.ones((2, 16), dtype=torch.int64)
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0  # trace with padding so the mask path is the general one
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUT_NAMES, "last_hidden_state")}

    def write(path: Path) -> None:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer and exporter deprecation notices
            torch.onnx.export(
                LastHiddenState(), (ids, mask, torch.zeros_like(ids)), str(path),
                input_names=list(INPUT_NAMES), output_names=["last_hidden_state"],
                dynamic_axes=axes, opset_version=OPSET, dynamo=False,
            )

    write_atomically(target, write)


def quantize_int8(fp32: Path, target: Path, kernel: str) -> None:
    """Dynamic int8 quantization, per channel; 7-bit weights where VNNI is missing."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    def write(path: Path) -> None:
        quantize_dynamic(
            str(fp32), str(path), weight_type=QuantType.QInt8, per_channel=True,
            reduce_range=kernel != "avx512_vnni",
        )

    write_atomically(target, write)


def agreement(reference: Vectors, candidate: Vectors) -> tuple[float, float]:
    """Mean and minimum row-wise cosine of two normalized matrices."""
    cosines = np.sum(reference * candidate, axis=1)
    return float(cosines.mean()), float(cosines.min())


def write_export_info(folder: Path, info: ExportInfo) -> None:
    def write(path: Path) -> None:
        path.write_text(json.dumps(asdict(info), indent=2))

    write_atomically(folder / METADATA_FILE, write)
