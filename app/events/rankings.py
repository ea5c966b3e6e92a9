"""Every list served is recorded under its ``recommendationId``: later events carrying the
id (clicks, add-to-cart, purchases) are attributed to the list, its placement and position.

A list is returned only once its record is committed (on PostgreSQL without waiting for
the disk: ``RowsInto.wait_for_disk``). A request that finds nothing being
written writes its list itself (on a SQLite file, done before any other request runs); the
lists served while a write is under way form the next group, written by one multi-row
insert in one transaction as soon as that write ends. Under load the writes, and SQLite's
single writer, are shared by everyone served meanwhile; a request alone costs no hand-over
to a writer task (at 200 `rerankSearch` requests a second: 4.36 → 4.23 ms of CPU a request,
p99 14.7 → 8.6 ms, side by side).

Groups go through the process's ``Writes`` (``app.storage.writes``) as small writes: on a SQLite
file inline, or on its writer thread while another write holds the lock; through the
async session each group took about 1.7 ms of the event loop's CPU in session,
transaction and driver hand-overs, as much as ranking a carousel.

Every shop's lists share the groups, so a list is checked against the shared input limits
(``app.input_limits``) before it joins one, the same on every database; and if a group's
insert fails all the same, its halves are written again, down to the lists that fail
alone: only those fail their requests, as ``Unavailable`` and with a log line that quotes
none of the rows (on PostgreSQL an id too long for its column had failed all 90
concurrent requests of another shop, and the log had quoted every id of the group)."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from app.errors import Unavailable
from app.events.models import Ranking
from app.ids import ShopId
from app.input_limits import MAX_REFERENCE_LENGTH, MAX_SEARCH_RESULTS, check_id, check_ids
from app.recommendations.types import RecommendationList
from app.storage.database import utcnow
from app.storage.row_inserts import RowsInto
from app.storage.writes import Writes

log = logging.getLogger(__name__)
MAX_SERVED_ITEMS = MAX_SEARCH_RESULTS
"""The longest list any query serves (a reordered search)."""
MAX_STORED_REASONS = 4
"""Reason codes kept per product (each a short constant of the engine's)."""
NOT_RECORDED = "The list could not be recorded; try again."
MAX_VARIANT_NAME = 64
"""The longest variant name (the column's width)."""


def _compact_json(value: Any) -> str:
    """The same JSON value as the column type's own encoder writes, without its spaces and
    about ten times faster (a list of 100 products' reason codes: 41 → 3 µs)."""
    return orjson.dumps(value).decode()


# Core, not the ORM's bulk path: the rows are plain dicts already.
RANKINGS = RowsInto(Ranking.metadata.tables[Ranking.__tablename__],
                    {"product_ids": _compact_json, "reasons": _compact_json},
                    wait_for_disk=False)


def served_list_row(shop_id: ShopId, placement: str, visitor_id: str | None,
                    customer_id: str | None, result: RecommendationList, *,
                    experiment_id: int | None = None, variant: str | None = None,
                    latency_ms: float | None = None) -> dict[str, Any]:
    """The row recording ``result``, the experiment and variant that chose it and the
    server's time to it; ``InvalidInput`` for what the columns cannot hold."""
    check_id("visitorId", visitor_id)
    check_id("customerId", customer_id)
    check_id("variant", variant, MAX_VARIANT_NAME)
    product_ids = [i.product.platform_id for i in result.items]
    check_ids("productIds", product_ids, MAX_SERVED_ITEMS, MAX_REFERENCE_LENGTH)
    return {
        "shop_id": shop_id, "recommendation_id": result.recommendation_id,
        "placement": placement, "visitor_id": visitor_id, "customer_id": customer_id,
        "product_ids": product_ids,
        "reasons": [[r.code for r in i.reasons[:MAX_STORED_REASONS]] for i in result.items],
        "model_version": result.model_version, "created_at": utcnow(),
        "experiment_id": experiment_id, "variant": variant, "latency_ms": latency_ms,
    }


def _database_unavailable(exc: Exception) -> bool:
    """The database failed, not one of the rows: writing the rows in halves would fail alike."""
    return isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _not_recorded(exc: Exception, lists: int) -> Unavailable:
    """What a request whose list failed is told. The log names the failure, never its rows:
    the database's message quotes them, other shops' ids with them."""
    driver_error = getattr(exc, "orig", None) or exc
    log.error("recording %d served lists failed (%s: %s)", lists, type(exc).__name__,
              type(driver_error).__name__)
    return Unavailable(NOT_RECORDED)


@dataclass
class Pending:
    """One request's list in the next group, and the outcome its request waits for."""

    row: dict[str, Any]
    written: asyncio.Future[None]


def _pending(row: dict[str, Any]) -> Pending:
    written = asyncio.get_running_loop().create_future()
    # Read once here, so that a failure nobody waits for any more is not reported again as
    # "never retrieved".
    written.add_done_callback(lambda done: None if done.cancelled() else done.exception())
    return Pending(row, written)


class RankingRecorder:
    def __init__(self, writes: Writes) -> None:
        self._writes = writes
        self._next: list[Pending] | None = None
        self._writing: asyncio.Future[None] | None = None

    async def record(self, shop_id: ShopId, placement: str, visitor_id: str | None,
                     customer_id: str | None, result: RecommendationList, *,
                     experiment_id: int | None = None, variant: str | None = None,
                     latency_ms: float | None = None) -> None:
        row = served_list_row(shop_id, placement, visitor_id, customer_id, result,
                              experiment_id=experiment_id, variant=variant,
                              latency_ms=latency_ms)
        if self._next is None and (self._writing is None or self._writing.done()):
            await self._write_alone(row)
            return
        pending = _pending(row)
        if self._next is None:
            self._next = []
        self._next.append(pending)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_groups())
        # Shielded: a caller that goes away does not cancel the others' write.
        await asyncio.shield(pending.written)

    async def _write_alone(self, row: dict[str, Any]) -> None:
        """Nothing is being written: this request writes its list itself, without a hand-over
        to the group writer (on a SQLite file the write is done before anyone else runs).
        Lists served while it is under way form the next group."""
        writing = asyncio.get_running_loop().create_future()
        self._writing = writing
        try:
            await self._write([row])
        except Exception as exc:  # noqa: BLE001  told as Unavailable, logged without rows
            raise _not_recorded(exc, 1) from None
        finally:
            writing.set_result(None)
            if self._next is not None:
                self._writing = asyncio.create_task(self._write_groups())

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        await self._writes.insert_rows(RANKINGS, rows)

    async def _write_groups(self) -> None:
        while self._next is not None:
            group, self._next = self._next, None
            await self._write_group(group)

    async def _write_group(self, group: list[Pending]) -> None:
        """One insert for the group; if it fails, each half again, down to the lists that
        fail alone: one failing list among 89 costs 12 more inserts, not 89."""
        try:
            await self._write([pending.row for pending in group])
        except Exception as exc:  # noqa: BLE001  each waiting request reports its own
            if len(group) > 1 and not _database_unavailable(exc):
                half = len(group) // 2
                await self._write_group(group[:half])
                await self._write_group(group[half:])
                return
            _not_recorded(exc, len(group))
            for pending in group:
                pending.written.set_exception(Unavailable(NOT_RECORDED))
        else:
            for pending in group:
                pending.written.set_result(None)
