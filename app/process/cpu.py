"""Numeric libraries' own threads, kept out of a serving process.

numpy's OpenBLAS starts a worker thread per core and splits even small products (100
vectors by one query) between them; between calls its workers spin, waiting for more. In a
server, whose request path runs on one thread under the GIL, one worker burned 3.4 s of CPU
in 4 s of sequential ``rerankSearch`` requests, taken from the SQLite writer, the event
loop's helper threads and, on a 2-core machine, every other process. With one thread, at
150 requests/s on 2 cores (4 alternating runs each): ``rerankSearch`` p99 35 → 24 ms and
HOME carousels 13 → 10 ms on average; throughput at saturation did not move beyond the
runs' spread. ``affinity serve`` calls ``limit_for_serving``; jobs and the CLI keep the
libraries' defaults (training has its own limits, see ``app.ranking.training``)."""

from typing import Any

SERVING_BLAS_THREADS = 1
_limits: list[Any] = []  # held for the life of the process


def limit_for_serving() -> None:
    from threadpoolctl import threadpool_limits

    _limits.append(threadpool_limits(SERVING_BLAS_THREADS, user_api="blas"))
