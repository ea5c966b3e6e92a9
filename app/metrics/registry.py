"""The server's counters and histograms, on a registry of their own (no global one).

With ``PROMETHEUS_MULTIPROC_DIR`` set in the environment before the process starts (as
prometheus-client requires: it picks its value store when imported), every process writes
its values to files in that folder and a scrape, in whichever process it lands, sums
them; without it the values live in the process's memory. The folder must be emptied
when the server (all its processes) starts, or the last run's counts are added in."""

import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from app.events.types import TrackResult
from app.metrics.reasons import BATCH_TOO_LARGE, reason_label

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: a carousel served from memory takes a few milliseconds, a cold one tens."""
NO_PLACEMENT = "none"


class Metrics:
    """What the request paths record; one per process (in multiprocess mode two in one
    process would overwrite each other's files)."""

    def __init__(self) -> None:
        configured = os.environ.get(MULTIPROCESS_ENV)
        self.multiprocess_dir = Path(configured) if configured else None
        self.registry = CollectorRegistry(auto_describe=True)
        self.graphql_seconds = Histogram(
            "affinity_graphql_request_duration_seconds",
            "Storefront GraphQL operations by root field and placement.",
            ["operation", "placement"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.events_accepted = Counter(
            "affinity_events_accepted", "Storefront events stored.", registry=self.registry)
        self.events_duplicate = Counter(
            "affinity_events_duplicate", "Storefront events already stored (same eventId).",
            registry=self.registry)
        self.events_rejected = Counter(
            "affinity_events_rejected", "Storefront events refused, by reason.", ["reason"],
            registry=self.registry)
        self.webhook_deliveries = Counter(
            "affinity_webhook_deliveries", "Webhook deliveries received, by outcome.",
            ["platform", "outcome"], registry=self.registry)
        if self.multiprocess_dir is None:
            ProcessCollector(registry=self.registry)  # per process: meaningless summed

    def observe_graphql(self, operation: str, placement: str | None, seconds: float) -> None:
        self.graphql_seconds.labels(operation, placement or NO_PLACEMENT).observe(seconds)

    def count_events(self, result: TrackResult) -> None:
        """One ``trackEvents`` call's or ``/collect`` request's outcome."""
        if result.accepted:
            self.events_accepted.inc(result.accepted)
        if result.duplicates:
            self.events_duplicate.inc(result.duplicates)
        for rejection in result.rejected:
            self.events_rejected.labels(reason_label(rejection.reason)).inc()

    def count_refused_batch(self, size: int) -> None:
        """A call refused whole for carrying more events than a request may store."""
        self.events_rejected.labels(BATCH_TOO_LARGE).inc(size)

    def count_webhook(self, platform: str, outcome: str) -> None:
        self.webhook_deliveries.labels(platform, outcome).inc()

    def recorded(self) -> Collector:
        """What a scrape reports of the recorded values: every process's in multiprocess
        mode, else this process's."""
        if self.multiprocess_dir is not None:
            return MultiProcessCollector(None, str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
        return self.registry


class Chained:
    """Several collectors as one (what one scrape writes out)."""

    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors

    def collect(self) -> Iterable[Metric]:
        for collector in self._collectors:
            yield from collector.collect()
