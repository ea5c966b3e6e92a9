"""A Shopify body is accepted only under the topic it was signed for, and values are
bounded to what every database stores, before the delivery is acknowledged."""

from pathlib import Path

import pytest

from app.ids import ShopId
from app.ingestion.protocol import InvalidPayload, ShopContext
from webhooks.payload import Fields
from webhooks.shopify import NORMALIZERS, ShopifyAdapter

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "shopify"
SHOP = ShopContext(id=ShopId(1), domain="snowdevil.myshopify.com", currency="EUR")
RECORDED = {
    "products/create": "products_create.json", "products/update": "products_update.json",
    "products/delete": "products_delete.json", "collections/create": "collections_create.json",
    "collections/delete": "collections_delete.json", "orders/create": "orders_create.json",
    "orders/paid": "orders_paid.json", "orders/cancelled": "orders_cancelled.json",
    "refunds/create": "refunds_create.json",
    "inventory_levels/update": "inventory_levels_update.json",
    "customers/data_request": "customers_data_request.json",
    "customers/redact": "customers_redact.json", "shop/redact": "shop_redact.json",
    "app/uninstalled": "app_uninstalled.json",
}


def recorded(name: str) -> bytes:
    return (PAYLOADS / name).read_text().replace("{shop}", SHOP.domain).encode()


@pytest.mark.parametrize("topic", sorted(RECORDED))
def test_every_recorded_body_fits_its_own_topic(topic: str) -> None:
    ShopifyAdapter().validate(topic, recorded(RECORDED[topic]), SHOP)


@pytest.mark.parametrize("topic", sorted(RECORDED))
def test_no_recorded_body_of_another_resource_fits_a_destructive_topic(topic: str) -> None:
    destructive = ["shop/redact", "products/delete", "collections/delete", "customers/redact",
                   "app/uninstalled"]
    for target in destructive:
        if target == topic:
            continue
        with pytest.raises(InvalidPayload):
            ShopifyAdapter().validate(target, recorded(RECORDED[topic]), SHOP)


def test_every_handled_topic_has_a_shape() -> None:
    from webhooks.shopify_shapes import SHAPES

    assert set(SHAPES) == set(NORMALIZERS)


@pytest.mark.parametrize(("raw", "problem"), [
    (b'{"n": 1e30}', "out of range"),
    (b'{"n": 2147483648}', "out of range"),
    (b'{"n": "-2147483649"}', "out of range"),
    (b'{"n": [1]}', r"not an integer \(got a list\)"),
])
def test_integers_fit_a_32_bit_column(raw: bytes, problem: str) -> None:
    with pytest.raises(InvalidPayload, match=problem):
        Fields.of(raw).opt_int("n")
    assert Fields.of(b'{"n": 2147483647}').opt_int("n") == 2147483647


@pytest.mark.parametrize("raw", [b'{"n": "NaN"}', b'{"n": "inf"}', b'{"n": 1e400}'])
def test_numbers_are_finite(raw: bytes) -> None:
    with pytest.raises(InvalidPayload, match="n: not a finite number"):
        Fields.of(raw).opt_number("n")


def test_messages_name_the_kind_of_a_wrong_value_never_the_value() -> None:
    long = "x" * 10_000
    for getter in ("opt_id", "opt_int", "opt_number", "opt_datetime", "opt_object"):
        with pytest.raises(InvalidPayload) as raised:
            getattr(Fields({"v": [long]}), getter)("v")
        assert long[:20] not in raised.value.message and len(raised.value.message) < 80
    with pytest.raises(InvalidPayload, match="longer than 64"):
        Fields({"id": "9" * 65}).id()
