"""The Redis connection of a process: short timeouts, behind a circuit breaker.

Every use goes through ``RedisLink.call``: it gives up within about a tenth of a second
when Redis does not answer, and refuses at once (``SharedStateUnavailable``) while the
breaker is open, so callers fall back to their own memory instead of waiting."""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.shared_state.breaker import CircuitBreaker

log = logging.getLogger(__name__)

T = TypeVar("T")
TIMEOUT_SECONDS = 0.1
KEY_PREFIX = "affinity:"


class SharedStateUnavailable(Exception):
    """Redis did not answer (or did lately): go on without the shared state."""


def connect(url: str, timeout: float = TIMEOUT_SECONDS) -> "Redis":
    """A client that fails fast: short connect and read timeouts, no retries."""
    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                          retry_on_timeout=False, retry=Retry(NoBackoff(), 0), health_check_interval=0,
                          decode_responses=False)


class RedisLink:
    """One client and its breaker; ``prefix`` keeps one deployment's keys apart."""

    def __init__(self, client: "Redis", prefix: str = KEY_PREFIX,
                 breaker: CircuitBreaker | None = None) -> None:
        self.client = client
        self.prefix = prefix
        self.breaker = breaker or CircuitBreaker()

    @classmethod
    def from_url(cls, url: str, prefix: str = KEY_PREFIX) -> "RedisLink":
        return cls(connect(url), prefix)

    def key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    @property
    def available(self) -> bool:
        return self.breaker.allows()

    async def call(self, operation: Callable[["Redis"], Awaitable[T]]) -> T:
        """Runs ``operation`` on the client; ``SharedStateUnavailable`` if the breaker is open
        or Redis fails (which opens it)."""
        if not self.breaker.allows():
            raise SharedStateUnavailable
        try:
            result = await operation(self.client)
        except (RedisError, OSError, TimeoutError) as error:
            if not self.breaker.is_open:
                log.warning("redis unavailable: %s", type(error).__name__)
            self.breaker.failed()
            raise SharedStateUnavailable from error
        self.breaker.succeeded()
        return result

    async def close(self) -> None:
        await self.client.aclose()


async def publish_all(client: "Redis", channel: str, messages: list[bytes]) -> None:
    """Publishes ``messages`` on ``channel`` in one round trip."""
    pipe = client.pipeline(transaction=False)
    for message in messages:
        pipe.publish(channel, message)
    await pipe.execute()
