"""Stored events, served rankings and the visitor-to-customer links."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.events.sources import SOURCE_KEY_LENGTH
from app.storage.database import Base, UtcDateTime, utcnow


class Event(Base):
    """One storefront event, stored only with analytics consent."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("shop_id", "event_id"),
        # A shopper's recent events, newest first: read on every personalized request.
        Index("ix_events_shop_id_visitor_id_occurred_at", "shop_id", "visitor_id", "occurred_at"),
        Index("ix_events_shop_id_customer_id_occurred_at", "shop_id", "customer_id",
              "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(32))
    visitor_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str | None] = mapped_column(String(128))
    product_id: Mapped[str | None] = mapped_column(String(64))
    variant_id: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int | None] = mapped_column(Integer)
    query: Mapped[str | None] = mapped_column(String(512))
    recommendation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    dwell_ms: Mapped[int | None] = mapped_column(Integer)
    personalization: Mapped[bool] = mapped_column(default=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    source_key: Mapped[str | None] = mapped_column(String(SOURCE_KEY_LENGTH))
    """A keyed hash of the network address the event came from (``events.sources``), so
    that co-views count each address once; never the address itself."""


class VisitorLink(Base):
    """A storefront visitor id known to belong to a logged-in customer."""

    __tablename__ = "visitor_links"
    __table_args__ = (
        UniqueConstraint("shop_id", "visitor_id"),
        Index("ix_visitor_links_shop_id_customer_id", "shop_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    visitor_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(String(128))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Ranking(Base):
    """What was shown, in what order, under which id: the join key for later events."""

    __tablename__ = "rankings"
    __table_args__ = (
        UniqueConstraint("recommendation_id"),
        Index("ix_rankings_shop_id_customer_id", "shop_id", "customer_id"),  # erasure
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[str] = mapped_column(String(64))
    placement: Mapped[str] = mapped_column(String(32))
    visitor_id: Mapped[str | None] = mapped_column(String(128), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(128))
    product_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    model_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    experiment_id: Mapped[int | None] = mapped_column(Integer)
    """The experiment that chose the list's variant (none: the shop's default engine)."""
    variant: Mapped[str | None] = mapped_column(String(64))
    """The variant served: one of the experiment's, or ``holdout`` for the shop's holdout."""
    latency_ms: Mapped[float | None] = mapped_column(Float)
    """The server's own time from the request's start to the list, in milliseconds."""
