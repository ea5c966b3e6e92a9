"""OpenVINO adapter: the same ONNX export, run by OpenVINO's CPU plugin.

On CPUs that compute bfloat16 natively (AMX), the plugin runs the graph in bfloat16, which
can beat int8 ONNX Runtime; elsewhere it computes in fp32. Before serving, its vectors of
the probe texts are compared with ONNX Runtime's fp32 ones: below the agreement bar it is
recompiled in fp32. The int8 variant (``openvino-int8``) runs NNCF's quantization of the
export on CPUs with int8 dot-product instructions."""

import logging
import queue
import threading
from pathlib import Path
from typing import Any

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
    probe_agreement,
)
from app.embeddings.openvino_int8 import PRECISION as INT8_PRECISION
from app.embeddings.openvino_int8 import prepare_int8_model
from app.errors import Unavailable

log = logging.getLogger(__name__)
FP32 = "f32"


class OpenVinoRunner:
    """The graph compiled for the CPU twice: once for latency, where one request uses every
    core (a call on its own, such as a search query), and once for throughput, where the
    plugin splits the cores into streams and each stream runs one request, so that
    ``parallelism`` batches run at once. A request is used by one thread at a time.

    On 2 cores, two single-threaded streams embedded 3.82x torch's rate where one request on
    both cores gave 2.95x, alternating in one run (int8 model, 512 product texts); one text
    alone took 5.3 ms in latency mode and 12.0 ms on one stream."""

    def __init__(self, model_file: Path, precision: str | None = None) -> None:
        import openvino as ov

        core = ov.Core()
        model = core.read_model(str(model_file))
        hint = {} if precision is None else {"INFERENCE_PRECISION_HINT": precision}
        self._single = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY", **hint})
        self._single_request = self._single.create_infer_request()
        self._single_lock = threading.Lock()
        self._streams = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT", **hint})
        count = max(1, int(self._streams.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(count):
            self._idle.put(self._streams.create_infer_request())
        self._parallelism = count
        self._inputs = {name for port in self._single.inputs for name in port.get_names()}

    @property
    def input_names(self) -> set[str]:
        return self._inputs

    @property
    def parallelism(self) -> int:
        return self._parallelism

    @property
    def precision(self) -> str:
        """What the plugin computes in: ``bf16`` or ``f32``."""
        return str(self._single.get_property("INFERENCE_PRECISION_HINT").get_type_name())

    def __call__(self, feed: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        with self._single_lock:
            return _output(self._single_request.infer(feed))

    def concurrent(self, feed: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        request = self._idle.get()
        try:
            return _output(request.infer(feed))
        finally:
            self._idle.put(request)


def _output(result: Any) -> npt.NDArray[np.float32]:
    """The first output of an inference (an ``OVDict``), copied: the request reuses its
    buffer on the next call."""
    return np.array(result[0], dtype=np.float32)


def _agreeing_runner(model_dir: Path, model_file: Path) -> OpenVinoRunner:
    runner = OpenVinoRunner(model_file)
    if runner.precision == FP32:
        return runner
    mean, _ = probe_agreement(model_dir, OrtRunner(model_file), runner)
    if mean >= export.MIN_AGREEMENT:
        log.info("OpenVINO computes in %s (agreement with fp32 %.5f)", runner.precision, mean)
        return runner
    log.warning("OpenVINO in %s agrees %.4f with fp32 (< %.2f): computing in fp32",
                runner.precision, mean, export.MIN_AGREEMENT)
    return OpenVinoRunner(model_file, FP32)


class OpenVinoEmbedder(EncoderEmbedder):
    """Embeds with OpenVINO; vectors agree with the default backend's (cosine ≥ 0.98).
    ``quantized`` runs the int8 model NNCF makes of the export (``openvino_int8``), or the
    fp32 export where that model disagrees with it."""

    def __init__(
        self, model_name: str, batch_size: int, export_root: Path, quantized: bool = False
    ) -> None:
        model_dir = offline_model_dir(model_name)
        try:
            fp32 = prepare_model_file(
                model_dir, export_folder(export_root, model_name), quantized=False
            )
            int8 = (
                prepare_int8_model(model_dir, fp32.parent, fp32,
                                   lambda path: OpenVinoRunner(path, INT8_PRECISION))
                if quantized else None
            )
            self.runner = (
                OpenVinoRunner(int8, INT8_PRECISION) if int8 is not None
                else _agreeing_runner(model_dir, fp32)
            )
        except ImportError as exc:
            needed = "openvino and nncf packages" if quantized else "openvino package"
            raise Unavailable(f"the openvino backend needs the {needed}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise Unavailable(f"cannot prepare the OpenVINO model for {model_name!r}: {exc}") from exc
        super().__init__(model_name, int8 or fp32, TextEncoder(model_dir, self.runner, batch_size))
