"""A customer's purchase history scores every search result at once, as one product at a time would."""

from collections.abc import Iterable

import numpy as np

from app.catalog.snapshot import CatalogProduct
from app.ids import ShopId
from app.index.protocol import AlignedVectors
from app.search.purchase_affinity import PurchaseHistoryAffinity, _taste


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_similarities_match_each_product_scored_alone() -> None:
    rng = np.random.default_rng(3)
    rows = {k: _unit(rng.normal(size=16)) for k in range(12)}
    taste = _taste(rows, [1, 2, 3, 99], [1.0, 3.0, 1.0, 5.0])  # 99: no vector, left out
    assert taste is not None and taste.keys.tolist() == [1, 2, 3]
    results = [2, 5, 7, 3, 11]
    content, closest = taste.similarities(results, np.stack([rows[k] for k in results]))
    for i, key in enumerate(results):
        others = [k for k in (1, 2, 3) if k != key]  # never the product itself
        assert np.isclose(content[i], max(0.0, float(taste.centroid @ rows[key])), atol=1e-6)
        best = max(float(rows[k] @ rows[key]) for k in others)
        assert np.isclose(closest[i], max(0.0, best), atol=1e-6)


class _Catalog:
    def __init__(self, rows: list[CatalogProduct]) -> None:
        self._rows = {r.platform_id: r for r in rows}

    def products(self, ids: Iterable[str]) -> dict[str, CatalogProduct]:
        return {i: self._rows[i] for i in ids if i in self._rows}


class _Catalogs:
    def __init__(self, rows: list[CatalogProduct]) -> None:
        self._catalog = _Catalog(rows)

    async def catalog(self, session: object, shop_id: int) -> _Catalog:
        return self._catalog


class _Vectors:
    def __init__(self, rows: dict[int, np.ndarray]) -> None:
        self._rows = rows

    async def vectors_of(self, session: object, shop_id: int,
                         keys: list[int]) -> dict[int, np.ndarray]:
        return {k: self._rows[k] for k in keys if k in self._rows}


async def test_matches_give_each_result_its_row_and_reason() -> None:
    rng = np.random.default_rng(5)
    kinds = ["Mugs", "Mugs", "Lamps", None, "Rugs", "Mugs", "Lamps", "Rugs", None, "Vases"]
    rows = [CatalogProduct(k, f"p{k}", f"Product {k}", product_type=kinds[k]) for k in range(10)]
    vectors = {k: _unit(rng.normal(size=16)) for k in range(10) if k != 7}  # 7: no vector
    # Orders: two mugs (3 + 1), one lamp (1), one product without a type (4).
    purchases = {"p0": 3, "p1": 1, "p2": 1, "p3": 4}
    affinity = PurchaseHistoryAffinity(_Vectors(vectors), _Catalogs(rows))  # type: ignore[arg-type]
    results = [rows[k] for k in (5, 0, 6, 7, 4, 9)]
    aligned = AlignedVectors.of([r.id for r in results], vectors)
    found = await affinity.matches(None, ShopId(1), purchases, results, aligned)  # type: ignore[arg-type]

    assert found is not None
    taste = _taste(vectors, [0, 3, 1, 2], [3.0, 4.0, 1.0, 1.0])
    assert taste is not None
    # Type shares over the typed purchases only: mugs 4 of 5, lamps 1 of 5.
    assert found.columns[:, 0].tolist() == [0, 1, 0, 0, 0, 0]
    assert found.columns[:, 1].tolist() == [0.8, 0.8, 0.2, 0.0, 0.0, 0.0]
    for i, product in enumerate(results):
        if product.id in vectors:
            content, closest = taste.similarities([product.id], vectors[product.id][None, :])
            assert np.allclose(found.columns[i, 2:], [content[0], closest[0]], atol=1e-6)
        else:
            assert found.columns[i, 2:].tolist() == [0.0, 0.0]
    assert [r.code if r else None for r in found.reasons] == [
        "INTEREST", "BOUGHT_BEFORE", None, None, None, None]
    assert found.reasons[0] is not None and found.reasons[0].message == "Matches your interest in Mugs"


async def test_no_purchases_no_matches() -> None:
    affinity = PurchaseHistoryAffinity(_Vectors({}), _Catalogs([]))  # type: ignore[arg-type]
    nothing = AlignedVectors.of([], {})
    assert await affinity.matches(None, ShopId(1), {}, [], nothing) is None  # type: ignore[arg-type]
