"""Benchmark: the book run from the store, each facility's balances on the day from one aggregate over the events
table (`loanbook/store/balances.py`), beside the per-facility paths in the same run, on a SQLite file and on
PostgreSQL. A generated book (`loanbook/portfolio/book.py`: N facilities, a year of events each, one aging of M
invoices) is imported into each store once (not counted; kept under --dir to be measured again), with the forms of its
YAML files that this code reads (`loanbook/core/yamlform.py`: import keeps them; a store imported by older code gets
them here, as its first run would); then each run is timed from opening the store to the rows. Every run's rows are
compared, facility by facility. Writes its section of docs/performance.md.

    .venv/bin/python benchmarks/book_from_store.py [--facilities 10000] [--invoices 1000000] [--dir DIR]
                                                   [--stores sqlite,postgresql]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import machine, other_work, write_section  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from loanbook.agreement import gate  # noqa: E402
from loanbook.agreement.load import load_agreement  # noqa: E402
from loanbook.portfolio.book import write_facility_book  # noqa: E402
from loanbook.portfolio.run import run_portfolio, store_book  # noqa: E402
from loanbook.portfolio.workers import default_workers  # noqa: E402
from loanbook.store.store import Store  # noqa: E402

DAY = date(2024, 3, 31)
POSTGRES = os.environ.get("LOANBOOK_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# (name, the aggregate, compiled figures, workers): the design, then the per-facility paths
CONFIGURATIONS = (("aggregate", True, True, None), ("replayed", False, True, None), ("python", False, False, 1))
LABELS = {"aggregate": "the aggregate over the events table, on every core (the design)",
          "replayed": "each record replayed, compiled figures, on every core (the run before)",
          "python": "the Python engine's `status` per facility, one process"}


@dataclass
class Run:
    agreements: float   # the store's files (and their YAML's stored forms) read in one query each
    before_days: float  # every agreement parsed and checked (in the workers) beside the aggregate (or nothing) and
                        # the aging read; the eligibility rules over the aging
    days: float         # each facility's day: balances or replay, then its compiled expression or status
    after: float        # the compiled figures' query
    cpu: float          # CPU seconds of this process and its workers
    others: float       # the share of the machine's CPU other work took meanwhile
    rows: list

    @property
    def total(self) -> float:
        return self.agreements + self.before_days + self.days + self.after


def _cpu() -> float:
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def prepare(folder: Path, facilities: int, invoices: int, stores: list[str]) -> tuple[Path, dict[str, str]]:
    """The book under `folder`, imported into each store (kept: a second run measures the same stores)."""
    book = folder / "book"
    aging = book / "agings" / f"aging-{DAY.isoformat()}.parquet"
    if not (folder / "book.written").exists():
        write_facility_book(book, facilities, invoices, seed=7, as_of=DAY)
        (folder / "book.written").write_text(f"{facilities} {invoices}\n")
    urls = {}
    if "sqlite" in stores:
        urls["sqlite"] = f"sqlite:///{folder / 'store.db'}"
    if "postgresql" in stores:
        name = f"loanbook_bench_book_{facilities}"
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        urls["postgresql"] = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    folders = sorted(p for p in book.iterdir() if (p / "facility.yaml").exists())
    for kind, url in urls.items():
        store = Store(url)
        stored = {s.id for s in store.facilities()}
        began = time.perf_counter()
        for facility in folders:
            if facility.name not in stored:
                store.import_folder(facility)
        if len(stored) < len(folders):
            print(f"{kind}: imported {len(folders) - len(stored):,} facilities in {time.perf_counter() - began:.0f} s")
        with_forms(store)
        store.close()
    return aging, urls


def with_forms(store: Store) -> None:
    """Every stored YAML file's form for this code, and every agreement's check outcome, made where the store has
    none (not counted), as a store's first run would."""
    forms = None
    kept = store.check_outcomes()
    checked = {}
    for files in store.every_facility_files().values():
        agreement = load_agreement(files)
        forms = files.forms
        if agreement.fingerprint not in kept:
            checked[agreement.fingerprint] = gate.outcome(agreement)
    if forms is not None and forms.made:
        print(f"made {len(forms.made):,} forms of stored YAML files for this code")
        store.keep_forms(forms.take())
    if checked:
        print(f"kept {len(checked):,} check outcomes for this code")
        store.keep_outcomes(checked)


