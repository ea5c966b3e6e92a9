"""The benchmarks' open loop: every request counted, and an early stop when the server is
more than ``OVERLOAD_SECONDS`` behind (no minutes spent on a backlog)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from benchmarks.loadgen import OVERLOAD_SECONDS, Pool, open_loop, request_bytes

BODY = b'{"data":{"ok":true}}'


@asynccontextmanager
async def http_server(answer_after: float) -> AsyncIterator[int]:
    """A loopback HTTP/1.1 server answering each request after ``answer_after`` seconds."""

    handlers: set[asyncio.Task[object]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                await asyncio.sleep(answer_after)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(BODY), BODY))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


def _payload() -> bytes:
    return request_bytes("/graphql", b"{}", {}, "127.0.0.1")


async def test_a_server_keeping_up_gets_every_request() -> None:
    async with http_server(answer_after=0.0) as port:
        pool = Pool("127.0.0.1", port)
        outcome = await open_loop(pool, [_payload()], rate=100, seconds=0.5)
        pool.close()
    assert outcome.sent == 50 and outcome.not_sent == 0 and outcome.stopped_after is None
    assert outcome.failed == 0 and len(outcome.latencies) == 50


async def test_a_server_far_behind_stops_the_loop_early() -> None:
    async with http_server(answer_after=5.0) as port:
        pool = Pool("127.0.0.1", port)
        outcome = await open_loop(pool, [_payload()], rate=40, seconds=10, drain_seconds=0.2)
        pool.close()
    # A second's worth of requests unanswered (40) stops it, long before its 10 s.
    limit = max(32, int(40 * OVERLOAD_SECONDS))
    assert outcome.sent == limit and outcome.not_sent == 400 - limit
    assert outcome.stopped_after is not None and outcome.stopped_after < 5
    assert outcome.unfinished == limit and outcome.failed == 400 - limit
    summary = outcome.summary()
    assert summary["not_sent"] == 400 - limit and summary["stopped_after_s"] is not None
