"""What is led, and the stable 64-bit key of a (job, shop) pair that every process and
every machine computes alike (Python's ``hash`` is salted per process)."""

import hashlib
from enum import StrEnum

from app.ids import ShopId


class Job(StrEnum):
    EMBEDDING = "embedding"
    INDEX_BUILD = "index-build"
    TRAINING = "training"


def lock_key(job: Job, shop_id: ShopId) -> int:
    """A signed 64-bit integer, the range of PostgreSQL's advisory lock keys."""
    digest = hashlib.blake2b(f"affinity:{job.value}:{shop_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_file_name(job: Job, shop_id: ShopId) -> str:
    return f"{job.value}-shop-{int(shop_id)}.lock"
