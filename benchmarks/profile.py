"""Profile the server under one serving workload with py-spy (a dev extra).

    python -m benchmarks.profile similar_products [--seconds 8] [--concurrency 8]

Starts the server on the 100k-product world, warms it up, then samples it with py-spy
(``--gil``: only the thread holding the GIL, i.e. where Python spends CPU) while a closed
loop keeps it busy. Writes the folded stacks to ``var/bench/profiles/<workload>.txt`` and
prints the functions with the most samples, own and inclusive. Time the GIL is free (the
database thread inside SQLite, waiting) does not appear: compare the sample count with
the duration to see how busy the interpreter was. With ``PROFILE_WALL=1`` every thread is
sampled, idle ones included: where requests wait rather than compute."""

import argparse
import asyncio
import collections
import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.common import WORK
from benchmarks.loadgen import Pool, closed_loop, send_all
from benchmarks.server import HOST, serve
from benchmarks.serving import distinct_searches, histories, workloads
from benchmarks.world import build_world

PROFILES = WORK / "profiles"


def top(raw: str, count: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, samples = line.rpartition(" ")
        frames, n = stack.split(";"), int(samples)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"{total} samples", "own:"]
    lines += [f"  {100 * n / total:5.1f}% {f[:140]}" for f, n in own.most_common(count)]
    lines.append("inclusive (the engine's own code):")
    lines += [f"  {100 * n / total:5.1f}% {f[:140]}" for f, n in inclusive.most_common(400)
              if "app/" in f or "webhooks/" in f][:count]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("workload")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    beside = Path(sys.executable).parent / "py-spy"
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install -e '.[dev]'")
    world = build_world(100_000)
    payloads = workloads(world)[args.workload]
    PROFILES.mkdir(parents=True, exist_ok=True)
    raw = PROFILES / f"{args.workload}.txt"
    with serve(world.env(), log_name="profile") as server:
        async def load() -> str:
            pool = Pool(HOST, server.port)
            try:
                for payload in histories(world):  # as the serving benchmark: HOME visitors
                    connection = await pool.acquire()
                    await connection.exchange(payload)
                    pool.release(connection)
                await send_all(pool, distinct_searches(payloads), 4)  # query vectors cached
                await closed_loop(pool, payloads, 4, 3.0)
                command = [spy, "record", *(["--idle", "--threads"] if os.environ.get("PROFILE_WALL") else ["--gil"]), "-p", str(server.process.pid),
                           "-d", str(args.seconds)]
                recorder = await asyncio.create_subprocess_exec(
                    *command, "-f", "raw", "-o", str(raw), stdout=subprocess.DEVNULL)
                outcome = await closed_loop(pool, payloads, args.concurrency, args.seconds)
                await recorder.wait()
                return str(outcome.summary())
            finally:
                pool.close()

        print(asyncio.run(load()))
    print(top(raw.read_text(), args.top))
    print(f"folded stacks (for flamegraph.pl or speedscope): {raw}")


if __name__ == "__main__":
    main()
