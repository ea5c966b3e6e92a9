"""``make bench``: run every benchmark, one at a time, then write
``benchmarks/results/summary.json`` and print the table of targets.

    python -m benchmarks.run [--only serving index ...] [--update-readme]

Each benchmark runs in its own process (a crash or a time-out costs its own lines only,
reported as not met with the reason) and writes ``benchmarks/results/<name>.json``."""

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from benchmarks.common import PYTHON, REPO, RESULTS, machine

# In order of run; each with its time limit and the targets it reports.
BENCHMARKS: dict[str, tuple[int, list[tuple[str, str, str]]]] = {
    "embedding": (360, [("embedding speed-up, optimized backend vs torch", "x", ">= 3"),
                        ("embedding agreement with torch (mean cosine)", "cosine", ">= 0.98")]),
    "index": (300, [("server start-up with a 100k index", "s", "<= 5")]),
    "serving": (540, [("recommendations p99 at 200 req/s", "ms", "<= 25"),
                      ("rerankSearch (100 ids) p99 at 200 req/s", "ms", "<= 30"),
                      ("max throughput / trivial-query floor", "ratio", ">= 0.5")]),
    "ingestion": (420, [("trackEvents (batches of 50)", "events/s", ">= 5000"),
                        ("webhook deliveries (signed, deduplicated)", "deliveries/s", ">= 300"),
                        ("webhook acknowledgement p99", "ms", "<= 50")]),
    "freshness": (240, [("freshness, products/update webhook to similarProducts, p95", "s",
                         "<= 5")]),
    "memory": (240, [("profile memory for 1M visitors (server RSS growth)", "GiB", "<= 0.5")]),
    "experiment_serving": (480, [
        ("recommendations p99 at 200 req/s, experiment running minus none", "ms", "<= 1")]),
    "rules_serving": (480, [
        ("recommendations p99 at 200 req/s, 50 active rules minus none", "ms", "<= 1")]),
    "kpi_query": (540, [("KPI query, 30 days of 10M events on PostgreSQL (p95)", "ms", "<= 300")]),
    "rollup_lag": (240, [("rollup lag, click accepted to counted in the KPI rollups, p95", "s",
                          "<= 5")]),
    "scale": (720, [
        ("scale_throughput HOME, two servers / one, behind nginx", "ratio", ">= 1.7"),
        ("scale_throughput rerankSearch, two servers / one, behind nginx", "ratio", ">= 1.7"),
        ("scale_p99_300 HOME p99 at 300 req/s through nginx, two servers", "ms", "<= 25"),
        ("scale_p99_300 rerankSearch (100 ids) p99 at 300 req/s through nginx, two servers",
         "ms", "<= 30"),
        ("scale_cross_server views on server A to HOME changed on server B, p95", "s", "<= 1"),
        ("scale_redis_down Redis stopped 10 s under load: 5xx answers", "responses", "= 0"),
        ("scale_kill_worker kill -9 of the worker mid-build: index versions held twice",
         "versions", "= 0"),
        ("scale_kill_server kill -9 of one server under load: p99 after, the other alone",
         "ms", "<= 25"),
        ("scale_kill_writer kill -9 of an event writer: accepted events not stored once",
         "events", "= 0"),
    ]),
}


def run_one(name: str, limit: int) -> str | None:
    """Run one benchmark; the reason it failed, or ``None``."""
    started = time.monotonic()
    print(f"== {name} (at most {limit} s)", flush=True)
    try:
        done = subprocess.run([PYTHON, "-m", f"benchmarks.{name}"], cwd=REPO, timeout=limit, check=False,
                              stdout=sys.stdout, stderr=subprocess.PIPE, text=True)
    except subprocess.TimeoutExpired:
        return f"timed out after {limit} s"
    print(f"   {name}: {time.monotonic() - started:.0f} s", flush=True)
    if done.returncode != 0:
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
        return f"failed: {tail[0][:200]}"
    return None


def targets_of(name: str, failure: str | None) -> list[dict[str, Any]]:
    expected = BENCHMARKS[name][1]
    path = RESULTS / f"{name}.json"
    if failure is None and path.exists():
        return list(json.loads(path.read_text())["targets"])
    return [{"name": n, "value": None, "unit": u, "target": t, "met": False,
             "note": f"benchmark {failure or 'wrote no result'}"} for n, u, t in expected]


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| target | measured | goal | met | note |", "|---|---|---|---|---|"]
    for row in rows:
        value = "—" if row["value"] is None else f"{row['value']:g} {row['unit']}"
        met = "yes" if row["met"] else "**no**"
        lines.append(f"| {row['name']} | {value} | {row['target']} {row['unit']} | {met} | "
                     f"{row.get('note', '')} |")
    return "\n".join(lines)


README = REPO / "README.md"
START, END = "<!-- bench-summary -->", "<!-- /bench-summary -->"


def update_readme(text: str) -> None:
    """Replace the table between the README's bench-summary markers."""
    readme = README.read_text()
    head, found, rest = readme.partition(START)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"README.md has no {START} ... {END} block")
    README.write_text(f"{head}{START}\n{text}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these")
    parser.add_argument("--update-readme", action="store_true",
                        help="also write the table into README.md's Performance section")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    rows: list[dict[str, Any]] = []
    for name, (limit, _) in BENCHMARKS.items():
        if args.only and name not in args.only:
            failure = None if (RESULTS / f"{name}.json").exists() else "not run"
        else:
            failure = run_one(name, limit)
        rows.extend(targets_of(name, failure))
    summary = [{k: r.get(k) for k in ("name", "value", "unit", "target", "met", "note")}
               for r in rows]
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / "machine.json").write_text(json.dumps(machine(), indent=2) + "\n")
    rendered = table(summary)
    (RESULTS / "summary.md").write_text(rendered + "\n")
    if args.update_readme:
        update_readme(rendered)
    print()
    print(rendered)
    met = sum(1 for r in summary if r["met"])
    print(f"\n{met} of {len(summary)} targets met; {time.monotonic() - started:.0f} s; "
          f"figures in {RESULTS.relative_to(REPO)}/")


if __name__ == "__main__":
    main()
