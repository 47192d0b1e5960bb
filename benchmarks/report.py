"""docs/performance.md is made of sections, one per benchmark; each run replaces its own section only."""
from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "performance.md"
HEAD = "# Performance\n\nEach section is written by the benchmark it names, with the machine it ran on.\n"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {cpu}, Python {platform.python_version()}, {os.cpu_count()} cores"


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over its cores (/proc/stat)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - ticks[3] - ticks[4]) / hz, sum(ticks) / hz  # idle and iowait are not busy


def _own_cpu() -> float:
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


@contextmanager
def other_work() -> Iterator[dict]:
    """The share of the machine's CPU (0 to 1) that processes other than this one and its children used while the
    block ran: a measurement taken with it well above zero is an upper bound. (A load average would count the
    benchmark's own runs just before.)"""
    busy, total, own = *_machine_cpu(), _own_cpu()
    found: dict = {}
    yield found
    busy_after, total_after = _machine_cpu()
    others = (busy_after - busy) - (_own_cpu() - own)
    found["share"] = max(0.0, others) / max(total_after - total, 1e-9)


def write_section(name: str, text: str) -> None:
    """Replace the section `name` (between its markers) or add it at the end."""
    page = PAGE.read_text() if PAGE.exists() else HEAD
    if "<!-- section:" not in page:
        page = HEAD  # the page from before sections: rewritten whole by the benchmarks
    block = f"<!-- section: {name} -->\n{text.rstrip()}\n<!-- end: {name} -->\n"
    pattern = re.compile(rf"<!-- section: {re.escape(name)} -->.*?<!-- end: {re.escape(name)} -->\n", re.S)
    page = pattern.sub(lambda _m: block, page) if pattern.search(page) else page.rstrip() + "\n\n" + block
    PAGE.write_text(page)


def peak_rss() -> int:
    """This process's peak resident set size in bytes (VmHWM: the high-water mark of its memory since exec).
    Not the parent's getrusage(RUSAGE_CHILDREN) nor os.wait4's ru_maxrss: on Linux those carry the parent's
    own peak into the child across fork and exec, so a child of a parent that generated a book reports that."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_child(script: str, method: str, *args: str) -> dict:
    """One measurement in a fresh process of a benchmark script (`--measure METHOD ... --out FILE`): its own
    timing, its peak RSS (bytes), its result, as the child writes them to FILE."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        process = subprocess.run([sys.executable, script, "--measure", method, *args, "--out", str(out)], cwd=ROOT)
        if process.returncode != 0:
            return {"error": f"exit {process.returncode}"}
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
