"""The worker's stale-vector window: whole catalog first and periodically, else recent writes."""

from datetime import timedelta

from app.embeddings.stale_watch import StaleWatch
from app.ids import ShopId

SHOP, OTHER = ShopId(1), ShopId(2)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fully_checked() -> tuple[Clock, StaleWatch]:
    """A watch whose shop has had one clean pass over its whole catalog."""
    clock = Clock()
    watch = StaleWatch(full_check_seconds=600, late_commit_seconds=300, monotonic=clock)
    watch.clean(SHOP, watch.started(), None)
    return clock, watch


def test_first_pass_checks_the_whole_catalog_then_recent_writes_with_a_margin() -> None:
    clock = Clock()
    watch = StaleWatch(full_check_seconds=600, late_commit_seconds=300, monotonic=clock)
    assert watch.window(SHOP) is None
    started = watch.started()
    watch.clean(SHOP, started, None)
    assert watch.window(SHOP) == started[1] - timedelta(seconds=300)
    assert watch.window(OTHER) is None  # per shop


def test_window_moves_only_with_clean_passes() -> None:
    clock, watch = _fully_checked()
    clock.now += 10
    window = watch.window(SHOP)
    second = watch.started()
    # A pass that found stale products does not report itself clean: the window stays.
    assert watch.window(SHOP) == window
    watch.clean(SHOP, second, window)
    moved = watch.window(SHOP)
    assert moved is not None and window is not None and moved >= window
    assert moved == second[1] - timedelta(seconds=300)


def test_whole_catalog_again_after_the_full_check_period() -> None:
    clock, watch = _fully_checked()
    clock.now += 599
    window = watch.window(SHOP)
    assert window is not None
    watch.clean(SHOP, watch.started(), window)  # a clean recent-writes pass is not a full one
    clock.now += 1
    assert watch.window(SHOP) is None
    watch.clean(SHOP, watch.started(), None)
    assert watch.window(SHOP) is not None
