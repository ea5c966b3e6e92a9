"""A stored experiment: its variants with their traffic shares, its salt and its state."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base, UtcDateTime, utcnow

EXPERIMENT_DRAFT = "draft"
EXPERIMENT_RUNNING = "running"
EXPERIMENT_STOPPED = "stopped"


class Experiment(Base):
    """One experiment of a shop, on one placement or (``placement`` None) on every one.

    ``variants`` holds ``[{"name", "config", "share"}]``; ``control`` names the variant the
    others are compared with; ``guardrails`` the limits that stop a variant by themselves."""

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("shop_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    placement: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=EXPERIMENT_DRAFT)
    salt: Mapped[str] = mapped_column(String(32))
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    control: Mapped[str] = mapped_column(String(64))
    guardrails: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stop_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
