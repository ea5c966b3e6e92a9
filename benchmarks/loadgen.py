"""A small HTTP/1.1 load generator over asyncio streams, loopback only.

Open loop: request ``i`` is due at ``start + i / rate`` and is sent then, whether or not
earlier ones have answered; its latency is counted from when it was due, so a stalled
server shows up as queueing delay instead of as fewer requests (no coordinated omission).
Closed loop: ``concurrency`` connections send back-to-back for a while; the rate they
reach is the server's maximum throughput.

A hand-written client because the generator shares the 2 cores with the server: it
costs a fraction of what a full client library costs per request.

The generator's own garbage collector is paused while it measures (``paused_collector``):
its full collections, over the payloads and state of a benchmark run, took 26–55 ms, and
every request due meanwhile was sent late and counted as the server's latency (runs of
about a dozen consecutive requests over 20 ms at 200 requests/s)."""

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from benchmarks.common import percentiles

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_CONNECTIONS = 256
# uvicorn closes a keep-alive connection idle for 5 s; one idle this long is not reused, so
# that no request is written into a connection the server is closing.
IDLE_REUSE_SECONDS = 4.0
MAX_SECONDS = 120.0
DRAIN_SECONDS = 15.0
# An open loop stops sending once this many seconds' worth of its requests are unanswered:
# every later request would wait at least that long, far past any latency target, and a
# slow machine would otherwise spend minutes on a backlog that says nothing more.
OVERLOAD_SECONDS = 1.0


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    sent: int = 0
    unfinished: int = 0
    not_sent: int = 0
    """Requests of an open loop left unsent: it stopped, the server being over
    ``OVERLOAD_SECONDS`` behind (``stopped_after`` seconds in)."""
    stopped_after: float | None = None

    @property
    def failed(self) -> int:
        """Requests that failed, were refused, or were not sent because the server was behind."""
        return self.errors + self.not_sent

    def summary(self) -> dict[str, object]:
        done = len(self.latencies)
        return {**percentiles(self.latencies), "errors": self.errors, "sent": self.sent,
                "unfinished": self.unfinished, "not_sent": self.not_sent,
                "stopped_after_s": (None if self.stopped_after is None
                                    else round(self.stopped_after, 2)),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "achieved_rps": round(done / self.seconds, 1) if self.seconds else None}


def request_bytes(path: str, body: bytes, headers: dict[str, str], host: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}",
             "Content-Type: application/json", "Connection: keep-alive",
             *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, payload: bytes) -> tuple[int, bytes]:
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Keep-alive connections to one loopback server, opened on demand."""

    def __init__(self, host: str, port: int) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"benchmarks only target loopback, not {host}")
        self.host, self.port = host, port
        self._idle: list[tuple[float, Connection]] = []
        self.opened = 0

    async def acquire(self, fresh: bool = False) -> Connection:
        """An idle connection recent enough to reuse (the most recent first), else a new
        one; ``fresh`` asks for a new one."""
        stale_before = time.monotonic() - IDLE_REUSE_SECONDS
        while self._idle and not fresh:
            released, connection = self._idle.pop()
            if released >= stale_before:
                return connection
            self.discard(connection)
        return await self.open()

    async def open(self) -> Connection:
        if self.opened >= MAX_CONNECTIONS:
            raise RuntimeError("too many connections: the server is far behind")
        self.opened += 1
        return Connection(*await asyncio.open_connection(self.host, self.port))

    def release(self, connection: Connection) -> None:
        self._idle.append((time.monotonic(), connection))

    def discard(self, connection: Connection) -> None:
        connection.close()
        self.opened -= 1

    def close(self) -> None:
        for _, connection in self._idle:
            connection.close()
        self._idle.clear()


Check = Callable[[int, bytes], bool]


@asynccontextmanager
async def paused_collector() -> AsyncIterator[None]:
    """No collection of this process's garbage while the block (or the decorated
    coroutine) runs; one afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def ok_graphql(status: int, body: bytes) -> bool:
    return status == 200 and b'"errors"' not in body


