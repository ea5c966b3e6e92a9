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
DAYS = (1 << SHIFT) - 1  # a key's day bits
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
        self._live_sorted: Keys | None = np.zeros(0, np.int64)

    @property
    def keys(self) -> Keys:
        return self._keys

    def add(self, rows: list[int], when: datetime) -> None:
        """A live order's sales; sorted in with the others at the next read, not at every
        order (a replay of 15,000 orders spent most of its time sorting)."""
        self._live.append(sale_keys(rows, when))
        self._live_sorted = None

    def _live_keys(self) -> Keys:
        if self._live_sorted is None:
            merged = np.sort(np.concatenate(self._live))
            self._live, self._live_sorted = [merged], merged
        return self._live_sorted

    def history(self, rows: list[int], now: datetime) -> Matrix:
        """One row per product row (-1: unknown), one column per ``SALES_FEATURES`` name."""
        today = day_of(now)
        r = np.asarray(rows, np.int64)
        known = r >= 0
        r = np.where(known, r, 0)
        n = len(WINDOWS_DAYS)
        # One search per sorted array for every bound of every row: each window's first
        # day, day 0 (so: every day before today), and today.
        offsets = np.asarray([max(today - days, 0) for days in WINDOWS_DAYS] + [0, today],
                             np.int64)
        bounds = (r << SHIFT)[None, :] + offsets[:, None]
        counts = np.zeros((n + 1, len(r)), np.int64)
        last = np.full(len(r), -1, np.int64)
        first = np.full(len(r), np.iinfo(np.int64).max)
        for keys in (self._keys, self._live_keys()):
            if not keys.size:
                continue
            at = np.searchsorted(keys, bounds)
            before = at[-1] - at[:-1]  # sales per window, then all those before today
            counts += before
            sold_here = before[n] > 0  # then the keys at these positions are the row's
            last = np.where(sold_here, np.maximum(last, keys[np.maximum(at[-1] - 1, 0)] & DAYS),
                            last)
            first = np.where(sold_here,
                             np.minimum(first, keys[np.minimum(at[n], len(keys) - 1)] & DAYS),
                             first)
        sold = known & (last >= 0)
        out = np.zeros((len(r), len(SALES_FEATURES)))
        out[:, : n + 1] = np.log1p(np.where(known[:, None], counts.T, 0))
        out[:, n + 1] = np.log1p(np.where(sold, today - last, NEVER_DAYS))
        out[:, n + 2] = np.log1p(np.where(sold, today - first, NEVER_DAYS))
        out[:, n + 3] = (~sold).astype(np.float64)
        return out
