"""Why an event was rejected, as one of a few fixed labels: a rejection's reason is a
sentence (``"productId is longer than 255 characters"``) and a metric label must come from
a small set, or every odd input would make a new time series."""

import re

FIELDS = ("visitorId", "eventId", "customerId", "productId", "variantId", "recommendationId",
          "quantity", "dwellMs", "query", "occurredAt", "consent", "deviceClass", "region",
          "localHour")
OTHER = "other"
BATCH_TOO_LARGE = "batch_too_large"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (BATCH_TOO_LARGE, re.compile(r"\bevents per request\b")),
    ("customer_proof", re.compile(r"\bcustomerToken\b")),
    ("type", re.compile(r"\bevent type\b|^an event must be\b")),
    ("missing_product", re.compile(r"\bneeds a productId\b")),
    ("missing_query", re.compile(r"\bneeds a query\b")),
    *((field, re.compile(rf"^{field}\b")) for field in FIELDS),
)
REASONS = tuple(label for label, _ in _PATTERNS) + (OTHER,)
"""Every label ``reason_label`` returns."""


def reason_label(reason: str) -> str:
    """The fixed label of a rejection's reason (``other`` when none fits)."""
    for label, pattern in _PATTERNS:
        if pattern.search(reason[:200]):
            return label
    return OTHER
