"""A server in another process sees each index version whole while a worker builds.

The worker writes a version's files, then swaps the ``CURRENT`` pointer with
``os.replace``; a server re-reads the pointer often and opens the files it names. Here a
separate process reads the pointer and opens the index in a tight loop while this one
builds version after version: it never reads a partial pointer, nor a pointer naming a file
that is not there (files of versions older than ``KEEP_VERSIONS`` are pruned: a reader
overtaken by that many builds between reading the pointer and opening may miss them)."""

import multiprocessing
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import pytest

from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.index.files import KEEP_VERSIONS, IndexPointer, index_folder, read_pointer
from tests.conftest import migrated_database
from tests.factories import MUGS_AND_MORE, product
from tests.support import harness

BUILDS = 30
PATIENCE = 60.0  # seconds: only a broken run comes near it


def _open(folder: Path, pointer: IndexPointer) -> None:
    """What a server opens of a version: every file the pointer names."""
    names = (pointer.file_name, pointer.vectors_file, pointer.neighbours_file)
    for name in (n for n in names if n):
        with open(folder / name, "rb") as handle:
            handle.read(1)
    assert len(np.load(folder / pointer.keys_file)) == pointer.item_count


def _read_until(folder: Path, last: int, report: Connection) -> None:
    """In another process: read and open in a tight loop until version ``last`` is seen;
    report "ready" at the first version read, then the reads and what went wrong."""
    reads = overtaken = seen = 0
    errors: list[str] = []
    while seen < last and len(errors) < 10:
        try:
            pointer = read_pointer(folder)
            if pointer is None:
                errors.append("CURRENT missing")
                continue
            try:
                _open(folder, pointer)
            except FileNotFoundError as missing:
                now = read_pointer(folder)
                if now is None or now.version < pointer.version + KEEP_VERSIONS:
                    errors.append(f"v{pointer.version}: {missing}")
                else:
                    overtaken += 1
                continue
        except Exception as exc:  # noqa: BLE001 - any failure to read is what is looked for
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        if not seen:
            report.send("ready")
        seen = max(seen, pointer.version)
        reads += 1
    report.send({"reads": reads, "overtaken": overtaken, "errors": errors})


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """One backend is enough: the pointer and the files are the same for both."""
    with migrated_database("sqlite", tmp_path) as url:
        yield url


async def test_a_reader_in_another_process_never_sees_a_partial_swap(
    sqlite_url: str, tmp_path: Path, embedder: SentenceTransformerEmbedder,
) -> None:
    async with harness(sqlite_url, tmp_path, embedder) as h:
        shop, _ = await h.add_shop([product(pid, title) for pid, title in MUGS_AND_MORE])
        folder = index_folder(h.settings.index_dir, shop, embedder.model_name)
        first = read_pointer(folder)
        assert first is not None
        ours, theirs = multiprocessing.Pipe(duplex=False)
        reader = multiprocessing.get_context("spawn").Process(
            target=_read_until, args=(folder, first.version + BUILDS, theirs), daemon=True)
        reader.start()
        try:
            assert ours.poll(PATIENCE), "the reader never started"
            started = ours.recv()
            assert started == "ready", started
            for _ in range(BUILDS):
                await h.build(shop)
            assert ours.poll(PATIENCE), "the reader never saw the last version"
            outcome = ours.recv()
        finally:
            reader.join(PATIENCE)
            if reader.is_alive():
                reader.kill()
    assert outcome["errors"] == [], outcome
    assert outcome["reads"] > BUILDS
