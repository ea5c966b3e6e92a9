"""The scale benchmarks' bookkeeping: every request recorded (a connection the proxy closes
costs none), payloads with ids of their own sent once, which failures count as in flight at
a kill, the shipped nginx template rendered, and a killed role taking its children along."""

import asyncio
import os
import time
from pathlib import Path

from benchmarks.cluster import TEMPLATE, render_nginx, spawn
from benchmarks.loadgen import Pool, request_bytes
from benchmarks.scale import p95_of
from benchmarks.scale_load import (
    PROPAGATION_LIMIT,
    Record,
    in_flight,
    recorded_loop,
    summary,
    timeline,
)
from tests.unit.test_loadgen import http_server


def _payloads(count: int) -> list[bytes]:
    return [request_bytes("/graphql", b'{"n": %d}' % i, {}, "127.0.0.1") for i in range(count)]


async def _run_for(pool: Pool, payloads: list[bytes], seconds: float,
                   cycle: bool = True) -> list[Record]:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    return await recorded_loop(pool, payloads, 100, stop, cycle=cycle)


async def test_a_connection_closed_after_some_answers_costs_no_request() -> None:
    # nginx closes a client's keep-alive connection after keepalive_requests answers.
    async with http_server(answer_after=0.0, requests_per_connection=5) as port:
        pool = Pool("127.0.0.1", port)
        records = await _run_for(pool, _payloads(3), 0.5)
        pool.close()
    assert len(records) >= 40
    assert all(r.ok and r.status == 200 for r in records)
    assert summary(records)["failed"] == 0


async def test_payloads_with_ids_of_their_own_are_sent_once_at_most() -> None:
    async with http_server(answer_after=0.0) as port:
        pool = Pool("127.0.0.1", port)
        records = await _run_for(pool, _payloads(10), 0.5, cycle=False)
        pool.close()
    assert len(records) == 10


async def test_no_answer_is_recorded_as_a_failure() -> None:
    async with http_server(answer_after=0.0) as port:
        pass  # closed: nothing listens on the port any more
    pool = Pool("127.0.0.1", port)
    records = await _run_for(pool, _payloads(1), 0.1)
    pool.close()
    assert records and all(r.status == 0 and not r.ok for r in records)


def test_in_flight_means_sent_before_the_kill_ended_and_answered_after_it_began() -> None:
    signalled, dead = 10.0, 10.05
    assert in_flight(Record(due=9.9, sent=9.95, ended=10.2), signalled, dead)
    assert in_flight(Record(due=10.0, sent=10.04, ended=10.1), signalled, dead)
    assert not in_flight(Record(due=9.0, sent=9.0, ended=9.5), signalled, dead)
    assert not in_flight(Record(due=10.1, sent=10.1, ended=10.2), signalled, dead)


def test_timeline_buckets_by_due_time() -> None:
    records = [Record(due=0.1, sent=0.1, ended=0.11, status=200, ok=True),
               Record(due=0.5, sent=0.5, ended=0.52, status=200, ok=True),
               Record(due=1.2, sent=1.2, ended=1.3, status=502, ok=False)]
    assert timeline(records, start=0.0) == [
        {"at_s": 0.0, "requests": 2, "failed": 0, "p99_ms": 20.0},
        {"at_s": 1.0, "requests": 1, "failed": 1, "p99_ms": None}]


def test_a_change_never_seen_counts_as_the_limit() -> None:
    assert p95_of([0.1, 0.2, None], PROPAGATION_LIMIT) == PROPAGATION_LIMIT
    assert p95_of([0.1] * 19 + [0.5], PROPAGATION_LIMIT) == 0.5


def test_the_shipped_nginx_template_is_rendered_with_every_server(tmp_path: Path) -> None:
    config = render_nginx(tmp_path, 8080, [8101, 8102]).read_text()
    assert "${" not in config
    assert "listen 127.0.0.1:8080;" in config
    assert "server 127.0.0.1:8101 max_fails=1" in config
    assert "server 127.0.0.1:8102 max_fails=1" in config
    assert TEMPLATE.read_text().count("${RUNTIME_DIR}") == config.count(str(tmp_path))


def _alive(pid: int) -> bool:
    """Running (a zombie left for init to reap is dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_kill_hard_takes_the_roles_children_along(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    role = spawn("scale-test-role", ["sh", "-c", f"sleep 60 & echo $! > {pid_file}; wait"],
                 dict(os.environ))
    deadline = time.monotonic() + 10
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the role did not start its child"
        time.sleep(0.01)
    child = int(pid_file.read_text())
    role.kill_hard()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child)


def test_wrk_requests_keep_their_bytes_and_its_output_is_read() -> None:
    from benchmarks.wrk_load import lua_string, parse, script

    raw = b'POST /graphql HTTP/1.1\r\nHost: h\r\n\r\n{"q": "caf\xc3\xa9 \\\\"}'
    literal = lua_string(raw)
    assert "\r" not in literal and "\n" not in literal  # escaped, never raw line ends
    assert literal.startswith('"POST /graphql HTTP/1.1\\013\\010Host')
    assert '\\"q\\"' in literal and "\\195\\169" in literal and "\\\\\\\\" in literal
    assert script([raw, raw]).count("POST /graphql") == 2

    output = """Running 5s test @ http://127.0.0.1:8080/graphql
  1 threads and 16 connections
  2411 requests in 5.01s, 9.12MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    481.23
Transfer/sec:      1.82MB
"""
    measured = parse(output)
    assert (measured.rate, measured.requests, measured.failed) == (481.23, 2411, 7)
