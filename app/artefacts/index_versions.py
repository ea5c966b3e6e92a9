"""Index versions in the local index folder (``app.index.files``): the version's data files
and its pointer, published as the file ``CURRENT``; installed by renaming the data files
into the folder, then swapping the pointer, then pruning as a local build does."""

import json
import os
from pathlib import Path

from app.artefacts.protocol import ArtefactKind, ArtefactUnavailable, Sources, valid_file_name
from app.crypto.file_modes import private_folder
from app.ids import ShopId
from app.index.files import (
    POINTER,
    IndexPointer,
    index_folder,
    prune_old_versions,
    read_pointer,
    write_pointer,
)


class IndexVersions:
    kind = ArtefactKind.INDEX

    def __init__(self, index_dir: Path) -> None:
        self._index_dir = index_dir

    def current(self, shop_id: ShopId, name: str) -> str | None:
        pointer = read_pointer(index_folder(self._index_dir, shop_id, name))
        return None if pointer is None else str(pointer.version)

    def is_newer(self, candidate: str, current: str) -> bool:
        return _number(candidate) > _number(current)

    def sources(self, shop_id: ShopId, name: str, version: str) -> Sources | None:
        folder = index_folder(self._index_dir, shop_id, name)
        try:
            raw = (folder / POINTER).read_bytes()
            pointer = _checked(folder)
        except (FileNotFoundError, ArtefactUnavailable):
            return None
        if str(pointer.version) != version or _version_in(raw) != pointer.version:
            return None  # a newer build is current (it publishes itself), or just swapped
        files: dict[str, Path | bytes] = {n: folder / n for n in _data_files(pointer)
                                          if (folder / n).is_file()}
        files[POINTER] = raw
        return files

    def staging_parent(self, shop_id: ShopId, name: str) -> Path:
        return private_folder(index_folder(self._index_dir, shop_id, name))

    def install(self, shop_id: ShopId, name: str, version: str, staged: Path) -> None:
        pointer = _checked(staged)
        if str(pointer.version) != version:
            raise ArtefactUnavailable("the version's pointer does not name it")
        names = _data_files(pointer)
        missing = [n for n in names if not (staged / n).is_file()]
        # An empty index has no Annoy file: nothing else may be missing.
        if missing and (pointer.item_count or missing != [pointer.file_name]):
            raise ArtefactUnavailable("a file the pointer names is missing")
        folder = index_folder(self._index_dir, shop_id, name)
        for file_name in names:
            if file_name not in missing:
                os.replace(staged / file_name, folder / file_name)
        write_pointer(folder, pointer)
        prune_old_versions(folder, pointer.version)


def _number(version: str) -> int:
    return int(version) if version.isdigit() and len(version) <= 18 else -1


def _data_files(pointer: IndexPointer) -> list[str]:
    names = (pointer.file_name, pointer.keys_file, pointer.vectors_file, pointer.neighbours_file)
    return [n for n in names if n]


def _version_in(raw: bytes) -> object:
    try:
        payload = json.loads(raw)
    except ValueError:
        return None
    return payload.get("version") if isinstance(payload, dict) else None


def _checked(folder: Path) -> IndexPointer:
    """The pointer in ``folder``, its files plain names in the same folder."""
    try:
        pointer = read_pointer(folder)
    except (KeyError, TypeError, ValueError) as error:
        raise ArtefactUnavailable("the version's pointer is malformed") from error
    if pointer is None:
        raise ArtefactUnavailable("the version has no pointer")
    if not all(valid_file_name(n) for n in _data_files(pointer)):
        raise ArtefactUnavailable("the version's pointer names a file elsewhere")
    return pointer
