"""Closed-loop maximum rate measured with wrk (Debian's package ``wrk``), a C load generator:
at saturation the Python client spends a large share of this 2-core machine's CPU on its
own, which the servers under test then lack. wrk sends the same raw requests the Python
client does (``benchmarks.loadgen.request_bytes``), cycling through them, from one thread.

Without wrk on the machine, ``max_rate`` answers None and the caller measures with the
Python client (and says so)."""

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WRK = "wrk"
RATE_LINE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
NON_2XX_LINE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
ERRORS_LINE = re.compile(r"Socket errors:\s+connect (\d+), read (\d+), write (\d+), timeout (\d+)")
REQUESTS_LINE = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)


@dataclass(frozen=True)
class WrkRate:
    rate: float
    requests: int
    failed: int
    """Answers other than 2xx/3xx, and socket errors."""


def available() -> bool:
    return shutil.which(WRK) is not None


def lua_string(raw: bytes) -> str:
    """``raw`` as a Lua string literal (decimal escapes outside printable ASCII: Lua's long
    brackets would turn CR LF into LF)."""
    out = []
    for byte in raw:
        char = chr(byte)
        if char in '"\\' or not 32 <= byte < 127:
            out.append(f"\\{byte:03d}" if char not in '"\\' else "\\" + char)
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def script(requests: list[bytes]) -> str:
    """A wrk script whose ``request`` returns the raw requests in turn."""
    table = ",\n".join(lua_string(r) for r in requests)
    return ("local requests = {\n" + table + "\n}\nlocal i = 0\n"
            "request = function()\n  i = i % #requests + 1\n  return requests[i]\nend\n")


def parse(output: str) -> WrkRate:
    rate, total = RATE_LINE.search(output), REQUESTS_LINE.search(output)
    if rate is None or total is None:
        raise RuntimeError("wrk printed no rate")
    non_2xx = NON_2XX_LINE.search(output)
    errors = ERRORS_LINE.search(output)
    failed = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in errors.groups()) if errors else 0)
    return WrkRate(float(rate.group(1)), int(total.group(1)), failed)


def max_rate(host: str, port: int, requests: list[bytes], connections: int,
             seconds: float) -> WrkRate | None:
    """wrk's closed-loop rate over ``seconds`` with ``connections`` connections; None
    without wrk."""
    if not available():
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requests.lua"
        path.write_text(script(requests))
        done = subprocess.run(
            [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(path),
             f"http://{host}:{port}/graphql"],
            capture_output=True, text=True, timeout=seconds + 30, check=True)
    return parse(done.stdout)
