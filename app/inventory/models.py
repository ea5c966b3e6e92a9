"""Stock of an inventory item at one location, and its unit cost, as last reported by the
platform."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base, UtcDateTime


class InventoryLevel(Base):
    __tablename__ = "inventory_levels"
    __table_args__ = (UniqueConstraint("shop_id", "inventory_item_id", "location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    inventory_item_id: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[str] = mapped_column(String(64))
    available: Mapped[int | None] = mapped_column(Integer)
    platform_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class InventoryItemCost(Base):
    """What one unit of an inventory item costs the merchant, as the platform reports it:
    the margin of a sale is known only where this is."""

    __tablename__ = "inventory_item_costs"
    __table_args__ = (UniqueConstraint("shop_id", "inventory_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    inventory_item_id: Mapped[str] = mapped_column(String(64))
    cost: Mapped[float | None] = mapped_column(Float)
    platform_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
