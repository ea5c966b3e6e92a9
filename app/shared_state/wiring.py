"""What a server process runs to share its live state, built from ``settings.redis_url``."""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from app.http.rate_limit import RateLimits
from app.shared_state.announcements import Reload, VersionKind, VersionListener
from app.shared_state.connection import RedisLink
from app.shared_state.rate_limits import SharedRateLimits
from app.shared_state.sessions import SharedSessions
from app.shared_state.trend import RuntimeOf, SharedTrend


@dataclass
class SharedState:
    """The process's link to Redis and the background work that keeps it in step."""

    link: RedisLink
    sessions: SharedSessions
    rate_limits: SharedRateLimits
    versions: VersionListener
    trend: SharedTrend

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: sessions, rate limits, orders and version announcements in and
        out."""
        await asyncio.gather(self.sessions.run(stop), self.rate_limits.run(stop),
                             self.versions.run(stop), self.trend.run(stop))

    async def close(self) -> None:
        await self.link.close()


def share_state(sessions: SharedSessions, limits: RateLimits,
                reloads: Mapping[VersionKind, Reload], runtime_of: RuntimeOf,
                feeds_itself: bool) -> SharedState:
    """Shares ``limits`` and the live trend (``feeds_itself``: this process reads orders
    from the database) and listens for new versions, over the link ``sessions`` uses."""
    link = sessions.link
    return SharedState(link, sessions, SharedRateLimits(limits, link),
                       VersionListener(link, reloads), SharedTrend(link, runtime_of, feeds_itself))
