"""A shop's merchandising rules and the audit trail of every change to them.

Rules are stored as the merchant wrote them (references by platform id, schedules in the
shop's wall-clock time); serving compiles them in memory (``app.rules.directory``). The
audit keeps its rows when a rule is deleted, so it has no foreign key to ``rules``."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base, UtcDateTime, utcnow


class Rule(Base):
    """One rule of a shop, on one placement or (``placement`` None) on every one.

    ``kind`` says which other columns it uses (``app.rules.specs``): ``field``/``values``
    (and ``price_min``/``price_max`` for prices) what it matches, ``product_id``/``position``
    a pin, ``strength`` a boost or bury, ``threshold`` a margin floor or minimum stock."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    placement: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(String(16))
    values: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_min: Mapped[float | None] = mapped_column(Float)
    price_max: Mapped[float | None] = mapped_column(Float)
    product_id: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int | None] = mapped_column(Integer)
    strength: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime())
    """Wall-clock time in the shop's time zone (no offset)."""
    ends_at: Mapped[datetime | None] = mapped_column(DateTime())
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class RuleAudit(Base):
    """One change of a rule: who (the admin token's shop and a fingerprint of the token's
    hash, never the token), when, and the rule before and after (JSON; None when created
    or deleted)."""

    __tablename__ = "rule_audit"
    __table_args__ = (Index("ix_rule_audit_shop_id_id", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
