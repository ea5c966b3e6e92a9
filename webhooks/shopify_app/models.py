"""The OAuth states already used, kept until they expire, so that none is used twice."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base, UtcDateTime


class UsedInstallState(Base):
    __tablename__ = "shopify_used_states"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
