"""ONNX Runtime adapter: the same model as the default backend, exported once and run
without PyTorch on the request path; optionally int8-quantized for this CPU."""

import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from app.embeddings import onnx_export as export
from app.embeddings.protocol import Vectors
from app.embeddings.sentence_transformer import resolve_model_path
from app.errors import Unavailable

log = logging.getLogger(__name__)
DEFAULT_MAX_LENGTH = 256
PAD_MULTIPLE = 8


def local_model_dir(model_name: str) -> Path:
    """The model's folder on disk; a model name must already be in the local cache."""
    resolved = Path(resolve_model_path(model_name)).expanduser()
    if resolved.is_dir():
        return resolved
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model_name, local_files_only=True))
    except Exception as exc:  # any failure means "not available offline"
        raise Unavailable(f"embedding model {model_name!r} is not on disk: {exc}") from exc


def export_folder(export_root: Path, model_name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name).strip("_") or "model"
    return export_root / slug / "onnx"


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _pooling_mode(model_dir: Path) -> str:
    """Mean or CLS, read from the sentence-transformers Pooling module's config."""
    modules = _json(model_dir / "modules.json")
    folders = [
        str(m.get("path", ""))
        for m in (modules if isinstance(modules, list) else [])
        if str(m.get("type", "")).endswith("Pooling")
    ]
    for folder in folders or ["1_Pooling"]:
        config = _json(model_dir / folder / "config.json")
        if config.get("pooling_mode_mean_tokens"):
            return "mean"
        if config.get("pooling_mode_cls_token"):
            return "cls"
    raise Unavailable(f"{model_dir}: only mean or CLS pooled models run on the ONNX backend")


