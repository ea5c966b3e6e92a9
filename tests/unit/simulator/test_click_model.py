"""The click model: examination decays with position as documented, relevant items are
clicked and carted, irrelevant ones only clicked by noise, a seed replays a shopper."""

import random

import pytest

from app.simulator.click_model import ClickModel, clicks_on

SHOWN = [f"p{i}" for i in range(10)]


def test_examination_is_one_at_the_top_and_decays_as_a_power_of_the_position() -> None:
    model = ClickModel(decay=0.8)
    assert model.examination(0) == 1.0
    assert model.examination(4) == pytest.approx(5 ** -0.8)
    rates = [model.examination(p) for p in range(10)]
    assert rates == sorted(rates, reverse=True) and rates[-1] < 0.2


@pytest.mark.parametrize("field", ["relevant_click", "noise_click", "add_to_cart", "checkout"])
def test_probabilities_outside_zero_to_one_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ClickModel(**{field: 1.5})


def test_a_negative_position_is_refused() -> None:
    with pytest.raises(ValueError):
        ClickModel().examination(-1)


def test_a_certain_shopper_clicks_and_carts_exactly_the_relevant_items() -> None:
    model = ClickModel(decay=0.0, relevant_click=1.0, noise_click=0.0, add_to_cart=1.0)
    clicks = clicks_on(model, SHOWN, frozenset({"p2", "p7", "elsewhere"}), set(), random.Random(1))
    assert [(c.position, c.product_id, c.added_to_cart) for c in clicks] == [
        (2, "p2", True), (7, "p7", True)]


def test_noise_clicks_never_reach_the_cart_and_earlier_clicks_are_not_repeated() -> None:
    model = ClickModel(decay=0.0, relevant_click=1.0, noise_click=1.0, add_to_cart=1.0)
    already = {"p0", "p1"}
    clicks = clicks_on(model, SHOWN[:4], frozenset({"p3"}), already, random.Random(1))
    assert [(c.product_id, c.added_to_cart) for c in clicks] == [("p2", False), ("p3", True)]
    assert already == {"p0", "p1", "p2", "p3"}


def test_click_rates_by_position_follow_examination_times_attraction() -> None:
    model = ClickModel(decay=0.8, relevant_click=0.6, noise_click=0.0)
    rng, trials = random.Random(7), 20_000
    counts = [0] * len(SHOWN)
    for _ in range(trials):
        for click in clicks_on(model, SHOWN, frozenset(SHOWN), set(), rng):
            counts[click.position] += 1
    for position in (0, 3, 9):
        assert counts[position] / trials == pytest.approx(
            model.click_probability(position, relevant=True), abs=0.015)


def test_the_same_seed_replays_the_same_clicks() -> None:
    def run(seed: str) -> list[tuple[int, bool]]:
        clicks = clicks_on(ClickModel(noise_click=0.3), SHOWN, frozenset({"p1", "p4"}), set(),
                           random.Random(seed))
        return [(c.position, c.added_to_cart) for c in clicks]

    assert run("0:12347") == run("0:12347")
    assert any(run(f"0:{n}") != run("0:12347") for n in range(20))
