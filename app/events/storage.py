"""Set-based writes of a batch of events: one statement per batch, not one per event.

Duplicates are settled by the database under the ``(shop_id, event_id)`` unique
constraint (``ON CONFLICT DO NOTHING``), so concurrent copies of one event store one
row and a batch needs no savepoints, no retries and no read before its write.

The functions take a synchronous ``Connection``, so that all of one batch runs in one
hand-over to wherever the process writes (``app.storage.writes``)."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.events.models import Event, VisitorLink
from app.ids import ShopId

EVENTS: Table = Event.__table__  # type: ignore[assignment]
LINKS: Table = VisitorLink.__table__  # type: ignore[assignment]


def _insert_ignoring_conflicts(connection: Connection, table: Table, *keys: str) -> Any:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    raise NotImplementedError(f"no events support for {dialect}")


def insert_new_events(connection: Connection, rows: Sequence[Mapping[str, object]]) -> set[str]:
    """Insert the rows of one shop; the event ids that were new (the rest were known)."""
    if not rows:
        return set()
    stmt = _insert_ignoring_conflicts(connection, EVENTS, "shop_id", "event_id").returning(
        EVENTS.c.event_id)
    return set(connection.execute(stmt, list(rows)).scalars())


def known_event_ids(connection: Connection, shop_id: ShopId, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    stmt = select(EVENTS.c.event_id).where(EVENTS.c.shop_id == shop_id,
                                           EVENTS.c.event_id.in_(ids))
    return set(connection.execute(stmt).scalars())


def link_visitors(connection: Connection, shop_id: ShopId, links: Mapping[str, str]) -> None:
    """Remember which customer each visitor is (``{visitor_id: customer_id}``, the latest
    login wins): one read, one insert for the new links, an update per changed one."""
    if not links:
        return
    stmt = select(LINKS.c.visitor_id, LINKS.c.customer_id).where(
        LINKS.c.shop_id == shop_id, LINKS.c.visitor_id.in_(list(links)))
    current = {str(v): str(c) for v, c in connection.execute(stmt).all()}
    new = [{"shop_id": shop_id, "visitor_id": v, "customer_id": c}
           for v, c in links.items() if v not in current]
    if new:  # a link inserted concurrently wins, as a later login would
        connection.execute(_insert_ignoring_conflicts(connection, LINKS, "shop_id", "visitor_id"),
                           new)
    for visitor, customer in links.items():
        if visitor in current and current[visitor] != customer:
            connection.execute(update(LINKS).where(
                LINKS.c.shop_id == shop_id, LINKS.c.visitor_id == visitor,
            ).values(customer_id=customer))
