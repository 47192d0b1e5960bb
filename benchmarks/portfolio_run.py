"""Benchmark: a portfolio run over a generated book (issue: the borrowing base from the invoices up). A book of N
facility folders, each with a year of events, and one aging of M invoices; `run_portfolio` reads the folders,
runs every facility's eligibility rules over all the invoices at once, then each facility's day. Measured in
its steps, so the page says where the time goes. Writes its section of docs/performance.md.

    .venv/bin/python benchmarks/portfolio_run.py [--facilities 10000] [--invoices 1000000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import machine, write_section  # noqa: E402

from loanbook.portfolio.book import write_facility_book  # noqa: E402
from loanbook.portfolio.run import folder_book, run_portfolio  # noqa: E402

DAY = date(2024, 3, 31)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        book_dir = Path(folder)
        began = time.perf_counter()
        aging = write_facility_book(book_dir, args.facilities, args.invoices, seed=7, as_of=DAY)
        generated = time.perf_counter() - began
        began = time.perf_counter()
        book = folder_book(book_dir)
        loaded = time.perf_counter() - began
        stamps: list[float] = []

        def progress(items):
            stamps.append(time.perf_counter())  # the rules have run when the facilities' days begin
            yield from items

        began = time.perf_counter()
        rows = run_portfolio(book, DAY, portfolio_aging=aging, progress=progress)
        ran = time.perf_counter() - began
        rules = stamps[0] - began
        events = sum(1 for p in book_dir.glob("*/events.yaml") for line in p.read_text().splitlines()
                     if line.startswith("- "))
    problems = sum(1 for r in rows if r.problem)
    total = loaded + ran
    lines = [
        "## A portfolio run", "",
        "Measured by `benchmarks/portfolio_run.py` (run: `.venv/bin/python benchmarks/portfolio_run.py`).", "",
        f"- Machine: {machine()}",
        f"- Book: {args.facilities:,} generated facility folders ({events:,} events, a year each) and one aging of "
        f"{args.invoices:,} invoices; writing it took {generated:.1f} s, not counted.", "",
        "| step | time |", "|---|---|",
        f"| read every facility folder (agreement) | {loaded:.1f} s |",
        f"| every facility's eligibility rules over all the invoices at once (DuckDB) | {rules:.1f} s |",
        f"| each facility's day: its record replayed, the aging's value reported, status | {ran - rules:.1f} s "
        f"({(ran - rules) / args.facilities * 1000:.1f} ms a facility) |",
        f"| the run, in all | {total:.1f} s (target: under 60 s for 10,000 facilities) |",
        f"| facilities with a problem | {problems} |", "",
        "Where the time goes: each facility's day is replayed from its own record in Python, one facility after "
        "another; the rules over the invoices are one query. Compiling each facility's borrowing base lines and "
        "availability to the same dataframe expressions (from the formula tree) is the next step toward the target.",
        "",
    ]
    write_section("portfolio_run", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
