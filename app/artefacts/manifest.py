"""A published version's manifest: each file's name, size, SHA-256 and chunk count, read
back with every field bounded (a manifest out of bounds makes the version unavailable)."""

import re
from dataclasses import asdict, dataclass
from typing import Any

from app.artefacts.protocol import ArtefactUnavailable, valid_file_name

MAX_FILES = 32
MAX_CHUNKS = 1_000_000
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    sha256: str
    chunks: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def read_manifest(raw: object) -> list[FileEntry]:
    if not isinstance(raw, list) or len(raw) > MAX_FILES:
        raise ArtefactUnavailable("manifest out of bounds")
    entries = [_entry(item) for item in raw]
    if len({e.name for e in entries}) != len(entries):
        raise ArtefactUnavailable("manifest names a file twice")
    return entries


def _entry(item: object) -> FileEntry:
    if not isinstance(item, dict):
        raise ArtefactUnavailable("manifest entry malformed")
    name, size, digest, chunks = (item.get(k) for k in ("name", "size", "sha256", "chunks"))
    if not (isinstance(name, str) and valid_file_name(name)
            and type(size) is int and size >= 0
            and isinstance(digest, str) and SHA256.fullmatch(digest)
            and type(chunks) is int and 0 <= chunks <= MAX_CHUNKS):
        raise ArtefactUnavailable("manifest entry malformed")
    return FileEntry(name, size, digest, chunks)
