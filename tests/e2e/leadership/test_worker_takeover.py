"""Two real ``affinity worker`` processes on one database: one of them builds the index,
it is killed with SIGKILL mid-build, the other takes the lead over and completes the build;
the server keeps serving the old version meanwhile, and no version is built twice."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from app.index.files import index_folder, read_pointer
from app.index.models import IndexBuild
from tests.e2e.processes import Affinity, kill, stop
from tests.e2e.test_kill_recovery import (
    ADDED,
    CATALOG,
    DOMAIN,
    FAKE_MODEL,
    SIMILAR,
    assert_whole,
    catalog_file,
    embed_with_fake_model,
    eventually,
)
from tests.integration.webhooks.support import SECRET

pytestmark = pytest.mark.e2e

WORKERS = ("worker-a", "worker-b")


def building(affinity: Affinity, name: str, version: int) -> bool:
    log = affinity.logs / name
    return log.exists() and f"building index v{version}" in log.read_text()


async def versions(affinity: Affinity, shop_id: int) -> list[int]:
    async with affinity.session() as session:
        return list((await session.execute(select(IndexBuild.version).where(
            IndexBuild.shop_id == shop_id).order_by(IndexBuild.version))).scalars())


async def test_the_other_worker_completes_a_build_whose_leader_was_killed(
    fresh_database_url: str, tmp_path: Path
) -> None:
    affinity = Affinity(tmp_path, fresh_database_url, embedding_model=FAKE_MODEL,
                        worker_enabled="false", index_rebuild_threshold=ADDED,
                        annoy_search_k=40_000, worker_interval_seconds=0.2, log_level="INFO")
    await affinity.install_shop(DOMAIN, SECRET)
    affinity.cli("catalog", "import", "--shop", DOMAIN,
                 str(catalog_file(tmp_path / "a.jsonl", 0, CATALOG)))
    shop_id = await affinity.shop_id(DOMAIN)
    await embed_with_fake_model(affinity, shop_id)
    first = affinity.cli("index", "build", "--shop", DOMAIN)[0]["index_version"]
    folder = index_folder(tmp_path / "data" / "indexes", shop_id, FAKE_MODEL)
    affinity.cli("catalog", "import", "--shop", DOMAIN,
                 str(catalog_file(tmp_path / "b.jsonl", CATALOG, ADDED)))
    await embed_with_fake_model(affinity, shop_id)
    affinity.start()
    workers = {name: affinity.spawn(name, "worker") for name in WORKERS}
    try:
        served = affinity.query(SIMILAR, id="P1")["data"]["similarProducts"]["items"]
        assert served

        async def one_builds() -> bool:
            return any(building(affinity, name, first + 1) for name in WORKERS)

        await eventually(one_builds, "a worker starts the build")
        leader = next(name for name in WORKERS if building(affinity, name, first + 1))
        follower = next(name for name in WORKERS if name != leader)
        await asyncio.sleep(0.1)
        kill(workers[leader])
        pointer = read_pointer(folder)
        assert pointer is not None and pointer.version == first  # killed mid-build
        assert not building(affinity, follower, first + 1)  # it never built alongside
        assert affinity.query(SIMILAR, id="P1")["data"]["similarProducts"]["items"] == served

        async def completed() -> bool:
            current = read_pointer(folder)
            return current is not None and current.item_count == CATALOG + ADDED

        await eventually(completed, "the other worker completes the build")
        pointer = read_pointer(folder)
        assert pointer is not None and pointer.version == first + 2  # the dead one's is skipped
        assert building(affinity, follower, first + 2)
        assert_whole(folder, pointer)
        assert await versions(affinity, shop_id) == [first, first + 1, first + 2]
        assert affinity.query(SIMILAR, id=f"P{CATALOG}")["data"]["similarProducts"]["items"]
    finally:
        for process in workers.values():
            stop(process)
        affinity.stop()
