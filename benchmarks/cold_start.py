"""Benchmark: how long a command takes from a cold start, as a person at a terminal waits for it.

Each command runs as a fresh process, N times, after one warm-up run (which also keeps the check's outcome, as
any second command on a folder finds it); the median wall time is reported beside a bare `python -c pass`
measured in the same run, in turns, so that the ratio holds whatever the machine's speed. Writes
docs/performance.md.

    .venv/bin/python benchmarks/cold_start.py [runs]
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import machine, other_work, write_section  # noqa: E402

BIN = Path(sys.executable).parent
SEED = ROOT / "examples" / "iec-2002"
COMMANDS = {
    "python -c pass (the baseline)": [sys.executable, "-c", "pass"],
    "loanbook --help": [str(BIN / "loanbook"), "--help"],
    "loanbook status --facility examples/iec-2002": [str(BIN / "loanbook"), "status", "--facility", str(SEED),
                                                     "--as-of", "2002-10-15"],
}
TARGETS = {"loanbook --help": 10, "loanbook status --facility examples/iec-2002": 15}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(command: list[str], env: dict) -> tuple[float, float]:
    """The run's wall time and its CPU time (user and system): on a busy machine the wall time stretches with the
    others' work, the CPU time much less."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start, _children_cpu() - cpu


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as cache, other_work() as others:
        env = {**os.environ, "LOANBOOK_CACHE": cache}
        for command in COMMANDS.values():  # warm-up: the disk's cache, and the check's outcome kept
            wall(command, env)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(runs):  # in turns: a drift of the machine's speed touches every command alike
            for name, command in COMMANDS.items():
                took, used = wall(command, env)
                times[name].append(took)
                cpu[name].append(used)
    base = statistics.median(times["python -c pass (the baseline)"])
    base_cpu = statistics.median(cpu["python -c pass (the baseline)"])
    rows = []
    for name, measured in times.items():
        median, median_cpu = statistics.median(measured), statistics.median(cpu[name])
        target = f"under {TARGETS[name]}x" if name in TARGETS else ""
        rows.append(f"| `{name}` | {median:.3f} s | {min(measured):.3f} to {max(measured):.3f} s | "
                    f"{median / base:.1f}x | {median_cpu:.3f} s | {median_cpu / base_cpu:.1f}x | {target} |")
    text = "\n".join([
        "## Cold start: a command as a person waits for it",
        "",
        "Measured by `benchmarks/cold_start.py` (run: `.venv/bin/python benchmarks/cold_start.py`).",
        "",
        f"- Machine: {machine()}",
        f"- Each command a fresh process, {runs} runs in turns after a warm-up run, median wall time; the ratio is "
        "to `python -c pass` measured in the same run. Beside it, the median CPU time (user and system) and its "
        "ratio, which a busy machine stretches much less.",
        f"- Other work on the machine (CPU time of processes other than the benchmark's) took {others['share']:.0%} "
        "of its CPU during the runs.",
        "",
        "| command | median | range | ratio to python | CPU | CPU ratio | target |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ])
    write_section("cold-start", text)
    print(text)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
