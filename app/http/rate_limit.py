"""Rate limits of the storefront edge (``/graphql`` and ``/collect``): token buckets in memory.

Requests are counted per storefront key and per client address, events (``trackEvents``,
``/collect``) per key, address and visitor. Each limit is a bucket per caller holding a
minute's worth of tokens, refilled continuously: a caller may burst up to the minute's
allowance, then goes at the limit's pace. A refusal takes nothing from any bucket and says
how long to wait (the ``Retry-After`` of the 429).

The buckets live in the server process and are bounded (with several processes, each
announces what it admitted so the others take it from their buckets too, see
``app.shared_state.rate_limits``): past ``MAX_BUCKETS`` callers of a limit the least recently seen is forgotten, which
only ever lets that caller in sooner (a forgotten bucket starts full again)."""

import math
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import Scope

from app.errors import RateLimited
from app.http.storefront_auth import PROXIED_SCOPE_KEY, SERVER_KEY_HEADER
from app.settings import Settings

MAX_BUCKETS = 50_000
Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One limit: ``per_minute`` tokens per caller (0: no limit)."""

    def __init__(self, per_minute: int, max_buckets: int = MAX_BUCKETS) -> None:
        self.per_minute = per_minute
        self._per_second = per_minute / 60.0
        self._max_buckets = max_buckets
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, caller: str, cost: int, now: float) -> float:
        """Seconds until ``cost`` tokens are there for the caller (0: now)."""
        if not self.per_minute:
            return 0.0
        if cost > self.per_minute:
            return 60.0  # never at once: refused, and asked to come back with less
        missing = cost - self._tokens(caller, now)
        return 0.0 if missing <= 0 else missing / self._per_second

    def take(self, caller: str, cost: int, now: float) -> None:
        if not self.per_minute:
            return
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = self._buckets[caller] = _Bucket(float(self.per_minute), now)
            if len(self._buckets) > self._max_buckets:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(caller)
        bucket.tokens = self._tokens(caller, now) - cost
        bucket.updated = now

    def _tokens(self, caller: str, now: float) -> float:
        bucket = self._buckets.get(caller)
        if bucket is None:
            return float(self.per_minute)
        refilled = bucket.tokens + (now - bucket.updated) * self._per_second
        return min(float(self.per_minute), refilled)


Charge = tuple[TokenBuckets, str, int]
ChargeListener = Callable[[str, str, int], None]
"""Told of every admitted charge: the limit's name, the caller, the cost."""


def browser_address(scope: Scope) -> str | None:
    """The address a request came from (``request.client.host``), when its caller may be a
    browser with the public key; ``None`` for the shop's own server (its server key) and
    verified app proxy requests, which call for all their shoppers from one address and
    are limited by key only."""
    if scope.get(PROXIED_SCOPE_KEY) is not None or SERVER_KEY_HEADER in Headers(scope=scope):
        return None
    client = scope.get("client")
    return None if client is None else str(client[0])


def retry_after(error: RateLimited) -> dict[str, str]:
    """The headers of a 429."""
    return {"Retry-After": str(error.retry_after)}


def charge(charges: Iterable[Charge], now: float) -> None:
    """Takes every charge, or none of them and raises ``RateLimited`` (with the whole
    seconds until all of them would pass)."""
    charges = list(charges)
    wait = max((buckets.wait(caller, cost, now) for buckets, caller, cost in charges), default=0.0)
    if wait > 0:
        raise RateLimited(max(1, math.ceil(wait)))
    for buckets, caller, cost in charges:
        buckets.take(caller, cost, now)


class RateLimits:
    """The limits of ``/graphql`` and ``/collect``, from the settings."""

    def __init__(self, settings: Settings, clock: Clock = time.monotonic) -> None:
        self.key_requests = TokenBuckets(settings.rate_limit_key_requests_per_minute)
        self.address_requests = TokenBuckets(settings.rate_limit_address_requests_per_minute)
        self.key_events = TokenBuckets(settings.rate_limit_key_events_per_minute)
        self.address_events = TokenBuckets(settings.rate_limit_address_events_per_minute)
        self.visitor_events = TokenBuckets(settings.rate_limit_visitor_events_per_minute)
        self._clock = clock
        self.listener: ChargeListener | None = None
        self.by_name = {"key_requests": self.key_requests,
                        "address_requests": self.address_requests,
                        "key_events": self.key_events, "address_events": self.address_events,
                        "visitor_events": self.visitor_events}
        self._names = {id(buckets): name for name, buckets in self.by_name.items()}

    def take_elsewhere(self, limit: str, caller: str, cost: int) -> None:
        """A charge another process admitted: taken here too, refusing nothing now."""
        buckets = self.by_name.get(limit)
        if buckets is not None:
            buckets.take(caller, cost, self._clock())

    def _charge(self, charges: list[Charge]) -> None:
        charge(charges, self._clock())
        if self.listener is not None:
            for buckets, caller, cost in charges:
                if buckets.per_minute:
                    self.listener(self._names[id(buckets)], caller, cost)

    def admit_address(self, address: str | None) -> None:
        """One request from this address (before its key is even looked at); ``None``
        (a caller not limited by address, such as the shop's own server) passes."""
        if address is not None:
            self._charge([(self.address_requests, address, 1)])

    def admit_key(self, key: str) -> None:
        """One request with this storefront key (once the key is known good)."""
        self._charge([(self.key_requests, key, 1)])

    def admit_events(self, key: str, address: str | None, visitor_ids: Sequence[str]) -> None:
        """Events of these visitors (one id per event), all or none: per key, address (not
        for ``None``) and visitor."""
        visitors = Counter(visitor_ids)
        charges = [(self.key_events, key, len(visitor_ids)),
                   *((self.visitor_events, f"{key}\0{visitor}", count)
                     for visitor, count in visitors.items())]
        if address is not None:
            charges.append((self.address_events, address, len(visitor_ids)))
        self._charge(charges)
