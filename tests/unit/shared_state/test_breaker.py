"""The circuit breaker: fail fast for a back-off that grows, recover on the first success."""

from app.shared_state.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_failure_refuses_calls_for_the_backoff_then_lets_one_try() -> None:
    clock = Clock()
    breaker = CircuitBreaker(backoff_seconds=0.5, max_backoff_seconds=2.0, clock=clock)
    assert breaker.allows()
    breaker.failed()
    assert not breaker.allows()
    clock.now += 0.49
    assert not breaker.allows()
    clock.now += 0.02
    assert breaker.allows()


def test_failures_in_a_row_double_the_backoff_up_to_its_cap() -> None:
    clock = Clock()
    breaker = CircuitBreaker(backoff_seconds=0.5, max_backoff_seconds=2.0, clock=clock)
    waits = []
    for _ in range(5):
        breaker.failed()
        start = clock.now
        while not breaker.allows():
            clock.now += 0.01
        waits.append(round(clock.now - start, 1))
    assert waits == [0.5, 1.0, 2.0, 2.0, 2.0]


def test_a_success_closes_it_and_resets_the_backoff() -> None:
    clock = Clock()
    breaker = CircuitBreaker(backoff_seconds=0.5, clock=clock)
    breaker.failed()
    breaker.failed()
    clock.now += 1.0
    breaker.succeeded()
    assert breaker.allows()
    breaker.failed()
    clock.now += 0.51
    assert breaker.allows()
