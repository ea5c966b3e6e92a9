"""The benchmarks' open loop: every request counted, and an early stop when the server is
more than ``OVERLOAD_SECONDS`` behind (no minutes spent on a backlog)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from benchmarks.loadgen import OVERLOAD_SECONDS, Pool, open_loop, request_bytes, send_all

BODY = b'{"data":{"ok":true}}'


@asynccontextmanager
async def http_server(answer_after: float, requests_per_connection: int = 0
                      ) -> AsyncIterator[int]:
    """A loopback HTTP/1.1 server answering each request after ``answer_after`` seconds;
    it closes a connection after ``requests_per_connection`` answers (0: never), without
    saying so, as a server does with a keep-alive connection idle too long."""

    handlers: set[asyncio.Task[object]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            handlers.add(task)
        answered = 0
        try:
            while not requests_per_connection or answered < requests_per_connection:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                await asyncio.sleep(answer_after)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(BODY), BODY))
                await writer.drain()
                answered += 1
            writer.close()
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


async def test_a_request_on_connections_the_server_closed_is_sent_on_a_new_one() -> None:
    async with http_server(answer_after=0.0, requests_per_connection=1) as port:
        pool = Pool("127.0.0.1", port)
        await send_all(pool, [_payload()] * 4, concurrency=4)  # four connections, now closed
        await asyncio.sleep(0.05)
        outcome = await send_all(pool, [_payload()] * 4, concurrency=1)
        pool.close()
    # Each request meets a closed connection first, then succeeds on a new one.
    assert outcome.sent == 4 and outcome.failed == 0 and len(outcome.latencies) == 4


async def test_the_collector_is_paused_while_measuring_and_restored_after() -> None:
    import gc

    seen: list[bool] = []

    async with http_server(answer_after=0.0) as port:
        pool = Pool("127.0.0.1", port)

        def check(status: int, body: bytes) -> bool:
            seen.append(gc.isenabled())
            return status == 200

        await open_loop(pool, [_payload()], rate=100, seconds=0.1, check=check)
        pool.close()
    assert seen and not any(seen)
    assert gc.isenabled()
