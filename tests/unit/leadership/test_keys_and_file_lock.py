"""The lock key is the same in every process (unlike ``hash``), fits PostgreSQL's bigint,
and differs between jobs and shops; the file lock excludes a second holder, also one in
another process, and is free again once its holder exits, even killed."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.ids import ShopId
from app.leadership.file_lock import FileLockLeadership
from app.leadership.keys import Job, lock_file_name, lock_key

KEY_IN_A_CHILD = ("from app.leadership.keys import Job, lock_key; from app.ids import ShopId; "
                  "print(lock_key(Job.INDEX_BUILD, ShopId(42)))")
HOLD_IN_A_CHILD = """
import asyncio, sys
from pathlib import Path
from app.ids import ShopId
from app.leadership.file_lock import FileLockLeadership
from app.leadership.keys import Job

async def main() -> None:
    async with FileLockLeadership(Path(sys.argv[1])).lead(Job.TRAINING, ShopId(7)) as leading:
        print("leading" if leading else "not leading", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


def test_the_key_is_stable_across_processes_and_fits_a_bigint() -> None:
    keys = set()
    for seed in ("1", "2"):
        child = subprocess.run([sys.executable, "-c", KEY_IN_A_CHILD], capture_output=True,
                               text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        keys.add(int(child.stdout))
    assert keys == {lock_key(Job.INDEX_BUILD, ShopId(42))}
    every = {lock_key(job, ShopId(shop)) for job in Job for shop in range(1, 200)}
    assert len(every) == len(Job) * 199
    assert all(-(2**63) <= key < 2**63 for key in every)


async def test_the_file_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    first, second = FileLockLeadership(tmp_path), FileLockLeadership(tmp_path)
    async with first.lead(Job.INDEX_BUILD, ShopId(3)) as leading:
        assert leading
        assert (tmp_path / lock_file_name(Job.INDEX_BUILD, ShopId(3))).read_text() == (
            f"{os.getpid()}\n")
        async with second.lead(Job.INDEX_BUILD, ShopId(3)) as also:
            assert not also
    async with second.lead(Job.INDEX_BUILD, ShopId(3)) as after:
        assert after


def leads(folder: Path) -> bool:
    async def attempt() -> bool:
        async with FileLockLeadership(folder).lead(Job.TRAINING, ShopId(7)) as leading:
            return leading

    return asyncio.run(attempt())


def test_a_killed_holder_frees_the_lock(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", HOLD_IN_A_CHILD, str(tmp_path)],
                          stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "leading"
            assert not leads(tmp_path)
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
    deadline = time.monotonic() + 5
    while not leads(tmp_path):
        assert time.monotonic() < deadline, "the lock outlived its killed holder"
        time.sleep(0.05)
