"""OpenVINO adapter: the same ONNX export, run by OpenVINO's CPU plugin.

On CPUs that compute bfloat16 natively (AMX), the plugin runs the graph in bfloat16, which
is where it beats int8 ONNX Runtime; elsewhere it computes in fp32. Before serving, its
vectors of the probe texts are compared with ONNX Runtime's fp32 ones: below the agreement
bar it is recompiled in fp32."""

import logging
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt

from app.embeddings import onnx_export as export
from app.embeddings.onnx_backend import (
    EncoderEmbedder,
    OrtRunner,
    TextEncoder,
    export_folder,
    offline_model_dir,
    prepare_model_file,
)
from app.errors import Unavailable

log = logging.getLogger(__name__)
FP32 = "f32"


class OpenVinoRunner:
    """The graph compiled for the CPU. One inference at a time: a compiled model's request
    object is not shared between threads, and one request already uses every core."""

    def __init__(self, model_file: Path, precision: str | None = None) -> None:
        import openvino as ov

        core = ov.Core()
        config = {"PERFORMANCE_HINT": "LATENCY"}
        if precision is not None:
            config["INFERENCE_PRECISION_HINT"] = precision
        self._compiled = core.compile_model(core.read_model(str(model_file)), "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._output = self._compiled.outputs[0]
        self._inputs = {name for port in self._compiled.inputs for name in port.get_names()}
        self._lock = threading.Lock()

    @property
    def input_names(self) -> set[str]:
        return self._inputs

    @property
    def precision(self) -> str:
        """What the plugin computes in: ``bf16`` or ``f32``."""
        return str(self._compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name())

    def __call__(self, feed: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        with self._lock:
            result = self._request.infer(feed)
            # A copy: the request reuses its output buffer on the next call.
            return np.array(result[self._output], dtype=np.float32)


def _agreeing_runner(model_dir: Path, model_file: Path) -> OpenVinoRunner:
    runner = OpenVinoRunner(model_file)
    if runner.precision == FP32:
        return runner
    reference = TextEncoder(model_dir, OrtRunner(model_file), 16).encode(export.PROBE_TEXTS)
    candidate = TextEncoder(model_dir, runner, 16).encode(export.PROBE_TEXTS)
    mean, _ = export.agreement(reference, candidate)
    if mean >= export.MIN_AGREEMENT:
        log.info("OpenVINO computes in %s (agreement with fp32 %.5f)", runner.precision, mean)
        return runner
    log.warning("OpenVINO in %s agrees %.4f with fp32 (< %.2f): computing in fp32",
                runner.precision, mean, export.MIN_AGREEMENT)
    return OpenVinoRunner(model_file, FP32)


class OpenVinoEmbedder(EncoderEmbedder):
    """Embeds with OpenVINO; vectors agree with the default backend's (cosine ≥ 0.98)."""

    def __init__(self, model_name: str, batch_size: int, export_root: Path) -> None:
        model_dir = offline_model_dir(model_name)
        try:
            model_file = prepare_model_file(
                model_dir, export_folder(export_root, model_name), quantized=False
            )
            self.runner = _agreeing_runner(model_dir, model_file)
        except ImportError as exc:
            raise Unavailable("the openvino backend needs the openvino package") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise Unavailable(f"cannot prepare the OpenVINO model for {model_name!r}: {exc}") from exc
        super().__init__(model_name, model_file, TextEncoder(model_dir, self.runner, batch_size))
