"""What every benchmark shares: machine info, result files, targets, percentiles."""

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
WORK = REPO / "var" / "bench"
DATASET = REPO.parent / "shared" / "datasets" / "online-retail"
PYTHON = sys.executable


@dataclass
class Target:
    """One line of the summary: a measured figure against the issue's target."""

    name: str
    value: float | None
    unit: str
    target: str
    met: bool
    note: str = ""


@dataclass
class Result:
    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    summary: str = ""


def python_loop_ms(iterations: int = 2_000_000, rounds: int = 3) -> float:
    """A fixed pure-Python loop, best of a few rounds: how fast this machine runs the
    interpreter right now, to read figures of different machines side by side."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(iterations):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(1000 * best, 1)


def machine() -> dict[str, Any]:
    """Enough about the machine to read the figures in context."""
    flags: set[str] = set()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "simd": sorted(flags & {"avx2", "avx512f", "avx512_vnni", "amx_int8"}),
        "memory_gib": round(memory / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python_loop_2m_ms": python_loop_ms(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_result(result: Result, started: float) -> Path:
    """``benchmarks/results/<name>.json`` and the one-line summary on stdout."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": result.name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "figures": result.figures,
        "targets": [asdict(t) for t in result.targets],
        "summary": result.summary,
    }
    path = RESULTS / f"{result.name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"[{result.name}] {result.summary}", flush=True)
    return path


def percentiles(samples: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max of latencies in seconds, reported in milliseconds."""
    if not samples:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "count": 0}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(1000 * ordered[-1], 2), "mean_ms": round(1000 * statistics.fmean(ordered), 2),
            "count": len(ordered)}


def bench_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an ``affinity`` process run by a benchmark."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFINITY_")}
    env.update({
        "AFFINITY_DATABASE_URL": database_url,
        "AFFINITY_DATA_DIR": str(data_dir),
        "AFFINITY_LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        **extra,
    })
    return env


def affinity(args: list[str], env: dict[str, str], timeout: float = 900) -> list[dict[str, Any]]:
    """Run one ``affinity`` command; its JSON lines."""
    done = subprocess.run(
        [PYTHON, "-m", "app.commands", *args], env=env, cwd=REPO, capture_output=True, text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"affinity {' '.join(args)} failed: {done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def not_implemented(name: str, unit: str, target: str, what: str) -> Target:
    return Target(name, None, unit, target, False, f"not implemented: {what}")
