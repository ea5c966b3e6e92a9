"""customers/data_request, customers/redact: what is stored about a customer can be
exported, and once redacted nothing of them remains anywhere, even after late retries."""

import json
import uuid
from typing import Any

from sqlalchemy import inspect, text

from app.privacy.service import list_exports
from app.storage.database import transaction
from tests.integration.webhooks.support import Hooks, body_of, payload

CUSTOMER_ID = "7301999001"
EMAIL = "jon.snow.7301@example.com"
PHONE = "5550107301"


def _customer_payload(name: str, person: dict[str, str], **replace: str) -> bytes:
    """A recorded payload about a customer of our own, so no other test shares them."""
    body = payload("shopify", name, **replace)
    for recorded, ours in ((CUSTOMER_ID, person["id"]), (EMAIL, person["email"]),
                           (PHONE, person["phone"]), ("Winterfell", person["city"])):
        body = body.replace(recorded.encode(), ours.encode())
    return body


def _person() -> dict[str, str]:
    n = uuid.uuid4().int % 10**9
    return {"id": str(7_000_000_000 + n), "email": f"c{n}@example.org",
            "phone": f"99{n:09d}", "city": f"Town{n}"}


async def _every_stored_value(hooks: Hooks) -> list[str]:
    """Every value of every row of every table, as text."""
    async with hooks.services.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        values: list[str] = []
        for table in tables:
            for row in (await connection.execute(text(f'SELECT * FROM "{table}"'))).all():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        values.append(bytes(value).decode("utf-8", "replace"))
                    elif value is not None:
                        values.append(json.dumps(value) if isinstance(value, dict | list) else str(value))
    return values


def _traces_in(values: list[str], person: dict[str, str]) -> list[tuple[str, str]]:
    return [(trace, value[:120]) for value in values for trace in person.values() if trace in value]


async def _exports(hooks: Hooks, shop_id: int) -> list[dict[str, Any]]:
    async with transaction(hooks.services.sessions) as session:
        return [e.payload for e in await list_exports(session, shop_id)]  # type: ignore[arg-type]


async def test_a_data_request_exports_everything_stored_about_the_customer(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create.json"))
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create_guest.json"))
    await hooks.shopify(domain, "customers/data_request",
                        payload("shopify", "customers_data_request.json", shop=domain))
    assert await hooks.drain() == 3
    [export] = await _exports(hooks, shop_id)
    assert export["customer"]["id"] == CUSTOMER_ID
    orders = export["stores"]["orders"]
    assert [o["order_id"] for o in orders] == ["820982911946154508"]
    assert sorted(line["product_id"] for line in orders[0]["lines"]) == ["632910392", "921728736"]


async def test_redaction_leaves_nothing_of_the_customer_and_late_retries_cannot_restore_it(
    hooks: Hooks,
) -> None:
    shop_id, domain, _ = await hooks.shop()
    person = _person()
    order = _customer_payload("orders_create.json", person)
    await hooks.shopify(domain, "orders/create", order)
    await hooks.shopify(domain, "customers/data_request",
                        _customer_payload("customers_data_request.json", person, shop=domain))
    broken = json.loads(_customer_payload("orders_paid.json", person))
    broken["line_items"][0]["quantity"] = "lots"  # rejected and kept for inspection
    assert (await hooks.shopify(domain, "orders/paid", body_of(broken))).status_code == 400
    await hooks.drain()
    assert _traces_in(await _every_stored_value(hooks), person)  # the customer is known before

    await hooks.shopify(domain, "customers/redact",
                        _customer_payload("customers_redact.json", person, shop=domain))
    await hooks.drain()
    assert _traces_in(await _every_stored_value(hooks), person) == []
    # The basket stays as an anonymous co-purchase signal.
    lines = await hooks.order_lines(shop_id)
    assert {line[1] for line in lines} == {"632910392", "921728736"}

    # Shopify retries an old delivery (a new webhook id) and a later update arrives.
    await hooks.shopify(domain, "orders/create", order)
    await hooks.shopify(domain, "orders/paid", _customer_payload("orders_paid.json", person))
    assert await hooks.drain() == 2
    assert _traces_in(await _every_stored_value(hooks), person) == []
    assert await _exports(hooks, shop_id) == []
