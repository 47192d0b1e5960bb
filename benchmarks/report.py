"""docs/performance.md is made of sections, one per benchmark; each run replaces its own section only."""
from __future__ import annotations

import os
import platform
import re
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
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
