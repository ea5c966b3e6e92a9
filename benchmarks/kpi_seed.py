"""A month of a busy shop's source rows on PostgreSQL, written set-based (``generate_series``):
served lists in ``rankings``, storefront events naming them, and orders with their lines
and refunds, at about 5 million rows a minute on 2 cores (plain indexes built after the
load) instead of the hours that requests or ORM inserts would take.

The shape, per ``Month``: served lists spread evenly over the days and across the six
placements; on HOME a running experiment with two variants, and every placement's
holdout (a twentieth of the shoppers); events in four kinds (40 % product views without a
list, 45 % impressions, 12 % clicks, 2 % add-to-carts, each naming a list served shortly
before; 1 % clicks naming an unknown list); a third of the orders carrying a served list's
id on a line and on the cart, a fiftieth partly refunded.

``rest_statements`` are the set-based equivalent of the fold for served lists and events
(the daily counters, latency buckets and distinct visitors that KPI queries read; not the
experiments' per-shopper units, which they do not), for a month too large to fold within a
benchmark's time: see ``benchmarks.kpi_query``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.attribution.latency import BUCKETS, FIRST_BOUND_MS, GROWTH
from app.attribution.tally import DAILY_COUNTERS, KEY_COLUMNS

PLACEMENTS = ("HOME", "PRODUCT", "CART", "POST_PURCHASE", "EMAIL", "SEARCH")
EXPERIMENT_ID = 1
VARIANTS = ("engine", "explore")
HOLDOUT = "holdout"
EVENT_CHUNK = 1_000_000


@dataclass(frozen=True)
class Month:
    shop_id: int
    start: datetime
    days: int
    served: int
    events: int
    orders: int
    shoppers: int

    @property
    def seconds(self) -> float:
        return timedelta(days=self.days).total_seconds()

    def params(self) -> dict[str, object]:
        return {"shop": self.shop_id, "start": self.start, "span": self.seconds,
                "served": self.served, "events": self.events, "orders": self.orders,
                "shoppers": self.shoppers}


# Zero-padded ids: each insert lands at the right end of the unique index, not all over it.
_LIST_ID = "'r' || lpad(({n})::text, 10, '0')"
_PLACEMENT = "(ARRAY[" + ", ".join(f"'{p}'" for p in PLACEMENTS) + f"])[1 + r % {len(PLACEMENTS)}]"

SERVED_LISTS = f"""
INSERT INTO rankings (shop_id, recommendation_id, placement, visitor_id, customer_id,
                      product_ids, reasons, model_version, created_at, experiment_id, variant,
                      latency_ms)
SELECT :shop, {_LIST_ID.format(n='r')}, placement, 'v' || shopper, NULL,
       to_json(ARRAY[(1000000 + (r * 31) % 100000)::text, (1000000 + (r * 37) % 100000)::text,
                     (1000000 + (r * 41) % 100000)::text, (1000000 + (r * 43) % 100000)::text,
                     (1000000 + (r * 47) % 100000)::text, (1000000 + (r * 53) % 100000)::text]),
       '[]'::json, 'bench', CAST(:start AS timestamptz)
           + make_interval(secs => (r - 1) * CAST(:span AS double precision) / :served),
       CASE WHEN shopper % 20 = 0 OR placement <> 'HOME' THEN NULL ELSE {EXPERIMENT_ID} END,
       CASE WHEN shopper % 20 = 0 THEN '{HOLDOUT}'
            WHEN placement <> 'HOME' THEN NULL
            WHEN shopper % 2 = 0 THEN '{VARIANTS[0]}' ELSE '{VARIANTS[1]}' END,
       3.0 + (r % 97) * 0.25
FROM (SELECT r, {_PLACEMENT} AS placement, (r * 7919) % CAST(:shoppers AS bigint) AS shopper
      FROM generate_series(1, CAST(:served AS bigint)) AS r) AS lists
"""

# Event ``i`` of ``events`` happens at the same share of the month as list ``r`` of
# ``served`` was served, and names that list or one served a few before it.
EVENTS = f"""
INSERT INTO events (shop_id, event_id, type, visitor_id, product_id, recommendation_id,
                    personalization, occurred_at, received_at)