class GraphRunner(Protocol):
    """Runs the exported transformer graph: token arrays in, token states out."""

    @property
    def input_names(self) -> set[str]: ...

    @property
    def parallelism(self) -> int:
        """How many ``concurrent`` calls may usefully run at once, from different threads."""
        ...

    def __call__(self, feed: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        """One call on its own, using every core."""
        ...

    def concurrent(self, feed: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        """One of ``parallelism`` calls running at once, each on its share of the cores."""
        ...


class OrtRunner:
    """The graph on ONNX Runtime's CPU provider (``run`` may be called from any thread)."""

    def __init__(self, model_file: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads must not spin: the same process also answers requests.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    @property
    def input_names(self) -> set[str]:
        return self._inputs

    @property
    def parallelism(self) -> int:
        return 1  # one call already uses every core

    def __call__(self, feed: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32)

    concurrent = __call__


class TextEncoder:
    """Tokenize, run the transformer graph, pool, normalize."""

    def __init__(self, model_dir: Path, runner: GraphRunner, batch_size: int) -> None:
        from tokenizers import Tokenizer

        config = _json(model_dir / "sentence_bert_config.json")
        self._lower = bool(config.get("do_lower_case", False))
        self._pooling = _pooling_mode(model_dir)
        self._batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        pad = str(_json(model_dir / "tokenizer_config.json").get("pad_token") or "[PAD]")
        self._tokenizer.enable_truncation(int(config.get("max_seq_length") or DEFAULT_MAX_LENGTH))
        # Lengths in steps of 8 tokens: fewer distinct shapes for the runtimes to prepare
        # kernels for (a new shape cost OpenVINO 10-20 ms once), at little padding.
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id(pad) or 0, pad_token=pad,
                                       pad_to_multiple_of=PAD_MULTIPLE)
        self._run = runner
        # Threads that run batches at once where the runner can (the graph runs without the
        # interpreter lock); the executor starts them on first use.
        self._threads = (ThreadPoolExecutor(runner.parallelism, "embedding-batch")
                         if runner.parallelism > 1 else None)

    def feed(self, texts: list[str]) -> dict[str, npt.NDArray[np.int64]]:
        """The graph's inputs for one batch of texts, padded to its longest."""
        if self._lower:
            texts = [t.lower() for t in texts]
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._run.input_names:
            feed["token_type_ids"] = np.zeros_like(ids)
        return feed

    def _batch(self, texts: list[str], concurrent: bool = False) -> Vectors:
        feed = self.feed(texts)
        mask = feed["attention_mask"]
        hidden = self._run.concurrent(feed) if concurrent else self._run(feed)
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        normalized: Vectors = (pooled / norms).astype(np.float32)
        return normalized

    def encode(self, texts: list[str]) -> Vectors:
        # Longest first, as sentence-transformers does: batches of similar length pad less.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        batches = [
            [texts[i] for i in order[start : start + self._batch_size]]
            for start in range(0, len(texts), self._batch_size)
        ]
        if len(batches) > 1 and self._threads is not None:
            parts = list(self._threads.map(lambda batch: self._batch(batch, True), batches))
        else:
            parts = [self._batch(batch) for batch in batches]
        result: Vectors = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        result[order] = np.concatenate(parts)
        return result


def probe_agreement(
    model_dir: Path, reference: GraphRunner, candidate: GraphRunner
) -> tuple[float, float]:
    """Mean and minimum cosine between two runners' vectors of the probe texts."""
    return export.agreement(TextEncoder(model_dir, reference, 16).encode(export.PROBE_TEXTS),
                            TextEncoder(model_dir, candidate, 16).encode(export.PROBE_TEXTS))


def prepare_model_file(
    model_dir: Path, folder: Path, quantized: bool, flags: set[str] | None = None
) -> Path:
    """The ONNX file to serve, exporting and quantizing on first use only."""
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / export.FP32_FILE
    fingerprint = export.source_fingerprint(model_dir)
    info = export.read_export_info(folder)
    if info is None or info.fingerprint != fingerprint or not fp32.exists():
        log.info("exporting %s to ONNX in %s (first use only)", model_dir, folder)
        export.export_fp32(model_dir, fp32)
        info = export.ExportInfo(str(model_dir), fingerprint, None, None, None, None)
        export.write_export_info(folder, info)
    if not quantized:
        return fp32
    kernel = export.quantization_target(export.cpu_flags() if flags is None else flags)
    if kernel is None:
        log.warning("no AVX2 on this CPU: int8 kernels would be slow, serving the fp32 export")
        return fp32
    if info.int8_target != kernel:
        info = _quantize_and_check(model_dir, folder, fp32, kernel, info)
    if info.int8_file is None:
        return fp32
    return folder / info.int8_file


def _quantize_and_check(
    model_dir: Path, folder: Path, fp32: Path, kernel: str, info: export.ExportInfo
) -> export.ExportInfo:
    int8 = folder / f"model_qint8_{kernel}.onnx"
    export.quantize_int8(fp32, int8, kernel)
    mean, minimum = probe_agreement(model_dir, OrtRunner(fp32), OrtRunner(int8))
    accepted = mean >= export.MIN_AGREEMENT
    if not accepted:
        log.warning("int8 export agrees %.4f with fp32 (< %.2f): serving fp32",
                    mean, export.MIN_AGREEMENT)
        int8.unlink(missing_ok=True)
    updated = export.ExportInfo(
        info.source, info.fingerprint, int8.name if accepted else None, mean, minimum, kernel
    )
    export.write_export_info(folder, updated)
    return updated


class EncoderEmbedder:
    """An ``Embedder`` over a ``TextEncoder``: what the ONNX Runtime and OpenVINO backends share."""

    def __init__(self, model_name: str, model_file: Path, encoder: TextEncoder) -> None:
        self._name = model_name
        self._file = model_file
        self._encoder = encoder
        self._dimension = int(encoder.encode(["probe"]).shape[1])
        log.info("loaded %s from %s (%d dimensions)", model_name, model_file, self._dimension)

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model_file(self) -> Path:
        return self._file

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return self._encoder.encode(texts)


def offline_model_dir(model_name: str) -> Path:
    """The model's folder, with the hub libraries told not to reach the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return local_model_dir(model_name)


class OnnxEmbedder(EncoderEmbedder):
    """Embeds with ONNX Runtime; vectors agree with the default backend's (cosine ≥ 0.98)."""

    def __init__(
        self, model_name: str, batch_size: int, export_root: Path, quantized: bool
    ) -> None:
        model_dir = offline_model_dir(model_name)
        try:
            model_file = prepare_model_file(
                model_dir, export_folder(export_root, model_name), quantized
            )
            encoder = TextEncoder(model_dir, OrtRunner(model_file), batch_size)
        except (OSError, ValueError, RuntimeError) as exc:
            raise Unavailable(f"cannot prepare the ONNX model for {model_name!r}: {exc}") from exc
        super().__init__(model_name, model_file, encoder)
