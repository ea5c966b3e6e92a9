"""The port between the local index and model folders and a store other machines read.

A version is published whole or not at all: a reader sees every file of it, checksummed,
or nothing. ``local`` (the default) shares nothing: servers read the folders the builder
writes, on one machine or a shared filesystem."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from app.ids import ShopId

MAX_NAME_CHARS = 255
MAX_VERSION_CHARS = 200
FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}")
"""A file of a version: one path segment, never hidden, never ``..``."""


class ArtefactKind(str, Enum):
    INDEX = "index"
    MODEL = "model"


@dataclass(frozen=True)
class VersionRef:
    """One version of one shop's index (``name``: the embedding model) or model."""

    shop_id: ShopId
    kind: ArtefactKind
    name: str
    version: str


Sources = Mapping[str, Path | bytes]
"""A version's files by name: a file on disk, or its content."""


class ArtefactUnavailable(Exception):
    """A version could not be read whole: a chunk missing, a checksum or a size that does
    not match, a manifest out of bounds. What was written of it is to be discarded."""


class ArtefactStore(Protocol):
    shared: bool
    """Whether other machines read what is published here (``False``: nothing to do)."""

    async def publish(self, ref: VersionRef, files: Sources) -> bool:
        """Store every file of the version and make it visible at once; ``False`` when
        the version was published already (by this machine or another)."""
        ...

    async def newest(self) -> list[VersionRef]:
        """The version published last of each shop, kind and name."""
        ...

    async def download(self, ref: VersionRef, into: Path) -> None:
        """Write the version's files into the folder ``into``, each checked against its
        size and checksum (``ArtefactUnavailable`` otherwise)."""
        ...

    async def retain(self, shop_id: ShopId, kind: ArtefactKind, name: str, keep: int) -> int:
        """Delete all but the ``keep`` newest versions; returns how many were deleted."""
        ...

    async def forget(self, shop_id: ShopId) -> None:
        """Delete every version of the shop (the shop was erased)."""
        ...


def valid_file_name(name: str) -> bool:
    return FILE_NAME.fullmatch(name) is not None
