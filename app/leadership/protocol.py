"""The port a job runner asks before it runs a shop's job."""

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from app.ids import ShopId
from app.leadership.keys import Job


class Leadership(Protocol):
    def lead(self, job: Job, shop_id: ShopId) -> AbstractAsyncContextManager[bool]:
        """Enter: True when this process now leads the pair (and keeps leading it until the
        block ends), False when another holder leads it. Never waits for the other holder."""
        ...
