"""Where the background worker looks for products whose vectors are stale.

Checking the whole catalog for a missing or outdated vector reads every product: about
120 ms of CPU per pass at 100k products on SQLite, every second, even when nothing
changed. Products are written with a local ``updated_at`` (indexed per shop), so after
one clean pass over the whole catalog a pass only needs the products written since the
last clean pass started: microseconds when nothing changed.

A write is stamped when it is flushed and becomes visible when its transaction commits,
which can be later (a long catalog import), and another process's clock can run behind.
The window therefore reaches ``LATE_COMMIT_SECONDS`` further back, and the whole catalog
is checked again every ``FULL_CHECK_SECONDS``: anything committed even later than that,
or a vector removed by hand, is picked up within that time."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.ids import ShopId
from app.storage.database import utcnow

LATE_COMMIT_SECONDS = 300.0
FULL_CHECK_SECONDS = 600.0


@dataclass
class _ShopWatch:
    full_check_at: float  # monotonic start of the last clean pass over the whole catalog
    clean_since: datetime  # wall-clock start of the last clean pass of any kind


class StaleWatch:
    def __init__(self, full_check_seconds: float = FULL_CHECK_SECONDS,
                 late_commit_seconds: float = LATE_COMMIT_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._full_check_seconds = full_check_seconds
        self._late = timedelta(seconds=late_commit_seconds)
        self._monotonic = monotonic
        self._shops: dict[ShopId, _ShopWatch] = {}

    def window(self, shop_id: ShopId) -> datetime | None:
        """Products written after this time need checking; None: the whole catalog."""
        watch = self._shops.get(shop_id)
        if watch is None or self._monotonic() - watch.full_check_at >= self._full_check_seconds:
            return None
        return watch.clean_since - self._late

    def started(self) -> tuple[float, datetime]:
        """A pass's start, to hand back to ``clean`` if the pass finds nothing stale."""
        return self._monotonic(), utcnow()

    def clean(self, shop_id: ShopId, started: tuple[float, datetime],
              window: datetime | None) -> None:
        """A pass that started at ``started`` over ``window`` found nothing stale."""
        at, wall = started
        if window is None:
            self._shops[shop_id] = _ShopWatch(full_check_at=at, clean_since=wall)
        else:
            self._shops[shop_id].clean_since = wall