SELECT :shop, 'e' || lpad(i::text, 10, '0'),
       CASE WHEN k < 40 THEN 'PRODUCT_VIEWED' WHEN k < 85 THEN 'RECOMMENDATIONS_VIEWED'
            WHEN k < 97 THEN 'PRODUCT_CLICKED' WHEN k < 99 THEN 'PRODUCT_ADDED_TO_CART'
            ELSE 'PRODUCT_CLICKED' END,
       'v' || (r * 7919) % CAST(:shoppers AS bigint), (1000000 + (r * 31) % 100000)::text,
       CASE WHEN k < 40 THEN NULL WHEN k < 99 THEN {_LIST_ID.format(n='r')} ELSE 'gone-' || i END,
       true, at, at
FROM (SELECT i, i % 100 AS k,
             greatest(1, i * CAST(:served AS bigint) / :events - i % 7) AS r,
             CAST(:start AS timestamptz)
                 + make_interval(secs => (i - 1) * CAST(:span AS double precision) / :events) AS at
      FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS i) AS happened
"""

ORDERS = f"""
INSERT INTO orders (shop_id, platform_id, customer_id, placed_at, cancelled, currency,
                    created_at, recommendation_ids)
SELECT :shop, 'o' || j, NULL, at, false, 'EUR', at,
       CASE WHEN j % 3 = 1 THEN json_build_array({_LIST_ID.format(n='greatest(1, j * :served / :orders - 5)')})
            ELSE '[]'::json END
FROM (SELECT j, CAST(:start AS timestamptz)
                    + make_interval(secs => (j - 0.5) * CAST(:span AS double precision) / :orders) AS at
      FROM generate_series(1, CAST(:orders AS bigint)) AS j) AS placed
"""

ORDER_LINES = """
INSERT INTO order_lines (shop_id, order_key, platform_id, product_id, variant_id, quantity,
                         refunded_quantity, price, recommendation_id)
SELECT o.shop_id, o.id, 'l' || n, (1000000 + (o.id * 13 + n) % 100000)::text, NULL, 1 + n % 2,
       0, 10.0 + o.id % 50,
       CASE WHEN n = 1 AND json_array_length(o.recommendation_ids) > 0
            THEN o.recommendation_ids ->> 0 END
FROM orders AS o CROSS JOIN generate_series(1, 2) AS n
WHERE o.shop_id = :shop
"""

REFUND_LINES = """
INSERT INTO refund_lines (shop_id, refund_id, order_platform_id, line_platform_id, quantity,
                          created_at)
SELECT o.shop_id, 'refund-' || o.id, o.platform_id, 'l1', 1, o.placed_at + interval '2 days'
FROM orders AS o WHERE o.shop_id = :shop AND o.id % 50 = 1
"""


# The indexes of a table that back no constraint: dropped during the bulk load and built
# again after it from their own definitions (one sort each instead of 10 million inserts
# into each of them: the load takes a third of the time).
PLAIN_INDEXES = """
SELECT indexname, indexdef FROM pg_indexes AS i
WHERE schemaname = current_schema() AND tablename = :table AND NOT EXISTS (
    SELECT 1 FROM pg_constraint AS c WHERE c.conindid = quote_ident(i.indexname)::regclass)
"""


@asynccontextmanager
async def indexes_built_after(connection: AsyncConnection, table: str) -> AsyncIterator[None]:
    found = (await connection.execute(text(PLAIN_INDEXES), {"table": table})).all()
    for name, _ in found:
        await connection.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, definition in found:
        await connection.execute(text(definition))


async def seed_month(connection: AsyncConnection, month: Month) -> dict[str, int]:
    """Write the month's rows; how many of each."""
    params = month.params()
    await connection.execute(text("SET synchronous_commit = off"))
    await connection.execute(text("SET maintenance_work_mem = '256MB'"))
    async with indexes_built_after(connection, "rankings"):
        await connection.execute(text(SERVED_LISTS), params)
    async with indexes_built_after(connection, "events"):
        for first in range(1, month.events + 1, EVENT_CHUNK):
            last = min(month.events, first + EVENT_CHUNK - 1)
            await connection.execute(text(EVENTS), {**params, "first": first, "last": last})
    await connection.execute(text(ORDERS), params)
    await connection.execute(text(ORDER_LINES), params)
    await connection.execute(text(REFUND_LINES), params)
    counts = {}
    for table in ("rankings", "events", "orders", "order_lines", "refund_lines"):
        found = await connection.execute(text(f"SELECT count(*) FROM {table}"))
        counts[table] = int(found.scalar_one())
    return counts


