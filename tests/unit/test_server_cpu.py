"""The serving benchmark's account of how busy the server was (CPU time from /proc)."""

import os
import sys
import threading
import time

import pytest

from benchmarks.serving import ServerCpu, thread_cpu_seconds

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def _spin(cpu_seconds: float) -> None:
    until = time.thread_time() + cpu_seconds
    while time.thread_time() < until:
        pass


def test_main_thread_cpu_is_told_apart_from_other_threads() -> None:
    pid = os.getpid()
    busy = ServerCpu(pid)
    busy.start()
    _spin(0.3)
    spun = busy.figures(requests=10)
    assert spun["event_loop_cpu_ms_per_request"] * 10 >= 250  # 300 ms, in clock ticks

    idle = ServerCpu(pid)
    idle.start()
    other = threading.Thread(target=_spin, args=(0.3,))
    other.start()
    other.join()
    figures = idle.figures(requests=10)
    assert figures["event_loop_cpu_ms_per_request"] * 10 < 100  # this thread only waited
    assert figures["server_cpu_ms_per_request"] * 10 >= 250  # the process did the work


def test_no_figures_without_a_process_or_requests() -> None:
    unknown = ServerCpu(None)
    unknown.start()
    assert unknown.figures(requests=10) == {}
    known = ServerCpu(os.getpid())
    known.start()
    assert known.figures(requests=0) == {}
    assert thread_cpu_seconds(os.getpid()) > 0
