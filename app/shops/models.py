"""A shop is the tenant: every other row belongs to exactly one."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base, UtcDateTime, utcnow

SHOP_ACTIVE = "active"
SHOP_UNINSTALLED = "uninstalled"


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    storefront_key: Mapped[str] = mapped_column(String(64), unique=True)
    admin_token_hash: Mapped[str] = mapped_column(String(64))
    server_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 of the private server key (``srk_...``), which only the shop's servers send."""
    customer_token_secret: Mapped[str | None] = mapped_column(Text)
    """Signs customer tokens (``app.shops.customer_tokens``); encrypted at rest."""
    webhook_secrets: Mapped[list[str]] = mapped_column(JSON, default=list)
    storefront_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=SHOP_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