_KEY = ", ".join(KEY_COLUMNS)
BUCKET_SQL = (f"CASE WHEN latency_ms <= {FIRST_BOUND_MS} THEN 0 ELSE least({BUCKETS - 1}, "
           f"ceil(ln(latency_ms / {FIRST_BOUND_MS}) / ln({GROWTH}) - 1e-9))::int END")
"""``app.attribution.latency.bucket_of`` of a served list's ``latency_ms``."""
_LISTS = """SELECT shop_id, (created_at AT TIME ZONE 'UTC')::date AS day, placement,
                   coalesce(experiment_id, 0) AS experiment_id, coalesce(variant, '') AS variant,
                   latency_ms, left(coalesce(nullif(visitor_id, ''), nullif(customer_id, '')), 128)
                       AS shopper
            FROM rankings WHERE id > :mark"""
_EVENTS = """SELECT e.shop_id, (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
                    coalesce(r.placement, '') AS placement,
                    coalesce(r.experiment_id, 0) AS experiment_id,
                    CASE WHEN r.id IS NULL THEN '' ELSE coalesce(r.variant, '') END AS variant,
                    e.type, r.id IS NULL AS unknown
             FROM events AS e LEFT JOIN rankings AS r
               ON r.shop_id = e.shop_id AND r.recommendation_id = e.recommendation_id
             WHERE e.id > :event_mark AND coalesce(e.recommendation_id, '') <> ''
               AND (r.id IS NULL OR e.type IN ('RECOMMENDATIONS_VIEWED', 'PRODUCT_CLICKED',
                                               'PRODUCT_ADDED_TO_CART'))"""


def _add_daily(source: str, counters: dict[str, str], prefix: str = "") -> str:
    """Group ``source`` by the daily key and add the ``counters`` (name: aggregate) to
    ``kpi_daily`` (the others 0)."""
    values = ", ".join(counters.get(name, "0") for name in DAILY_COUNTERS)
    added = ", ".join(f"{name} = kpi_daily.{name} + excluded.{name}" for name in counters)
    return f"""{prefix}
INSERT INTO kpi_daily ({_KEY}, {", ".join(DAILY_COUNTERS)})
SELECT {_KEY}, {values} FROM ({source}) AS counted GROUP BY {_KEY}
ON CONFLICT ({_KEY}) DO UPDATE SET {added}"""


def rest_statements() -> list[str]:
    """Served lists, their latency buckets and distinct visitors past ``:mark`` (an id of
    ``rankings``), then events past ``:event_mark``, counted as the fold counts them."""
    return [
        _add_daily(_LISTS, {"served": "count(*)"}),
        f"""INSERT INTO kpi_latency ({_KEY}, bucket, count)
            SELECT {_KEY}, {BUCKET_SQL} AS bucket, count(*) FROM ({_LISTS}) AS l
            WHERE latency_ms IS NOT NULL GROUP BY {_KEY}, 6
            ON CONFLICT ({_KEY}, bucket) DO UPDATE SET count = kpi_latency.count + excluded.count""",
        _add_daily("SELECT * FROM fresh", {"visitors": "count(*)"}, prefix=f"""
WITH fresh AS (
  INSERT INTO kpi_visitor_days ({_KEY}, shopper)
  SELECT DISTINCT {_KEY}, shopper FROM ({_LISTS}) AS l WHERE shopper IS NOT NULL
  ON CONFLICT DO NOTHING RETURNING {_KEY})"""),
        _add_daily(_EVENTS, {
            "impressions": "count(*) FILTER (WHERE NOT unknown AND type = 'RECOMMENDATIONS_VIEWED')",
            "clicks": "count(*) FILTER (WHERE NOT unknown AND type = 'PRODUCT_CLICKED')",
            "add_to_carts": "count(*) FILTER (WHERE NOT unknown AND type = 'PRODUCT_ADDED_TO_CART')",
            "unattributed_events": "count(*) FILTER (WHERE unknown)"}),
    ]
