"""Published index and model versions: one row per version, its files in chunks.

The version's row carries the manifest (each file's size, SHA-256 and chunk count) and is
inserted in the transaction that stores the chunks: a reader sees a whole version or none,
and a second publisher of the same version fails on the unique constraint."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base, UtcDateTime, utcnow


class ArtefactVersion(Base):
    __tablename__ = "artefact_versions"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(200))
    manifest: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ArtefactChunk(Base):
    __tablename__ = "artefact_chunks"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("artefact_versions.id", ondelete="CASCADE"), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    chunk_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
