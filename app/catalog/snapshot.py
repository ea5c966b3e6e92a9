"""Each shop's catalog in memory, for the serving path.

A recommendation or a reordered search shows up to 100 products and checks the
servability of hundreds of candidates: read from the database on every request, that is
most of a request's work. Serving reads them from here instead. A shop's catalog is
loaded once (at start-up, or on first use), then kept current by a delta read of the
products written since: at most every ``refresh_seconds`` on the request path, and at once
after a commit of this process that wrote products (``watch_catalog_writes``). A delta read
is a few index lookups and goes through ``app.storage.reads``: inline on a SQLite file, where it
neither waits for the async driver's thread nor holds one of its pooled connections. A change
made by another process (a worker, an import, another server) reaches shoppers within
``refresh_seconds``, the same bound as new product vectors (``index.neighbours``).

``updated_at`` is stamped at flush but a write becomes visible at commit, so each delta
reads the writes stamped since ``OVERLAP`` before the previous read began. A transaction
that writes products for longer than ``LONG_TRANSACTION`` (an import) stamps its rows
again just before it commits, so that no commit lands too far behind its stamps."""

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from operator import attrgetter
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.ids import ShopId
from app.storage.database import utcnow
from app.storage.reads import Reads, SessionReads

OVERLAP = timedelta(seconds=10)
LONG_TRANSACTION = timedelta(seconds=2)
LISTING_WORDS = 8
COLUMNS = (Product.id, Product.platform_id, Product.handle, Product.title, Product.vendor,
           Product.product_type, Product.tags, Product.price_min, Product.currency,
           Product.image_url, Product.url, Product.available, Product.published,
           Product.status, Product.deleted)


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    """A product as serving sees and shows it."""

    id: int
    platform_id: str
    title: str
    handle: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    tags: tuple[str, ...] = ()
    price_min: float | None = None
    currency: str | None = None
    image_url: str | None = None
    url: str | None = None
    servable: bool = True
    deleted: bool = False

    @classmethod
    def of_columns(cls, key: int, platform_id: str, handle: str | None, title: str,
                   vendor: str | None, product_type: str | None, tags: Any,
                   price_min: float | None, currency: str | None, image_url: str | None,
                   url: str | None, available: Any, published: Any, status: str,
                   deleted: Any) -> "CatalogProduct":
        """From the values of ``COLUMNS``, in their order."""
        servable = bool(available) and bool(published) and status == "active" and not deleted
        return cls(key, platform_id, title, handle, vendor, product_type, tuple(tags or ()),
                   price_min, currency, image_url, url, servable, bool(deleted))

    @classmethod
    def of(cls, row: Any) -> "CatalogProduct":
        """From a ``Product`` row or a row of ``COLUMNS``, by name."""
        return cls.of_columns(*(getattr(row, column.key) for column in COLUMNS))


class ShopCatalog:
    """One shop's products by platform id and by key (deleted ones too, never servable)."""

    def __init__(self) -> None:
        self.by_platform_id: dict[str, CatalogProduct] = {}
        self.by_key: dict[int, CatalogProduct] = {}
        self.read_at: datetime | None = None
        self.checked = 0.0
        self.stale = False
        self._listed: list[CatalogProduct] | None = None

    def put(self, rows: Iterable[Sequence[Any]]) -> None:
        """Rows of ``COLUMNS``, read by position (by name, 100k rows took 1.1 s, not 0.3).
        A row equal to the one held keeps the one held, and with it its shared views
        (``app.graphql.types.product_view``) and the sorted listing."""
        by_platform_id, by_key, of_columns = self.by_platform_id, self.by_key, CatalogProduct.of_columns
        changed = False
        for row in rows:
            product = of_columns(*row)
            if by_key.get(product.id) == product:
                continue  # read again unchanged (a delta reads its overlap again): kept as is
            by_platform_id[product.platform_id] = product
            by_key[product.id] = product
            changed = True
        if changed:  # sorting 100k products again takes 7 ms or more
            self._listed = None

    def listing(self, first: int, offset: int = 0,
                text: str | None = None) -> list[CatalogProduct]:
        """Servable products in key order, those whose title holds every word of ``text``
        (case-insensitive, the first eight words) where given."""
        if self._listed is None:  # sorted again only after a change
            self._listed = sorted((p for p in self.by_key.values() if p.servable),
                                  key=attrgetter("id"))
        if not text:
            return self._listed[offset : offset + first]
        words = [w.lower() for w in text.split()[:LISTING_WORDS]]
        matching = (p for p in self._listed if all(w in p.title.lower() for w in words))
        return list(islice(matching, offset, offset + first))

    def products(self, platform_ids: Iterable[str]) -> dict[str, CatalogProduct]:
        found = self.by_platform_id.get
        return {pid: product for pid in platform_ids if (product := found(pid)) is not None}

    def keys(self, platform_ids: Iterable[str]) -> dict[str, int]:
        found = self.by_platform_id
        return {pid: found[pid].id for pid in platform_ids if pid in found}

    def servable_by_key(self, keys: Iterable[int]) -> dict[int, CatalogProduct]:
        found = self.by_key
        return {k: p for k in keys if (p := found.get(k)) is not None and p.servable}


