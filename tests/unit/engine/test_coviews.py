"""Co-views count distinct shoppers: capped per visitor, per network address, and shrunk."""

import random
from datetime import UTC, datetime, timedelta

import numpy as np

from app.events.sources import SourceHasher
from app.ranking.coviews import CoviewLimits, coview_similarity, shopper_counts
from app.ranking.history import (
    PRODUCTS_PER_VISITOR,
    PRODUCTS_PER_VISITOR_DAY,
    ViewSession,
    _capped_sessions,
)

ROWS = {p: i for i, p in enumerate(["mug", "cup", "tea", "hose"])}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


LIMITS = CoviewLimits()


def _pair(sessions: list[ViewSession], a: str, b: str) -> float:
    return float(coview_similarity(sessions, ROWS, LIMITS)[ROWS[a], ROWS[b]])


def test_a_thousand_visitors_from_one_address_count_as_one_shopper() -> None:
    bots = [ViewSession("address:one", ("mug", "hose")) for _ in range(1000)]
    counts = shopper_counts(bots, ROWS, per_address=1)
    assert counts[ROWS["mug"], ROWS["hose"]] == 1 and counts[ROWS["mug"], ROWS["mug"]] == 1
    assert _pair(bots, "mug", "hose") == 0.0
    few_addresses = [ViewSession(f"address:{n % 3}", ("mug", "hose")) for n in range(1000)]
    assert _pair(few_addresses, "mug", "hose") == 0.0


def test_distinct_shoppers_make_a_pair_and_more_of_them_a_stronger_one() -> None:
    def shoppers(count: int) -> list[ViewSession]:
        return [ViewSession(f"address:{n}", ("mug", "cup")) for n in range(count)]

    assert _pair(shoppers(4), "mug", "cup") == 0.0  # under the minimum
    assert 0.0 < _pair(shoppers(5), "mug", "cup") < _pair(shoppers(50), "mug", "cup") < 1.0


def test_an_address_counts_up_to_its_cap_in_every_cell() -> None:
    household = [ViewSession("address:home", ("mug", "cup")) for _ in range(3)]
    others = [ViewSession(f"visitor:{n}", ("mug", "tea")) for n in range(2)]
    counts = shopper_counts([*household, *others], ROWS, per_address=2)
    assert counts[ROWS["mug"], ROWS["cup"]] == 2
    assert counts[ROWS["mug"], ROWS["mug"]] == 4  # two from the household, two others
    assert counts[ROWS["mug"], ROWS["tea"]] == 2


def test_a_visitor_counts_a_bounded_number_of_products_per_day_and_in_all() -> None:
    one_day = [("v", None, f"p{n}", T0) for n in range(PRODUCTS_PER_VISITOR_DAY + 10)]
    assert len(_capped_sessions(one_day)[0].products) == PRODUCTS_PER_VISITOR_DAY
    many_days = [("v", "k", f"p{n}", T0 + timedelta(days=n // 10)) for n in range(500)]
    (session,) = _capped_sessions(many_days)
    assert len(session.products) == PRODUCTS_PER_VISITOR and session.source == "address:k"


def test_a_visitor_without_a_known_address_is_its_own_source() -> None:
    rows = [("v1", None, "mug", T0), ("v1", None, "cup", T0), ("v2", None, "mug", T0)]
    assert _capped_sessions(rows) == [ViewSession("visitor:v1", ("mug", "cup"))]


def test_addresses_are_stored_only_as_keyed_hashes() -> None:
    hasher = SourceHasher(b"k" * 32)
    key = hasher.key_of("203.0.113.7")
    assert key is not None and "203" not in key and len(key) == 32
    assert key == hasher.key_of("203.0.113.7") != hasher.key_of("203.0.113.8")
    assert SourceHasher(b"other key").key_of("203.0.113.7") != key
    assert hasher.key_of(None) is None and hasher.key_of("") is None


def test_capped_counts_equal_a_sum_of_capped_counts_per_address() -> None:
    chance = random.Random(2)
    rows = {f"p{n}": n for n in range(30)}
    sessions = [ViewSession(f"address:{chance.randrange(200)}",
                            tuple(f"p{chance.randrange(30)}" for _ in range(chance.randrange(1, 8))))
                for _ in range(1500)]
    by_address: dict[str, list[ViewSession]] = {}
    for viewed in sessions:
        by_address.setdefault(viewed.source, []).append(viewed)
    for cap in (1, 3):
        expected = np.zeros((30, 30))
        for own in by_address.values():
            expected += np.minimum(shopper_counts(own, rows, len(own)).toarray(), cap)
        assert np.array_equal(shopper_counts(sessions, rows, cap).toarray(), expected)
