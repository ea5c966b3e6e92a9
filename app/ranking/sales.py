"""Which days each product sold on: the shop's sales before any instant, for seasonal and
new products to rise and discontinued ones to sink. Built by the training job from the
order history, extended by live orders; only whole days before the asked instant count."""

from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

Keys = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float64]
DAY = 86400
SHIFT = 32
WINDOWS_DAYS = (7, 30, 90)
SALES_FEATURES = (*(f"sales_{d}d" for d in WINDOWS_DAYS), "sales_before", "days_since_sale",
                  "days_since_first_sale", "never_sold")
NEVER_DAYS = 3650.0


def day_of(when: datetime) -> int:
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return int(aware.timestamp() // DAY)


def sale_keys(rows: list[int], when: datetime) -> Keys:
    """One key per (product row, day) sale: the row in the high bits, the day in the low."""
    return (np.asarray(rows, np.int64) << SHIFT) + day_of(when)


class SalesCalendar:
    def __init__(self, keys: Keys) -> None:
        self._keys = np.sort(keys.astype(np.int64))
        self._live: list[Keys] = []
        self._live_sorted: Keys = np.zeros(0, np.int64)

    @property
    def keys(self) -> Keys:
        return self._keys

    def add(self, rows: list[int], when: datetime) -> None:
        self._live.append(sale_keys(rows, when))
        self._live_sorted = np.sort(np.concatenate(self._live))

    def _count(self, lo: Keys, hi: Keys) -> Keys:
        counts: Keys = (np.searchsorted(self._keys, hi) - np.searchsorted(self._keys, lo))
        if self._live_sorted.size:
            counts += (np.searchsorted(self._live_sorted, hi)
                       - np.searchsorted(self._live_sorted, lo))
        return counts

    def _last_before(self, rows: Keys, today: int) -> Keys:
        """The last sale day before ``today`` per row, or -1."""
        out = np.full(len(rows), -1, np.int64)
        for keys in (self._keys, self._live_sorted):
            if not keys.size:
                continue
            at = np.searchsorted(keys, (rows << SHIFT) + today) - 1
            found = (at >= 0) & ((keys[np.maximum(at, 0)] >> SHIFT) == rows)
            days = np.where(found, keys[np.maximum(at, 0)] & ((1 << SHIFT) - 1), -1)
            out = np.maximum(out, days)
        return out

    def _first(self, rows: Keys) -> Keys:
        """The first sale day per row, or -1."""
        out = np.full(len(rows), np.iinfo(np.int64).max)
        for keys in (self._keys, self._live_sorted):
            if not keys.size:
                continue
            at = np.minimum(np.searchsorted(keys, rows << SHIFT), len(keys) - 1)
            found = (keys[at] >> SHIFT) == rows
            out = np.where(found, np.minimum(out, keys[at] & ((1 << SHIFT) - 1)), out)
        return np.where(out == np.iinfo(np.int64).max, -1, out)

    def history(self, rows: list[int], now: datetime) -> Matrix:
        """One row per product row (-1: unknown), one column per ``SALES_FEATURES`` name."""
        today = day_of(now)
        r = np.asarray(rows, np.int64)
        known = r >= 0
        r = np.where(known, r, 0)
        base = r << SHIFT
        out = np.zeros((len(r), len(SALES_FEATURES)))
        n = len(WINDOWS_DAYS)
        # Every window at once (the last: all days before today), one search per bound.
        starts = np.asarray([max(today - days, 0) for days in WINDOWS_DAYS] + [0], np.int64)
        out[:, : n + 1] = self._count(base[None, :] + starts[:, None], (base + today)[None, :]).T
        last = self._last_before(r, today)
        first = self._first(r)
        sold = known & (last >= 0)
        out[:, : n + 1] = np.log1p(np.where(known[:, None], out[:, : n + 1], 0))
        out[:, n + 1] = np.log1p(np.where(sold, today - last, NEVER_DAYS))
        out[:, n + 2] = np.log1p(np.where(sold & (first >= 0), today - first, NEVER_DAYS))
        out[:, n + 3] = (~sold).astype(np.float64)
        return out
