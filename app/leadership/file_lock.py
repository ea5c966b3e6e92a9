"""``flock`` on one file per (job, shop) under the data folder, for a SQLite installation
(one machine by construction). The kernel releases the lock when its holder exits, killed or
not. ``flock`` belongs to the open file, so two runners in one process exclude each other too.
The holder's pid is written into the file, for an operator who wants to know who leads."""

import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from app.crypto.file_modes import PRIVATE_FILE, private_folder
from app.ids import ShopId
from app.leadership.keys import Job, lock_file_name


class FileLockLeadership:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    @asynccontextmanager
    async def lead(self, job: Job, shop_id: ShopId) -> AsyncIterator[bool]:
        self._folder.mkdir(parents=True, exist_ok=True)
        private_folder(self._folder)
        descriptor = os.open(self._folder / lock_file_name(job, shop_id),
                             os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        try:
            taken = _try_lock(descriptor)
            if taken:
                os.ftruncate(descriptor, 0)
                os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
            yield taken
        finally:
            os.close(descriptor)  # closing the last descriptor releases the lock


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
