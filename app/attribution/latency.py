"""Serving latency kept as counts in fixed, log-spaced buckets, so that percentiles of any
group of days, placements or variants come from summed rollup rows, not from a scan.

Bucket ``i`` holds latencies in ``(FIRST_BOUND_MS * GROWTH**(i-1), FIRST_BOUND_MS * GROWTH**i]``
(bucket 0: up to ``FIRST_BOUND_MS``); a percentile is interpolated geometrically inside its
bucket, so it is off by at most the bucket's width (±10 % with a growth of 1.2)."""

import math
from collections.abc import Mapping

FIRST_BOUND_MS = 0.1
GROWTH = 1.2
BUCKETS = 90
"""Up to 0.1 ms × 1.2⁸⁹ ≈ 1.1 million ms; slower lists land in the last bucket."""


def bucket_of(latency_ms: float) -> int:
    if math.isnan(latency_ms) or latency_ms <= FIRST_BOUND_MS:
        return 0
    if math.isinf(latency_ms):
        return BUCKETS - 1
    # The small tolerance keeps a value on a bound in the bucket it closes.
    return min(BUCKETS - 1, math.ceil(math.log(latency_ms / FIRST_BOUND_MS, GROWTH) - 1e-9))


def upper_bound(bucket: int) -> float:
    return FIRST_BOUND_MS * GROWTH**bucket


def percentile(counts: Mapping[int, int], quantile: float) -> float | None:
    """The ``quantile`` (0–1) of the latencies counted per bucket; ``None`` without any."""
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = quantile * total
    seen = 0
    for bucket in sorted(counts):
        count = counts[bucket]
        if count <= 0:
            continue
        if seen + count >= rank:
            share = (rank - seen) / count
            low = upper_bound(bucket - 1) if bucket > 0 else FIRST_BOUND_MS / GROWTH
            return float(low * (upper_bound(bucket) / low) ** share)
        seen += count
    return upper_bound(max(counts))
