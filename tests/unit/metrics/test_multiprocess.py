"""Several server processes, one scrape: counts and histograms are summed across them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.metrics.registry import MULTIPROCESS_ENV, Metrics

REPO = Path(__file__).resolve().parents[3]
SERVER = """
from app.events.types import Rejection, TrackResult
from app.metrics.registry import Metrics
metrics = Metrics()
assert metrics.multiprocess_dir is not None
for _ in range({deliveries}):
    metrics.count_webhook("shopify", "accepted")
metrics.count_events(TrackResult(accepted={events}, rejected=[Rejection(0, "unknown event type")]))
metrics.observe_graphql("recommendations", "HOME", {seconds})
"""


def _run_server(folder: Path, deliveries: int, events: int, seconds: float) -> None:
    env = {**os.environ, MULTIPROCESS_ENV: str(folder)}
    code = SERVER.format(deliveries=deliveries, events=events, seconds=seconds)
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, timeout=120)


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_one_scrape_sums_what_two_processes_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run_server(tmp_path, deliveries=2, events=5, seconds=0.003)
    _run_server(tmp_path, deliveries=3, events=7, seconds=0.2)
    assert len(list(tmp_path.glob("*.db"))) >= 2  # each process wrote its own files
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))
    samples = _samples(generate_latest(Metrics().recorded()).decode())
    assert samples[("affinity_webhook_deliveries_total",
                    frozenset({("platform", "shopify"), ("outcome", "accepted")}))] == 5
    assert samples[("affinity_events_accepted_total", frozenset())] == 12
    assert samples[("affinity_events_rejected_total", frozenset({("reason", "type")}))] == 2
    home = frozenset({("operation", "recommendations"), ("placement", "HOME")})
    assert samples[("affinity_graphql_request_duration_seconds_count", home)] == 2
    assert samples[("affinity_graphql_request_duration_seconds_sum", home)] == pytest.approx(0.203)
    under_10ms = frozenset({*home, ("le", "0.01")})
    assert samples[("affinity_graphql_request_duration_seconds_bucket", under_10ms)] == 1
