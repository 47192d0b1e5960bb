"""docs/performance.md is made of sections, one per benchmark; each run replaces its own section only."""
from __future__ import annotations

import os
import platform
import re
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


def write_section(name: str, text: str) -> None:
    """Replace the section `name` (between its markers) or add it at the end."""
    page = PAGE.read_text() if PAGE.exists() else HEAD
    if "<!-- section:" not in page:
        page = HEAD  # the page from before sections: rewritten whole by the benchmarks
    block = f"<!-- section: {name} -->\n{text.rstrip()}\n<!-- end: {name} -->\n"
    pattern = re.compile(rf"<!-- section: {re.escape(name)} -->.*?<!-- end: {re.escape(name)} -->\n", re.S)
    page = pattern.sub(lambda _m: block, page) if pattern.search(page) else page.rstrip() + "\n\n" + block
    PAGE.write_text(page)
