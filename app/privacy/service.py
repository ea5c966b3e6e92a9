"""Customer data requests, customer redaction with suppression, and shop redaction.

Redaction asks every registered store to erase, then leaves a suppression record: a
one-way hash of each identifier, so that a late or retried delivery about the customer
is stored without them and the record itself holds nothing personal."""

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.customer_data import CustomerDataStore, CustomerRef
from app.ids import ShopId
from app.privacy.models import CustomerExport, Suppression
from app.shops.models import Shop


def _hash(shop_id: int, kind: str, value: str) -> str:
    return hashlib.sha256(f"{shop_id}\x00{kind}\x00{value.strip().lower()}".encode()).hexdigest()


def subject_hashes(
    shop_id: int, customer_id: str | None = None, email: str | None = None, phone: str | None = None
) -> list[str]:
    pairs = (("customer", customer_id), ("email", email), ("phone", phone))
    return [_hash(shop_id, kind, value) for kind, value in pairs if value]


def _hashes_of(customer: CustomerRef) -> list[str]:
    return subject_hashes(customer.shop_id, customer.customer_id, customer.email, customer.phone)


async def is_suppressed(
    session: AsyncSession, shop_id: ShopId, customer_id: str | None = None, email: str | None = None
) -> bool:
    """Was this customer redacted? Writers of customer data ask before storing a link."""
    hashes = subject_hashes(shop_id, customer_id, email)
    if not hashes:
        return False
    stmt = select(Suppression.id).where(
        Suppression.shop_id == shop_id, Suppression.subject_hash.in_(hashes)
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def export_customer(
    session: AsyncSession,
    stores: Sequence[CustomerDataStore],
    customer: CustomerRef,
    request_id: str | None = None,
) -> CustomerExport:
    """Gather what every store holds about the customer and keep it for the merchant."""
    payload: dict[str, Any] = {
        "customer": {"id": customer.customer_id, "email": customer.email, "phone": customer.phone},
        "orders_requested": list(customer.order_ids),
        "stores": {store.name: await store.export(session, customer) for store in stores},
    }
    hashes = _hashes_of(customer) or [_hash(customer.shop_id, "request", request_id or "")]
    export = CustomerExport(shop_id=customer.shop_id, request_id=request_id,
                            subject_hash=hashes[0], payload=payload)
    session.add(export)
    await session.flush()
    return export


async def list_exports(session: AsyncSession, shop_id: ShopId) -> list[CustomerExport]:
    stmt = select(CustomerExport).where(CustomerExport.shop_id == shop_id)
    return list((await session.execute(stmt.order_by(CustomerExport.id))).scalars())


async def _suppress(session: AsyncSession, shop_id: ShopId, hashes: list[str]) -> None:
    if not hashes:
        return
    rows = [{"shop_id": shop_id, "subject_hash": h} for h in hashes]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(Suppression).values(rows).on_conflict_do_nothing())


async def redact_customer(
    session: AsyncSession, stores: Sequence[CustomerDataStore], customer: CustomerRef
) -> dict[str, int]:
    """Erase the customer from every store and suppress them; returns rows per store."""
    erased = {store.name: await store.erase(session, customer) for store in stores}
    hashes = _hashes_of(customer)
    if hashes:
        result = await session.execute(
            delete(CustomerExport).where(
                CustomerExport.shop_id == customer.shop_id, CustomerExport.subject_hash.in_(hashes)
            )
        )
        erased["exports"] = int(getattr(result, "rowcount", 0))
    await _suppress(session, customer.shop_id, hashes)
    await session.flush()
    return erased


async def redact_shop(
    session: AsyncSession, stores: Sequence[CustomerDataStore], shop_id: ShopId
) -> bool:
    """Delete a shop and everything it owns; returns whether there was one."""
    for store in stores:
        await store.erase_shop(session, shop_id)
    result = await session.execute(delete(Shop).where(Shop.id == shop_id))
    session.expunge_all()
    return bool(getattr(result, "rowcount", 0))
