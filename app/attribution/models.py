"""The rollups that KPI and experiment queries read instead of events and orders.

Every table is keyed by shop, and the daily ones by (shop, day, placement, experiment,
variant). Columns of those keys are never null: ``placement`` ``""``, ``experiment_id`` 0 and
``variant`` ``""`` stand for "none", because a unique key treats nulls as distinct, and the
upserts that add to a row find it by that key on both databases."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base, UtcDateTime, utcnow

NO_PLACEMENT = ""
NO_EXPERIMENT = 0
NO_VARIANT = ""
SHOPPER_CHARS = 128


class DailyKey:
    """The columns that key a daily rollup row: shop, day, placement, experiment, variant."""

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    placement: Mapped[str] = mapped_column(String(32))
    experiment_id: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(64))


class KpiDaily(DailyKey, Base):
    """Counters of one day of one placement and variant. Revenues are gross; refunds are
    kept apart (``refunded_revenue``) and taken off when read."""

    __tablename__ = "kpi_daily"
    # Its leading columns (shop_id, day) serve the KPI query's range scan.
    __table_args__ = (UniqueConstraint("shop_id", "day", "placement", "experiment_id", "variant"),)

    served: Mapped[int] = mapped_column(Integer, default=0)
    impressions: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    add_to_carts: Mapped[int] = mapped_column(Integer, default=0)
    visitors: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    """Orders with at least one line attributed here through the cart or a click."""
    attributed_revenue: Mapped[float] = mapped_column(Float, default=0.0)
    refunded_revenue: Mapped[float] = mapped_column(Float, default=0.0)
    recommended_order_revenue: Mapped[float] = mapped_column(Float, default=0.0)
    """The whole value of the ``orders`` counted here (for their average order value)."""
    view_through_orders: Mapped[int] = mapped_column(Integer, default=0)
    view_through_revenue: Mapped[float] = mapped_column(Float, default=0.0)
    plain_orders: Mapped[int] = mapped_column(Integer, default=0)
    """Orders with no recommended item (kept on the shop's row, placement ``""``)."""
    plain_order_revenue: Mapped[float] = mapped_column(Float, default=0.0)
    margin: Mapped[float] = mapped_column(Float, default=0.0)
    costed_lines: Mapped[int] = mapped_column(Integer, default=0)
    """Attributed lines whose unit cost was known: ``margin`` means nothing without them."""
    unattributed_events: Mapped[int] = mapped_column(Integer, default=0)


class KpiLatency(DailyKey, Base):
    """How many served lists fell in each fixed latency bucket (``app.attribution.latency``)."""

    __tablename__ = "kpi_latency"
    __table_args__ = (
        UniqueConstraint("shop_id", "day", "placement", "experiment_id", "variant", "bucket"),
    )

    bucket: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)


class KpiVisitorDay(DailyKey, Base):
    """A shopper served a list of a placement and variant on a day: visitors count once a day."""

    __tablename__ = "kpi_visitor_days"
    __table_args__ = (
        UniqueConstraint("shop_id", "day", "placement", "experiment_id", "variant", "shopper"),
    )

    shopper: Mapped[str] = mapped_column(String(SHOPPER_CHARS))


class ExperimentUnit(Base):
    """One shopper of one experiment variant and what they did: the rows whose sums,
    squares and products are the experiment's moments (``app.attribution.moments``)."""

    __tablename__ = "experiment_units"
    __table_args__ = (UniqueConstraint("shop_id", "experiment_id", "variant", "shopper"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    experiment_id: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(64))
    shopper: Mapped[str] = mapped_column(String(SHOPPER_CHARS))
    impressions: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    add_to_carts: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[float] = mapped_column(Float, default=0.0)


class AttributedLine(Base):
    """An order line credited to a served list, remembered so that a later refund of the
    line is taken off the same day, placement and variant."""

    __tablename__ = "attributed_lines"
    __table_args__ = (UniqueConstraint("shop_id", "order_platform_id", "line_platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_platform_id: Mapped[str] = mapped_column(String(64))
    line_platform_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    """``cart`` (ids carried by the order), ``click`` or ``view`` (within a window)."""
    day: Mapped[date] = mapped_column(Date)
    placement: Mapped[str] = mapped_column(String(32))
    experiment_id: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(64))
    shopper: Mapped[str | None] = mapped_column(String(SHOPPER_CHARS))
    unit_price: Mapped[float] = mapped_column(Float)
    unit_cost: Mapped[float | None] = mapped_column(Float)
    quantity: Mapped[int] = mapped_column(Integer)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)


class RollupWatermark(Base):
    """How far the rollups have read one source table (by its id), and the ids below that
    still missing when it was read (``gaps``: ``[[first, last, seen_at_epoch], ...]``): on
    PostgreSQL a transaction can commit a row after rows with higher ids were read."""

    __tablename__ = "rollup_watermarks"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    gaps: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
