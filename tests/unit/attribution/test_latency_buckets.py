"""Latency percentiles from fixed buckets stay within a bucket's width of the truth."""

import random

import pytest

from app.attribution.latency import BUCKETS, GROWTH, bucket_of, percentile, upper_bound


def test_every_latency_lands_in_the_bucket_whose_bounds_hold_it() -> None:
    for value in (0.05, 0.1, 0.11, 1.0, 7.3, 250.0, 12_000.0):
        bucket = bucket_of(value)
        assert value <= upper_bound(bucket) * (1 + 1e-9)
        assert bucket == 0 or value > upper_bound(bucket - 1)
    assert bucket_of(float("inf")) == BUCKETS - 1
    assert bucket_of(float("nan")) == 0
    assert bucket_of(-1.0) == 0


@pytest.mark.parametrize("quantile", [0.5, 0.95, 0.99])
def test_percentiles_of_the_histogram_match_the_exact_ones(quantile: float) -> None:
    rng = random.Random(7)
    values = sorted(rng.lognormvariate(2.0, 0.8) for _ in range(20_000))
    counts: dict[int, int] = {}
    for value in values:
        counts[bucket_of(value)] = counts.get(bucket_of(value), 0) + 1
    exact = values[int(quantile * len(values)) - 1]
    estimate = percentile(counts, quantile)
    assert estimate is not None
    assert exact / GROWTH <= estimate <= exact * GROWTH


def test_no_latencies_no_percentile() -> None:
    assert percentile({}, 0.5) is None