async def _exchange(pool: Pool, payload: bytes) -> tuple[Connection, int, bytes]:
    """Send on a pooled connection; once more on a new one if the server had closed it
    (a keep-alive connection can close as a request is written, as real clients also find)."""
    for attempt in (1, 2):
        connection = await pool.acquire(fresh=attempt == 2)
        try:
            return connection, *await connection.exchange(payload)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pool.discard(connection)
            if attempt == 2:
                raise
        except asyncio.CancelledError:  # given up on (a server far behind): not reusable
            pool.discard(connection)
            raise
    raise AssertionError("unreachable")


async def _one(pool: Pool, payload: bytes, due: float, outcome: Outcome, check: Check) -> None:
    try:
        connection, status, body = await _exchange(pool, payload)
    except (OSError, RuntimeError, asyncio.IncompleteReadError, ValueError):
        outcome.errors += 1
        return
    outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
    if check(status, body):
        outcome.latencies.append(time.perf_counter() - due)
    else:
        outcome.errors += 1
    pool.release(connection)


@paused_collector()
async def open_loop(
    pool: Pool, payloads: list[bytes], rate: float, seconds: float, check: Check = ok_graphql,
    drain_seconds: float = DRAIN_SECONDS,
) -> Outcome:
    """Send at ``rate`` per second for ``seconds``, cycling through ``payloads``; stop
    early, counting the rest as not sent, once ``OVERLOAD_SECONDS`` of requests are
    unanswered."""
    outcome = Outcome()
    total = int(rate * min(seconds, MAX_SECONDS))
    start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []
    task_due: dict[asyncio.Task[None], float] = {}
    pending: set[asyncio.Task[None]] = set()
    overloaded = max(32, int(rate * OVERLOAD_SECONDS))
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif i % 64 == 0:
            await asyncio.sleep(0)  # let answers in even when sending has fallen behind
        if len(pending) >= overloaded:
            outcome.not_sent = total - i
            outcome.stopped_after = time.perf_counter() - start
            break
        task = asyncio.create_task(_one(pool, payloads[i % len(payloads)], due, outcome, check))
        tasks.append(task)
        task_due[task] = due
        pending.add(task)
        task.add_done_callback(pending.discard)
        outcome.sent += 1
    _, late = await asyncio.wait(tasks, timeout=drain_seconds)
    now = time.perf_counter()
    for task in late:  # a server far behind: what is still unanswered counts, as it stands
        task.cancel()
        outcome.unfinished += 1
        outcome.latencies.append(now - task_due[task])
    outcome.seconds = now - start
    return outcome


async def send_all(pool: Pool, payloads: list[bytes], concurrency: int,
                   check: Check = ok_graphql) -> Outcome:
    """Each payload once, ``concurrency`` at a time, however long it takes."""
    outcome = Outcome()
    queue = iter(payloads)

    async def sender() -> None:
        for payload in queue:
            outcome.sent += 1
            await _one(pool, payload, time.perf_counter(), outcome, check)

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return outcome


async def until_idle(pool: Pool, payload: bytes, quiet_ms: float = 20.0,
                     patience: float = 60.0) -> float:
    """Wait until the server answers ``payload`` (a trivial request) within ``quiet_ms``
    again: the backlog of an overloaded run is worked off before the next measurement.
    Returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < patience:
        sent = time.perf_counter()
        try:
            connection, _, _ = await _exchange(pool, payload)
        except (OSError, RuntimeError, asyncio.IncompleteReadError, ValueError):
            await asyncio.sleep(0.2)
            continue
        pool.release(connection)
        if (time.perf_counter() - sent) * 1000 < quiet_ms:
            break
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


@paused_collector()
async def closed_loop(
    pool: Pool, payloads: list[bytes], concurrency: int, seconds: float, check: Check = ok_graphql
) -> Outcome:
    """``concurrency`` back-to-back senders for ``seconds``: the maximum throughput."""
    outcome = Outcome()
    stop_at = time.perf_counter() + min(seconds, MAX_SECONDS)
    counter = iter(range(10**9))

    async def sender() -> None:
        while time.perf_counter() < stop_at:
            i = next(counter)
            outcome.sent += 1
            await _one(pool, payloads[i % len(payloads)], time.perf_counter(), outcome, check)

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    outcome.seconds = time.perf_counter() - started
    return outcome