def measure(url: str, aging: Path, aggregate: bool, compiled: bool, workers: int | None) -> Run:
    store = Store(url)
    stamps: list[float] = []

    def progress(items):
        stamps.append(time.perf_counter())  # the aggregate and the rules have run when the facilities' days begin
        yield from items
        stamps.append(time.perf_counter())

    with other_work() as others:
        cpu = _cpu()
        began = time.perf_counter()
        book = store_book(store, workers=workers)
        read = time.perf_counter()
        rows = run_portfolio(book, DAY, portfolio_aging=aging, compiled=compiled, workers=workers, progress=progress,
                             aggregate=aggregate)
        ended = time.perf_counter()
        cpu = _cpu() - cpu
    store.close()
    return Run(read - began, stamps[0] - read, stamps[1] - stamps[0], ended - stamps[1], cpu, others["share"], rows)


def in_a_fresh_process(function, *args):
    """`function(*args)` in a new interpreter, as `loanbook book` runs: no run inherits the heap, caches or
    imports that preparing the stores or an earlier run left in this process."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(target=_answer, args=(theirs, function, args))  # not a daemon: it forks workers
    process.start()
    theirs.close()
    answer = mine.recv()
    process.join()
    return answer


def _answer(pipe, function, args) -> None:
    pipe.send(function(*args))


def agreements_one_by_one(url: str) -> float:
    """The store's agreements read as the run read them before: each with its own queries, in one process."""
    store = Store(url)
    began = time.perf_counter()
    for stored in store.facilities():
        store.agreement(stored.id)
    took = time.perf_counter() - began
    store.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/loanbook-bench-book"))
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    stores = args.stores.split(",")
    aging, urls = prepare(args.dir, args.facilities, args.invoices, stores)
    events = sum(1 for p in (args.dir / "book").glob("*/events.yaml") for line in p.read_text().splitlines()
                 if line.startswith("- "))
    results = {}
    for kind, url in urls.items():
        results[kind] = {name: in_a_fresh_process(measure, url, aging, aggregate, compiled, workers)
                         for name, aggregate, compiled, workers in CONFIGURATIONS}
        results[kind]["one_by_one"] = agreements_one_by_one(url)
        for name, run in results[kind].items():
            if isinstance(run, Run):
                print(kind, name, f"{run.total:.1f} s", f"cpu {run.cpu:.1f} s", f"others {run.others:.0%}")
    lines = [
        "## The book run from the store", "",
        "Measured by `benchmarks/book_from_store.py` (run: `.venv/bin/python benchmarks/book_from_store.py`).", "",
        f"- Machine: {machine()}",
        f"- Book: {args.facilities:,} generated facilities ({events:,} events, a year each) and one aging of "
        f"{args.invoices:,} invoices (`loanbook/portfolio/book.py`, seed 7), imported into each store before the runs "
        "(not counted), with the forms of their YAML files (`loanbook/core/yamlform.py`: the YAML as read, kept as "
        "JSON at import) and the outcomes of their check (`loanbook/agreement/gate.py`, kept in the store by the "
        "files' fingerprint). Each run is timed from opening the store to the rows: the store's files, forms and check "
        "outcomes read; then every agreement parsed from its forms, its check's outcome looked up, in the worker that "
        "will compute its day, while the run's "
        "own process reads the aggregate (the design only) and the aging; the eligibility rules over the aging; each "
        "facility's day, in the same worker; the compiled figures' query. Worker processes: "
        f"{default_workers()} where 'on every core'.",
        "- Three runs of the same store, one after another, each in a fresh process (as `loanbook book` runs): the "
        "design (each facility's balances on "
        "the day from one aggregate over the events table: a few queries for the whole book), the run before (each "
        "facility's record read from the store, parsed and replayed in Python, on every core, then the same compiled "
        "figures), and the Python engine's `status` for each facility, in one process.",
        "- Other work on the machine: the share of its CPU that processes other than the benchmark's took during "
        "each run (the machine is shared): a run with a large share is slower than on a free machine, so its wall "
        "time is an upper bound; CPU time (this process and its workers; not the PostgreSQL server's, where the "
        "aggregate and the reads run) is given beside it.", "",
    ]
    for kind, runs in results.items():
        design = runs["aggregate"]
        same = all([replace(r, computed_by="") for r in design.rows] == [replace(r, computed_by="") for r in run.rows]
                   for name, run in runs.items() if isinstance(run, Run))
        counted = sum(1 for r in design.rows if r.balances == "aggregate")
        names = [name for name, *_ in CONFIGURATIONS]
        row = lambda label, cell, runs=runs, names=names: (  # noqa: E731
            f"| {label} | " + " | ".join(cell(runs[n]) for n in names) + " |")
        store_name = "SQLite file" if kind == "sqlite" else "PostgreSQL (127.0.0.1, same machine)"
        lines += [
            f"### {store_name}", "",
            "| step | " + " | ".join(LABELS[n] for n in names) + " |", "|---|---|---|---|",
            row("the store's files and forms read", lambda r: f"{r.agreements:.1f} s"),
            row("every agreement parsed and checked, beside the aggregate (design) and the aging read; the "
                "eligibility rules over the aging", lambda r: f"{r.before_days:.1f} s"),
            row("each facility's day", lambda r: f"{r.days:.1f} s ({r.days / args.facilities * 1000:.2f} ms a "
                                                 "facility)"),
            row("the compiled figures' query", lambda r: f"{r.after:.1f} s"),
            row("**the run, in all** (target: under 10 s for 10,000 facilities)", lambda r: f"**{r.total:.1f} s**"),
            row("CPU time, the process and its workers", lambda r: f"{r.cpu:.1f} s"),
            row("other work on the machine meanwhile", lambda r: f"{r.others:.0%}"),
            "",
            f"- Every run gives the same rows, facility by facility: {same}. Balances from the aggregate: "
            f"{counted:,} of {len(design.rows):,} facilities; replayed (records it cannot express): "
            f"{len(design.rows) - counted:,}.",
            f"- The design against `status` per facility (the per-facility Python path): "
            f"{runs['python'].total / design.total:.1f}x in wall time, {runs['python'].cpu / design.cpu:.1f}x in CPU "
            f"time (target: at least 4x); against the run before: {runs['replayed'].total / design.total:.1f}x in wall "
            f"time, {runs['replayed'].cpu / design.cpu:.1f}x in CPU time. The run under 10 s: "
            f"{'yes' if design.total < 10 else 'no'} ({design.total:.1f} s for {args.facilities:,} facilities; the "
            "target is for 10,000 on this machine).",
            f"- Where the design's time goes: the files and forms read {design.agreements / design.total:.0%}; the "
            f"agreements parsed from their forms and checked (every path pays it), beside the aggregate and the aging "
            f"read, and the rules {design.before_days / design.total:.0%}; the days {design.days / design.total:.0%}; "
            f"the query {design.after / design.total:.0%}.",
            f"- Reading each agreement with its own queries and parsing its YAML, as the run did before its files "
            f"were read in one query: {runs['one_by_one']:.1f} s in one process.", "",
        ]
    text_ = "\n".join(lines)
    write_section("book_from_store", text_)
    print(text_)


if __name__ == "__main__":
    main()
