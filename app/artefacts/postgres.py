"""Versions stored in the database (PostgreSQL): files in chunks of ``CHUNK_BYTES`` rows
of ``bytea``, so that no statement carries a whole index and memory stays bounded by one
chunk on both sides. Plain rows rather than large objects: they go through the same
SQLAlchemy sessions and transactions as everything else, and are deleted with their
version row (a large object outlives its reference unless unlinked by hand).

A version is published in one transaction: its row first (the unique constraint makes a
concurrent publisher of the same version wait, then fail), then its chunks, then its
manifest. Readers never see it before the commit."""

import asyncio
import hashlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from app.artefacts.manifest import FileEntry, read_manifest
from app.artefacts.models import ArtefactChunk, ArtefactVersion
from app.artefacts.protocol import (
    ArtefactKind,
    ArtefactUnavailable,
    Sources,
    VersionRef,
    valid_file_name,
)
from app.crypto.file_modes import PRIVATE_FILE
from app.ids import ShopId
from app.storage.database import transaction, utcnow

log = logging.getLogger(__name__)
CHUNK_BYTES = 8 * 1024 * 1024


class PostgresArtefactStore:
    shared = True

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 chunk_bytes: int = CHUNK_BYTES) -> None:
        self._sessions = sessions
        self._chunk_bytes = chunk_bytes

    async def publish(self, ref: VersionRef, files: Sources) -> bool:
        if not all(valid_file_name(name) for name in files):
            raise ValueError("a version's file name must be one plain path segment")
        try:
            async with transaction(self._sessions) as session:
                row = ArtefactVersion(shop_id=ref.shop_id, kind=ref.kind.value, name=ref.name,
                                      version=ref.version, manifest=[], total_bytes=0)
                session.add(row)
                await session.flush()  # a second publisher of this version stops here
                entries = [await self._upload(session, row.id, name, source)
                           for name, source in files.items()]
                row.manifest = [e.as_json() for e in entries]
                row.total_bytes = sum(e.size for e in entries)
                row.published_at = utcnow()
        except IntegrityError:
            return False
        return True

    async def _upload(self, session: AsyncSession, version_id: int, name: str,
                      source: Path | bytes) -> FileEntry:
        digest, size, count = hashlib.sha256(), 0, 0
        async for chunk in _chunks(source, self._chunk_bytes):
            await asyncio.to_thread(digest.update, chunk)
            await session.execute(insert(ArtefactChunk).values(
                version_id=version_id, file_name=name, chunk_no=count, data=chunk))
            size, count = size + len(chunk), count + 1
        return FileEntry(name, size, digest.hexdigest(), count)

    async def newest(self) -> list[VersionRef]:
        last = (select(func.max(ArtefactVersion.id))
                .group_by(ArtefactVersion.shop_id, ArtefactVersion.kind, ArtefactVersion.name))
        stmt = (select(ArtefactVersion.shop_id, ArtefactVersion.kind, ArtefactVersion.name,
                       ArtefactVersion.version)
                .where(ArtefactVersion.id.in_(last)).order_by(ArtefactVersion.id))
        async with transaction(self._sessions) as session:
            rows = (await session.execute(stmt)).all()
        kinds = {k.value: k for k in ArtefactKind}
        return [VersionRef(ShopId(shop), kinds[kind], name, version)
                for shop, kind, name, version in rows if kind in kinds]

    async def download(self, ref: VersionRef, into: Path) -> None:
        async with transaction(self._sessions) as session:
            row = (await session.execute(select(ArtefactVersion.id, ArtefactVersion.manifest)
                                         .where(*_is(ref)))).first()
            if row is None:
                raise ArtefactUnavailable("version no longer published")
            for entry in read_manifest(row.manifest):
                await _download_file(session, row.id, entry, into / entry.name)

    async def retain(self, shop_id: ShopId, kind: ArtefactKind, name: str, keep: int) -> int:
        async with transaction(self._sessions) as session:
            old = list((await session.execute(
                select(ArtefactVersion.id)
                .where(ArtefactVersion.shop_id == shop_id, ArtefactVersion.kind == kind.value,
                       ArtefactVersion.name == name)
                .order_by(ArtefactVersion.id.desc()).offset(max(keep, 0)))).scalars())
            if old:
                await session.execute(delete(ArtefactChunk)
                                      .where(ArtefactChunk.version_id.in_(old)))
                await session.execute(delete(ArtefactVersion).where(ArtefactVersion.id.in_(old)))
        return len(old)

    async def forget(self, shop_id: ShopId) -> None:
        async with transaction(self._sessions) as session:
            versions = select(ArtefactVersion.id).where(ArtefactVersion.shop_id == shop_id)
            await session.execute(delete(ArtefactChunk)
                                  .where(ArtefactChunk.version_id.in_(versions)))
            await session.execute(delete(ArtefactVersion)
                                  .where(ArtefactVersion.shop_id == shop_id))


def _is(ref: VersionRef) -> tuple[ColumnElement[bool], ...]:
    return (ArtefactVersion.shop_id == ref.shop_id, ArtefactVersion.kind == ref.kind.value,
            ArtefactVersion.name == ref.name, ArtefactVersion.version == ref.version)


async def _chunks(source: Path | bytes, size: int) -> AsyncIterator[bytes]:
    if isinstance(source, bytes):
        for start in range(0, len(source), size):
            yield source[start:start + size]
        return
    with await asyncio.to_thread(open, source, "rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk


async def _download_file(session: AsyncSession, version_id: int, entry: FileEntry,
                         path: Path) -> None:
    digest, size = hashlib.sha256(), 0
    with await asyncio.to_thread(_create, path) as handle:
        for number in range(entry.chunks):
            data = await session.scalar(select(ArtefactChunk.data).where(
                ArtefactChunk.version_id == version_id, ArtefactChunk.file_name == entry.name,
                ArtefactChunk.chunk_no == number))
            if data is None:
                raise ArtefactUnavailable("a chunk of the version is missing")
            size += len(data)
            if size > entry.size:
                raise ArtefactUnavailable("a file is larger than its manifest says")
            await asyncio.to_thread(_write, handle, digest, data)
        await asyncio.to_thread(_sync, handle)
    if size != entry.size or digest.hexdigest() != entry.sha256:
        raise ArtefactUnavailable("a file does not match its checksum")


def _create(path: Path) -> IO[bytes]:
    return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE), "wb")


def _write(handle: IO[bytes], digest: "hashlib._Hash", data: bytes) -> None:
    digest.update(data)
    handle.write(data)


def _sync(handle: IO[bytes]) -> None:
    handle.flush()
    os.fsync(handle.fileno())
