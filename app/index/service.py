"""Build a shop's index: snapshot the vectors, write a new version, swap the pointer.

A version number is taken by inserting its ``index_builds`` row under the table's unique
(shop, model, version) constraint before any file of it is written: two builders can never
write the same version's files, and a version whose build died is never taken again (its
orphaned files go with the versions pruned later)."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.embeddings.models import ProductEmbedding
from app.embeddings.service import from_bytes
from app.ids import ShopId
from app.index.annoy_index import build_annoy_file, neighbour_lists
from app.index.files import (
    IndexPointer,
    index_folder,
    prune_old_versions,
    read_pointer,
    save_array,
    write_pointer,
)
from app.index.models import IndexBuild
from app.storage.database import utcnow


@dataclass(frozen=True)
class BuildResult:
    version: int
    item_count: int
    path: Path


async def _next_version(session: AsyncSession, shop_id: ShopId, model_name: str, folder: Path) -> int:
    stmt = select(func.max(IndexBuild.version)).where(
        IndexBuild.shop_id == shop_id, IndexBuild.model_name == model_name
    )
    stored = (await session.execute(stmt)).scalar_one_or_none() or 0
    pointer = read_pointer(folder)
    return max(stored, pointer.version if pointer else 0) + 1


async def reserve_version(session: AsyncSession, shop_id: ShopId, model_name: str,
                          index_dir: Path) -> int:
    """Take the next version number: its row inserted and flushed (a concurrent taker of the
    same number fails on the unique constraint). A job commits it on its own, before the
    build, so that a build killed midway never gives its number to the next one."""
    folder = index_folder(index_dir, shop_id, model_name)
    version = await _next_version(session, shop_id, model_name, folder)
    now = utcnow()
    session.add(IndexBuild(shop_id=shop_id, model_name=model_name, version=version,
                           file_name=_file_name(version), item_count=0, snapshot_at=now,
                           built_at=now))
    await session.flush()
    return version


async def changes_since_current(session: AsyncSession, shop_id: ShopId, model_name: str,
                                index_dir: Path) -> int:
    """Vectors stored after the snapshot of the version on disk now (all of them without
    one): read from the pointer itself, never from a process's cached view of it."""
    pointer = read_pointer(index_folder(index_dir, shop_id, model_name))
    stmt = select(func.count()).select_from(ProductEmbedding).where(
        ProductEmbedding.shop_id == shop_id, ProductEmbedding.model_name == model_name)
    if pointer is not None:
        stmt = stmt.where(ProductEmbedding.updated_at > pointer.snapshot_at)
    return int((await session.execute(stmt)).scalar_one())


def _file_name(version: int) -> str:
    return f"v{version:06d}.ann"


async def _build_row(session: AsyncSession, shop_id: ShopId, model_name: str,
                     version: int) -> IndexBuild:
    row = (await session.execute(select(IndexBuild).where(
        IndexBuild.shop_id == shop_id, IndexBuild.model_name == model_name,
        IndexBuild.version == version))).scalar_one_or_none()
    if row is None:
        raise LookupError(f"index version {version} was not reserved")
    return row


async def _snapshot(
    session: AsyncSession, shop_id: ShopId, model_name: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """All vectors of non-deleted products (availability is filtered at query time)."""
    stmt = (
        select(ProductEmbedding.product_key, ProductEmbedding.vector, ProductEmbedding.dimension)
        .join(Product, Product.id == ProductEmbedding.product_key)
        .where(
            ProductEmbedding.shop_id == shop_id,
            ProductEmbedding.model_name == model_name,
            Product.deleted.is_(False),
        )
        .order_by(ProductEmbedding.product_key)
    )
    rows = (await session.execute(stmt)).all()
    keys = np.array([r[0] for r in rows], dtype=np.int64)
    dimension = int(rows[0][2]) if rows else 0
    vectors = np.stack([from_bytes(r[1]) for r in rows]) if rows else np.zeros((0, 0), np.float32)
    return keys, vectors.astype(np.float32), dimension


async def build_index(
    session: AsyncSession, shop_id: ShopId, model_name: str, index_dir: Path, trees: int,
    search_k: int = -1, threads: int | None = None, reserved: int | None = None,
) -> BuildResult:
    """Write a new immutable index version and make it current atomically, with each
    item's nearest items precomputed at ``search_k`` (the served setting) by ``threads``
    threads (default: one per core; a serving process leaves cores to its requests).
    ``reserved``: a version taken by ``reserve_version`` and committed; without it, the
    version is taken in this session before any file is written."""
    folder = index_folder(index_dir, shop_id, model_name)
    folder.mkdir(parents=True, exist_ok=True)
    # Taken before reading: anything embedded after this instant is served from the delta.
    snapshot_at = utcnow()
    keys, vectors, dimension = await _snapshot(session, shop_id, model_name)
    version = (reserved if reserved is not None
               else await reserve_version(session, shop_id, model_name, index_dir))
    build = await _build_row(session, shop_id, model_name, version)
    file_name, keys_file = _file_name(version), f"v{version:06d}.keys.npy"
    vectors_file = f"v{version:06d}.vectors.npy"
    neighbours_file = f"v{version:06d}.neighbours.npy"
    if len(keys):
        await asyncio.to_thread(build_annoy_file, folder / file_name, vectors, trees)
        neighbours = await asyncio.to_thread(
            neighbour_lists, folder / file_name, dimension, search_k, threads)
        save_array(folder / neighbours_file, neighbours)
    save_array(folder / keys_file, keys)
    save_array(folder / vectors_file, vectors)
    pointer = IndexPointer(version, file_name, keys_file, dimension, len(keys), snapshot_at,
                           vectors_file, neighbours_file if len(keys) else None, search_k)
    build.item_count, build.snapshot_at, build.built_at = len(keys), snapshot_at, utcnow()
    await session.flush()
    write_pointer(folder, pointer)
    prune_old_versions(folder, version)
    return BuildResult(version=version, item_count=len(keys), path=folder / file_name)
