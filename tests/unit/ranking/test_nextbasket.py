"""The next-basket vectors: the same personal vectors and neighbourhoods as the TIFU-KNN
reference, the artefact round trip, and a shopper the model does not know."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from scipy import sparse

from app.evaluation import tifu
from app.profiles.history import fill_purchases
from app.profiles.types import Profile
from app.ranking.artefact import (
    ModelArtefact,
    current_version,
    load_artefact,
    save_artefact,
    scrub_customers,
)
from app.ranking.candidates.model_sources import add_neighbourhood
from app.ranking.candidates.pool import CandidatePool
from app.ranking.history import OrderRecord
from app.ranking.nextbasket import (
    NextBasketParams,
    nearest,
    neighbourhood_of,
    neighbourhoods,
    personal_vectors,
    unit_rows,
)
from app.ranking.shopper_vectors import next_basket_vectors
from app.ranking.training import TrainingParams, train

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PARAMS = NextBasketParams(group_size=2, within_decay=0.9, group_decay=0.7, neighbours=3)


def _random_history(customers: int = 12, items: int = 15,
                    seed: int = 3) -> tuple[list[OrderRecord], list[str]]:
    rng = np.random.default_rng(seed)
    products = [f"p{i}" for i in range(items)]
    history = []
    for n in range(customers * 4):
        buyer = f"c{rng.integers(customers)}"
        chosen = rng.choice(items, size=int(rng.integers(1, 5)), replace=False)
        history.append(OrderRecord(f"o{n}", buyer, T0 + timedelta(hours=n),
                                   tuple(products[i] for i in chosen)))
    return history, products


def test_personal_vectors_equal_the_reference_implementation() -> None:
    history, products = _random_history()
    rows = {p: i for i, p in enumerate(products)}
    customers = sorted({o.buyer for o in history})
    mine = personal_vectors(history, rows, customers, PARAMS).toarray()
    baskets = {c: [[rows[p] for p in o.products] for o in history if o.buyer == c]
               for c in customers}
    reference = tifu.personal_vectors([baskets[c] for c in customers], len(products),
                                      PARAMS.group_size, PARAMS.within_decay,
                                      PARAMS.group_decay).toarray()
    assert np.allclose(mine, reference, atol=1e-6)
    assert mine.any()


def test_neighbourhood_is_the_mean_of_the_nearest_customers() -> None:
    history, products = _random_history()
    rows = {p: i for i, p in enumerate(products)}
    customers = sorted({o.buyer for o in history})
    personal = personal_vectors(history, rows, customers, PARAMS)
    around = neighbourhoods(personal, PARAMS).toarray()
    unit = unit_rows(personal).toarray()
    for row in range(len(customers)):
        similarity = unit @ unit[row]
        similarity[row] = -np.inf
        best = np.sort(similarity)[::-1][: PARAMS.neighbours]
        chosen = nearest(unit_rows(personal), unit_rows(personal[row]), PARAMS.neighbours,
                         np.asarray([row]))[0]
        assert row not in chosen
        assert np.allclose(np.sort(similarity[chosen])[::-1], best, atol=1e-6)
        assert np.allclose(around[row], personal.toarray()[chosen].mean(axis=0), atol=1e-6)


def test_a_shopper_like_a_known_customer_gets_that_customer_first() -> None:
    personal = sparse.csr_matrix(np.asarray(
        [[1.0, 0, 0, 0], [0, 1.0, 1.0, 0], [0, 0, 1.0, 1.0], [1.0, 1.0, 0, 0]], np.float32))
    unit = unit_rows(personal)
    around = neighbourhood_of(personal, unit, {1: 0.5, 2: 0.5},
                              NextBasketParams(neighbours=1))
    assert around is not None and np.allclose(around, [0, 1.0, 1.0, 0])
    assert neighbourhood_of(personal, unit, {}, NextBasketParams()) is None


def _trained() -> tuple[list[OrderRecord], list[str], ModelArtefact]:
    history, products = _random_history()
    params = TrainingParams(factors=4, iterations=2, next_basket=PARAMS)
    return history, products, train(history, products, T0 + timedelta(days=9), "v1", params)


def test_artefact_keeps_the_vectors_and_scrubs_a_customer(tmp_path: Path) -> None:
    _, _, model = _trained()
    save_artefact(tmp_path, 1, model)
    loaded = load_artefact(tmp_path, 1, "v1")
    assert loaded.customer_personal is not None and loaded.customer_around is not None
    assert model.customer_personal is not None
    assert (loaded.customer_personal != model.customer_personal).nnz == 0
    assert loaded.customer_around.shape == (len(loaded.customer_ids), len(loaded.product_ids))
    gone = loaded.customer_ids[0]
    assert scrub_customers(tmp_path, 1, {gone}) == 1
    version = current_version(tmp_path, 1)
    assert version is not None
    scrubbed = load_artefact(tmp_path, 1, version)
    assert gone not in scrubbed.customer_ids
    assert scrubbed.customer_personal is not None
    assert scrubbed.customer_personal.shape[0] == len(scrubbed.customer_ids)
    kept = loaded.customer_personal.toarray()[1:]
    assert np.allclose(scrubbed.customer_personal.toarray(), kept)


def test_an_artefact_saved_before_the_vectors_loads_without_them(tmp_path: Path) -> None:
    _, _, model = _trained()
    model.customer_personal, model.customer_around = None, None
    save_artefact(tmp_path, 2, model)
    loaded = load_artefact(tmp_path, 2, "v1")
    assert loaded.customer_personal is None and loaded.customer_unit is None
    profile = Profile(customer_id=loaded.customer_ids[0], visitor_id=None)
    assert next_basket_vectors(loaded, profile) is None


def test_known_and_unknown_shoppers_get_vectors() -> None:
    history, _, model = _trained()
    known = model.customer_ids[0]
    mine = [(o.placed_at, list(o.products)) for o in history if o.buyer == known]
    profile = Profile(customer_id=known, visitor_id=None)
    fill_purchases(profile, mine)
    vectors = next_basket_vectors(model, profile)
    assert vectors is not None
    row = model.user_row[known]
    assert model.customer_personal is not None
    assert np.allclose(vectors.personal, model.customer_personal[row].toarray()[0])
    stranger = Profile(customer_id="someone-new", visitor_id=None)
    fill_purchases(stranger, mine)
    fresh = next_basket_vectors(model, stranger)
    assert fresh is not None and fresh.around.any()
    owned = [model.row_of[p] for p in profile.purchases]
    assert (fresh.personal[owned] > 0).all()
    assert next_basket_vectors(model, Profile(customer_id="x", visitor_id=None)) is None


def test_the_largest_neighbourhood_items_become_candidates() -> None:
    around = np.asarray([0.0, 0.4, 0.1, 0.0, 0.9, 0.2], np.float32)
    pool = CandidatePool()
    add_neighbourhood(pool, around, 3)
    products = [f"p{i}" for i in range(len(around))]
    found = pool.resolve({p: i for i, p in enumerate(products)}, products)
    assert sorted(found.rows.tolist()) == [1, 4, 5]
    empty = CandidatePool()
    add_neighbourhood(empty, np.zeros(4, np.float32), 3)
    add_neighbourhood(empty, None, 3)
    assert len(empty) == 0
