"""The side-by-side comparison's bookkeeping: alternating order, medians, pairs won."""

from benchmarks.compare import Slice, percentile_ms, slice_order, summarize


def test_slices_alternate_which_side_goes_first() -> None:
    assert [slice_order(i, ["A", "B"]) for i in range(4)] == [
        ["A", "B"], ["B", "A"], ["A", "B"], ["B", "A"]]


def test_medians_and_pairs_won_per_side() -> None:
    slices = [Slice("A", 0, 4.0, 30.0, 4.1), Slice("B", 0, 5.0, 60.0, 4.6),
              Slice("B", 1, 4.5, 20.0, 4.4), Slice("A", 1, 4.2, 25.0, 4.0),
              Slice("A", 2, 3.9, 10.0, 3.9), Slice("B", 2, 4.8, 90.0, 4.8)]
    summary = summarize(slices)
    assert summary["A"] == {"p50_ms": 4.0, "p99_ms": 25.0, "cpu_ms_per_request": 4.0,
                            "pairs_won_on_p99": 2, "slices": 3, "failed": 0}
    assert summary["B"] == {"p50_ms": 4.8, "p99_ms": 60.0, "cpu_ms_per_request": 4.6,
                            "pairs_won_on_p99": 1, "slices": 3, "failed": 0}


def test_a_pair_missing_a_side_is_won_by_nobody() -> None:
    summary = summarize([Slice("A", 0, 4.0, 10.0, 4.0), Slice("B", 0, 4.0, 20.0, 4.0),
                         Slice("A", 1, 4.0, 10.0, 4.0)])
    assert summary["A"]["pairs_won_on_p99"] == 1
    assert summary["B"]["pairs_won_on_p99"] == 0


def test_a_slice_without_answers_loses_its_pair() -> None:
    summary = summarize([Slice("A", 0, percentile_ms(None), percentile_ms(None), 4.0, failed=800),
                         Slice("B", 0, 4.0, 90.0, 4.0)])
    assert summary["B"]["pairs_won_on_p99"] == 1
    assert summary["A"]["pairs_won_on_p99"] == 0
    assert summary["A"]["failed"] == 800
