"""A circuit breaker: after a failure, calls are refused at once for a short back-off.

Without it, every request would wait out Redis's timeout while Redis is down; with it, one
call in a back-off period tries, and the rest go on without Redis straight away."""

import time
from collections.abc import Callable

Clock = Callable[[], float]


class CircuitBreaker:
    """Closed (calls go through) until a failure; then open for ``backoff_seconds``, doubling
    on each failure in a row up to ``max_backoff_seconds``; the first success closes it."""

    def __init__(self, backoff_seconds: float = 0.5, max_backoff_seconds: float = 5.0,
                 clock: Clock = time.monotonic) -> None:
        self._base = backoff_seconds
        self._max = max_backoff_seconds
        self._clock = clock
        self._failures = 0
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return self._clock() < self._open_until

    def allows(self) -> bool:
        """Whether a call may try now (closed, or its back-off is over)."""
        return not self.is_open

    def failed(self) -> None:
        self._failures += 1
        backoff = min(self._max, self._base * 2 ** (self._failures - 1))
        self._open_until = self._clock() + backoff

    def succeeded(self) -> None:
        self._failures = 0
        self._open_until = 0.0