class CatalogSnapshots:
    """Every served shop's ``ShopCatalog``, loaded on first use and refreshed by deltas."""

    def __init__(self, refresh_seconds: float = 1.0, reads: Reads | None = None) -> None:
        self._refresh = refresh_seconds
        self._reads = reads or SessionReads()
        self._shops: dict[int, ShopCatalog] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def catalog(self, session: AsyncSession, shop_id: ShopId) -> ShopCatalog:
        shop = self._shops.get(shop_id)
        if shop is not None and not shop.stale and time.monotonic() - shop.checked < self._refresh:
            return shop
        lock = self._locks.setdefault(shop_id, asyncio.Lock())
        async with lock:  # one reader refreshes; the others then find it fresh
            shop = self._shops.get(shop_id)
            if shop is None:
                shop = ShopCatalog()
                await self._read(session, shop_id, shop)
                self._shops[shop_id] = shop
            elif shop.stale or time.monotonic() - shop.checked >= self._refresh:
                await self._read(session, shop_id, shop)
        return shop

    def written(self, shop_ids: Iterable[int]) -> None:
        """Products of these shops were committed by this process: refresh before serving."""
        for shop_id in shop_ids:
            shop = self._shops.get(shop_id)
            if shop is not None:
                shop.stale = True

    def forget(self, shop_id: ShopId) -> None:
        """Drop a shop's catalog from memory (the shop stopped or was removed)."""
        self._shops.pop(shop_id, None)

    @property
    def loaded(self) -> set[int]:
        """The shops whose catalog is in memory."""
        return set(self._shops)

    async def _read(self, session: AsyncSession, shop_id: ShopId, shop: ShopCatalog) -> None:
        """The whole shop the first time (a bulk read: off the event loop's thread where
        the database allows; ``shop`` is not served before it is complete), then what was
        written since the last read."""
        shop.stale = False
        shop.checked = time.monotonic()
        started = utcnow()
        stmt = select(*COLUMNS).where(Product.shop_id == shop_id)
        if shop.read_at is None:
            await self._reads.bulk(session, stmt, shop.put)
        else:
            stmt = stmt.where(Product.updated_at > shop.read_at - OVERLAP)
            async with self._reads.reader(session) as reader:
                shop.put((await reader.execute(stmt)).all())
        shop.read_at = started


WRITTEN = "catalog_written"
FIRST_FLUSH = "first_flush_at"


def watch_catalog_writes(sessions: async_sessionmaker[AsyncSession],
                         on_commit: Callable[[set[int]], None] | None = None) -> None:
    """Sessions from ``sessions`` restamp the products of a long transaction before it
    commits and report the shops whose products they wrote (``on_commit``)."""
    session_class = type("CatalogWatchingSession", (Session,), {})
    sessions.configure(sync_session_class=session_class)

    def before_flush(session: Session, _context: object, _instances: object) -> None:
        session.info.setdefault(FIRST_FLUSH, utcnow())

    def after_flush(session: Session, _context: object) -> None:
        shops = {o.shop_id for o in (*session.new, *session.dirty, *session.deleted)
                 if isinstance(o, Product)}
        if shops:
            session.info.setdefault(WRITTEN, set()).update(shops)

    def before_commit(session: Session) -> None:
        shops, since = session.info.get(WRITTEN), session.info.get(FIRST_FLUSH)
        if shops and since is not None and utcnow() - since > LONG_TRANSACTION:
            session.flush()
            session.execute(
                update(Product).where(Product.shop_id.in_(shops), Product.updated_at >= since)
                .values(updated_at=utcnow()).execution_options(synchronize_session=False))

    def after_commit(session: Session) -> None:
        shops = session.info.pop(WRITTEN, None)
        session.info.pop(FIRST_FLUSH, None)
        if shops and on_commit is not None:
            on_commit(shops)

    def after_rollback(session: Session) -> None:
        session.info.pop(WRITTEN, None)
        session.info.pop(FIRST_FLUSH, None)

    event.listen(session_class, "before_flush", before_flush)
    event.listen(session_class, "after_flush", after_flush)
    event.listen(session_class, "before_commit", before_commit)
    event.listen(session_class, "after_commit", after_commit)
    event.listen(session_class, "after_rollback", after_rollback)
