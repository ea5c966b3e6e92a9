"""History of index builds; the file pointer on disk says which one is served."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base, UtcDateTime, utcnow


class IndexBuild(Base):
    __tablename__ = "index_builds"
    __table_args__ = (UniqueConstraint("shop_id", "model_name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    model_name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    item_count: Mapped[int] = mapped_column(Integer)
    snapshot_at: Mapped[datetime] = mapped_column(UtcDateTime)
    built_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
