"""The candidate pool: named candidates and model rows resolved into one ordered list."""

import numpy as np

from app.ranking.candidates.pool import CandidatePool, Candidates, Source, among

PRODUCT_IDS = [f"p{row}" for row in range(10)]
ROW_OF = {p: row for row, p in enumerate(PRODUCT_IDS)}


def _pool() -> CandidatePool:
    pool = CandidatePool()
    pool.add_content("p3", 0.9, "p0")
    pool.add("unknown", Source.NEW_ARRIVAL)  # not in the model
    pool.add("p5", Source.BOUGHT_TOGETHER, "p0")
    pool.add_rows(np.array([7, 5, 8]), Source.COLLABORATIVE)
    pool.add_rows([8, 9, 3], Source.TRENDING)
    return pool


def test_named_candidates_come_first_then_rows_in_the_order_first_proposed() -> None:
    candidates = _pool().resolve(ROW_OF, PRODUCT_IDS)
    assert [c.product_id for c in candidates] == ["p3", "unknown", "p5", "p7", "p8", "p9"]
    assert candidates.rows.tolist() == [3, -1, 5, 7, 8, 9]
    assert candidates.named == 3
    assert candidates.product_ids(range(len(candidates))) == [c.product_id for c in candidates]
    taken = candidates.take([4, 0, 3])
    assert [c.product_id for c in taken] == ["p8", "p3", "p7"]
    assert taken == [candidates[4], candidates[0], candidates[3]]


def test_a_product_proposed_by_several_sources_keeps_each_with_its_anchor() -> None:
    candidates = _pool().resolve(ROW_OF, PRODUCT_IDS)
    by_id = {c.product_id: c for c in candidates}
    assert by_id["p3"].sources == {Source.CONTENT: "p0", Source.TRENDING: None}
    assert by_id["p5"].sources == {Source.BOUGHT_TOGETHER: "p0", Source.COLLABORATIVE: None}
    assert by_id["p8"].sources == {Source.COLLABORATIVE: None, Source.TRENDING: None}
    assert by_id["p3"].content == 0.9
    assert candidates.content.tolist() == [0.9, 0, 0, 0, 0, 0]


def test_blocked_products_are_left_out_whichever_source_proposed_them() -> None:
    candidates = _pool().resolve(ROW_OF, PRODUCT_IDS, blocked={"p3", "p8", "unknown"})
    assert [c.product_id for c in candidates] == ["p5", "p7", "p9"]


def test_source_and_membership_masks_cover_named_and_row_candidates() -> None:
    candidates = _pool().resolve(ROW_OF, PRODUCT_IDS)
    assert candidates.has(Source.TRENDING).tolist() == [True, False, False, False, True, True]
    assert candidates.has(Source.NEW_ARRIVAL).tolist() == [False, True, False, False, False, False]
    bought = {"p9": 1, "unknown": 1, "p42": 1}
    assert candidates.within(bought).tolist() == [False, True, False, False, False, True]
    assert candidates.rows_of(["p9", "nowhere", "p0"]).tolist() == [9, 0]


def test_a_pool_without_rows_and_a_list_of_products_to_score() -> None:
    pool = CandidatePool()
    pool.add_all(["a", "b", "a"], Source.POPULAR)
    resolved = pool.resolve({}, ())
    assert [c.product_id for c in resolved] == ["a", "b"] and resolved.rows.tolist() == [-1, -1]
    listed = Candidates.of_products(["p2", "x", "p7"], ROW_OF)
    assert listed.rows.tolist() == [2, -1, 7] and [c.sources for c in listed] == [{}, {}, {}]
    assert [c.product_id for c in listed] == ["p2", "x", "p7"] and len(listed) == 3
    assert listed.product_id(2) == "p7" and listed.product_ids([1, 0]) == ["x", "p2"]
    assert listed.content.tolist() == [0.0, 0.0, 0.0]
    assert listed.has(Source.POPULAR).tolist() == [False, False, False]
    assert listed.within({"x": 1, "p7": 2, "p9": 1}).tolist() == [False, True, True]
    assert listed.within({}).tolist() == [False, False, False]


def test_among_answers_as_numpy_isin() -> None:
    rng = np.random.default_rng(3)
    cases = [(rng.integers(-1, 50, size), rng.integers(-1, 50, count))
             for size in (0, 1, 7, 400) for count in (0, 1, 3, 80)]
    cases.append((np.array([5, 5, -1, 9], np.int64), np.array([9, 5, 5], np.int64)))
    for values, members in cases:
        values = values.astype(np.int64)
        expected = np.isin(values, members)
        for given in (members, members.tolist()):
            found = among(values, given)
            assert found.dtype == bool and found.shape == values.shape
            assert (found == expected).all()
