"""Benchmark: the API under load on loopback, on SQLite and on PostgreSQL (issue: many users, one record).

For each store: `loanbook serve` in its own processes, the seed facility imported, an agent's token. Then
- status: C clients at once (wrk) for T seconds, each asking `GET /facilities/iec-2002/status?as_of=D` for a
  random day D of the record's three months. Each request authenticates, reads the record's head from the
  database (another process may have appended) and answers; answers are kept per (record head, question),
  so a day asked before is not computed again until the record changes;
- appends: batches of events posted one after another for T seconds (each batch validated with the whole
  record, chained and committed);
and, as the baseline measured in the same run, the same status question answered without the replay cache
(the record read and replayed for each question), in-process.

Bounded: C and T are small; the page records them. Writes its section of docs/performance.md.

    .venv/bin/python benchmarks/api_load.py [--clients 16] [--seconds 10]    (or: make bench)

Needs wrk (`apt-get install wrk`) and the PostgreSQL server at 127.0.0.1:5432.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the server and database helpers the tests use

from report import machine, write_section  # noqa: E402
from servers import postgres_database, serving  # noqa: E402

from loanbook.store.store import Store  # noqa: E402
from loanbook.store.users import add_user  # noqa: E402

SEED = ROOT / "examples" / "iec-2002"
DAYS = [date(2002, 10, 1) + timedelta(days=n) for n in range(92)]
BATCH = 500


WRK_SCRIPT = """
local token = os.getenv("LOANBOOK_TOKEN")
local days = {}
for day in string.gmatch(os.getenv("LOANBOOK_DAYS"), "[^,]+") do days[#days + 1] = day end
math.randomseed(7)
request = function()
  local path = "/facilities/iec-2002/status?as_of=" .. days[math.random(#days)]
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %f %f\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99)))
end
"""


def status_load(base: str, token: str, clients: int, seconds: float) -> dict:
    """wrk (C, from Debian's packages) drives the clients: a load generator in Python would take the CPU the
    server needs on a 2-core machine. Latencies are wrk's, per request, in microseconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    env = {**os.environ, "LOANBOOK_TOKEN": token, "LOANBOOK_DAYS": ",".join(d.isoformat() for d in DAYS)}

    def wrk(duration: float, connections: int) -> str:
        return subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration:.0f}s", "-s", script.name, base],
                              env=env, capture_output=True, text=True, check=True).stdout

    # Warm, not counted: every server process's first request verifies the token (argon2), loads the facility
    # and replays it (about a second in all). The kernel hands each new connection to one process, so warm
    # with many connections, several times, until each process has answered.
    for _ in range(3):
        wrk(1, 4 * clients)
    output = wrk(seconds, clients)
    os.unlink(script.name)
    line = next(x for x in output.splitlines() if x.startswith("RESULT"))
    requests, micros, broken, bad_status, p50, p99 = line.split()[1:]
    return {"requests": int(requests), "per_second": int(requests) / (int(micros) / 1e6),
            "errors": int(broken) + int(bad_status), "p50": float(p50) / 1000, "p99": float(p99) / 1000}


def append_load(base: str, token: str, seconds: float) -> dict:
    """Batches of borrowing base reports on the record's last day, posted one after another."""
    headers = {"Authorization": f"Bearer {token}"}
    events = 0
    errors = 0
    with httpx.Client(base_url=base, timeout=120) as http:
        began = time.perf_counter()
        n = 0
        while time.perf_counter() - began < seconds:
            batch = [{"date": "2002-12-31", "type": "borrowing_base_report",
                      "receivables_borrowing_base": f"{1_400_000 + (n * BATCH + i) % 100_000}.00"}
                     for i in range(BATCH)]
            n += 1
            response = http.post("/facilities/iec-2002/events", json={"events": batch}, headers=headers)
            if response.status_code == 201:
                events += BATCH
            else:
                errors += 1
        elapsed = time.perf_counter() - began
    return {"events": events, "per_second": events / elapsed, "errors": errors}


def baseline(url: str, questions: int = 30) -> float:
    """Seconds per status question with no replay cache: the record read and replayed for each question."""
    store = Store(url, migrate=False, cache_size=0)
    rnd = random.Random(7)
    began = time.perf_counter()
    for _ in range(questions):
        store.facility("iec-2002").status(rnd.choice(DAYS))
    elapsed = (time.perf_counter() - began) / questions
    store.close()
    return elapsed


def run(url: str, clients: int, seconds: float, workers: int) -> dict:
    store = Store(url)
    store.import_folder(SEED)
    _, token = add_user(store, "bench-agent", "agent", ["iec-2002"])
    store.close()
    with serving(url, workers) as (base, _):
        status = status_load(base, token, clients, seconds)
        base_seconds = baseline(url)
        appends = append_load(base, token, seconds)
    return {"status": status, "appends": appends, "baseline_ms": base_seconds * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["SQLite"] = run(f"sqlite:///{folder}/bench.db", args.clients, args.seconds, args.workers)
    with postgres_database(f"loanbook_bench_{os.getpid()}") as url:
        results["PostgreSQL"] = run(url, args.clients, args.seconds, args.workers)

    lines = ["## The API under load", "",
             "Measured by `benchmarks/api_load.py` (run: `.venv/bin/python benchmarks/api_load.py`).", "",
             f"- Machine: {machine()}; the server (`loanbook serve --workers {args.workers}`) and the clients "
             "share it, over loopback.",
             f"- Status: {args.clients} clients at once (wrk) for {args.seconds:.0f} s, each asking the seed's status "
             "on a random day of its three months; each request authenticates and reads the record's head from "
             "the database; answers are kept per (record head, question).",
             f"- Appends: batches of {BATCH} events posted one after another for {args.seconds:.0f} s, each batch "
             "validated with the whole record, hash-chained and committed.",
             "- Baseline (same run): the status question with no cache at all, the record read and replayed for "
             "each question (in-process, so it pays no HTTP).", "",
             "| store | status req/s | p50 | p99 | errors | target | appends (events/s) | target | "
             "baseline: questions/s uncached | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        s, a = r["status"], r["appends"]
        target = "500 req/s, p99 < 50 ms" if name == "PostgreSQL" else ""
        lines.append(f"| {name} | {s['per_second']:.0f} | {s['p50']:.1f} ms | {s['p99']:.1f} ms | "
                     f"{s['errors'] + a['errors']} | {target} | {a['per_second']:.0f} | 1,000 events/s | "
                     f"{1000 / r['baseline_ms']:.0f} ({r['baseline_ms']:.0f} ms each) | "
                     f"{s['per_second'] * r['baseline_ms'] / 1000:.0f}x |")
    lines.append("")
    write_section("api", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
