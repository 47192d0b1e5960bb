"""A portfolio run: for every facility of a book, the receivables value from its latest aging (every
facility's own eligibility terms applied to all the invoices at once, on DuckDB or Spark), then the day's
borrowing base, availability and breaches, exactly as `loanbook status` gives them for that facility alone
with that value reported.

A book is the store's facilities, or every facility folder under a directory. Agings are found by name,
`agings/aging-YYYY-MM-DD.<csv|xlsx|parquet>`: the latest on or before the day. A book directory may also
hold `agings/` of its own, files for many facilities at once (with a facility_id column).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from ..agreement.kinds_eligibility import Eligibility
from ..agreement.load import load_agreement
from ..agreement.model import Agreement
from ..core.errors import InputError, Problem, RecordError
from ..core.files import FacilityFiles, Folder
from ..engine.facility import Facility
from ..events.parse import events_from, parse_events
from ..market import shipped_prime_series
from .aging import MAX_AGING_BYTES, SCHEMA, aging_from_bytes, read_aging
from .engines import connect
from .rules import EligibilityRules, eligible_by_facility, params_table

AGING_NAME = re.compile(r"aging-(\d{4}-\d{2}-\d{2})\.(csv|xlsx|parquet)")


@dataclass(frozen=True)
class BookFacility:
    """A facility of the book: its agreement, its record, and the agings it keeps (name -> content)."""

    id: str
    agreement: Agreement
    replay: Callable[[], Facility]
    agings: dict[str, Callable[[], bytes]]


@dataclass(frozen=True)
class PortfolioRow:
    facility: str
    name: str
    aging: str | None              # the aging the value came from
    collateral: str | None         # the class the eligibility terms value
    gross: Decimal | None
    eligible: Decimal | None
    value: Decimal | None          # the class's value from the aging
    borrowing_base: Decimal
    availability: Decimal
    overadvance: Decimal
    overadvance_limit: Decimal | None
    breaches: tuple[str, ...]
    problem: str | None = None     # why the day's figures could not be computed for this facility


def folder_book(directory: Path) -> list[BookFacility]:
    """Every facility folder directly under `directory` (a folder with a facility.yaml)."""
    found = []
    for folder in sorted(p for p in directory.iterdir() if (p / "facility.yaml").is_file()):
        agreement = load_agreement(folder)
        events_file = folder / "events.yaml"

        def replay(agreement=agreement, events_file=events_file) -> Facility:
            events = parse_events(events_file, agreement) if events_file.exists() else ()
            return Facility(agreement, events, shipped_prime_series())
        files = Folder(folder)
        found.append(BookFacility(agreement.facility_id, agreement, replay,
                                  {name: _reader(files, name) for name in files.listing("agings", "")
                                   if AGING_NAME.fullmatch(Path(name).name)}))
    return found


def store_book(store) -> list[BookFacility]:
    """Every facility in the store, its replay from the store's cache."""
    found = []
    for stored in store.facilities():
        files = store.files(stored.id)
        found.append(BookFacility(stored.id, store.agreement(stored.id), _stored_replay(store, stored.id),
                                  {name: _reader(files, name) for name in files.listing("agings", "")
                                   if AGING_NAME.fullmatch(Path(name).name)}))
    return found


def _stored_replay(store, facility_id: str) -> Callable[[], Facility]:
    return lambda: store.facility(facility_id)


def _reader(files: FacilityFiles, name: str) -> Callable[[], bytes]:
    return lambda: files.read_bytes(name, limit=MAX_AGING_BYTES, what="aging file")


def latest(names: list[str], day: date) -> str | None:
    """The aging with the latest date in its name on or before `day`."""
    dated = [(date.fromisoformat(m.group(1)), name) for name in names
             if (m := AGING_NAME.fullmatch(Path(name).name)) and date.fromisoformat(m.group(1)) <= day]
    return max(dated)[1] if dated else None


def run_portfolio(book: list[BookFacility], day: date, *, engine: str = "duckdb",
                  portfolio_aging: Path | None = None,
                  progress: Callable[[Iterator], Iterator] = lambda items: items) -> list[PortfolioRow]:
    """Every facility's figures on `day`. The eligibility rules run once over the whole book; each facility's
    day then follows from its own terms and record, with the aging's value reported that day."""
    rules: dict[str, tuple[EligibilityRules, Eligibility]] = {}
    for facility in book:
        found = facility.agreement.terms_in_force(Eligibility, day)
        if len(found) == 1:
            rules[facility.id] = (EligibilityRules.of(found[0][1]), found[0][1])
    sources: dict[str, str] = {}
    tables = []
    if portfolio_aging is not None:
        tables.append(read_aging(portfolio_aging, portfolio=True))
        sources = {f: portfolio_aging.name for f in rules}
    else:
        for facility in book:
            name = latest(list(facility.agings), day)
            if name is None or facility.id not in rules:
                continue
            table = aging_from_bytes(facility.agings[name](), f"{facility.id}/{name}")
            tables.append(table.set_column(0, "facility_id", pa.array([facility.id] * table.num_rows, pa.string())))
            sources[facility.id] = name
    values: dict[str, dict] = {}
    if tables and rules:
        invoices = pa.concat_tables(tables).cast(SCHEMA)
        with connect(engine) as backend:
            result = backend.rows(eligible_by_facility(
                backend.con, backend.load(invoices, "invoices"),
                backend.load(params_table({f: r for f, (r, _) in rules.items()}, day), "params")))
        values = {r["facility_id"]: r for r in result}
    return [_row(facility, day, rules.get(facility.id), values.get(facility.id), sources.get(facility.id))
            for facility in progress(iter(book))]


def _row(facility: BookFacility, day: date, rule, computed: dict | None, source: str | None) -> PortfolioRow:
    name = facility.agreement.name
    collateral = rule[1].collateral if rule else None
    try:
        replay = facility.replay()
        if computed is not None and collateral is not None:
            report = {"date": day.isoformat(), "type": "borrowing_base_report",
                      "values": {collateral: f"{Decimal(computed['value']):.2f}"},
                      "note": f"the value of {source}, computed in the portfolio run"}
            replay = replay.extended(events_from([report], replay.agreement, f"portfolio run: {source}",
                                                 prior=replay.events))
        status = replay.status(day)
    except (InputError, RecordError) as exc:
        message = exc.one_line() if isinstance(exc, InputError) else str(exc)
        return PortfolioRow(facility.id, name, source, collateral, None, None, None, Decimal(0), Decimal(0),
                            Decimal(0), None, (), message)
    base = sum((b.total.value for b in status.borrowing_bases), Decimal(0))
    availability = sum((a.availability.value for a in status.availabilities), Decimal(0))
    overadvance = sum((o.overadvance.value for o in status.overadvances), Decimal(0))
    limit = sum((o.limit.value for o in status.overadvances), Decimal(0)) if status.overadvances else None
    money = (lambda key: Decimal(computed[key]).quantize(Decimal("0.01"))) if computed else (lambda key: None)
    return PortfolioRow(facility.id, name, source, collateral, money("gross"), money("eligible"), money("value"),
                        base, availability, overadvance, limit, tuple(sorted({b.rule for b in status.breaches})))


RESULT = pa.schema([("facility_id", pa.string()), ("name", pa.string()), ("aging", pa.string()),
                    ("collateral", pa.string()), ("gross", pa.decimal128(18, 2)), ("eligible", pa.decimal128(18, 2)),
                    ("value", pa.decimal128(18, 2)), ("borrowing_base", pa.decimal128(18, 2)),
                    ("availability", pa.decimal128(18, 2)), ("overadvance", pa.decimal128(18, 2)),
                    ("overadvance_limit", pa.decimal128(18, 2)), ("breaches", pa.list_(pa.string())),
                    ("problem", pa.string())])


def result_table(rows: list[PortfolioRow]) -> pa.Table:
    fields = ("facility", "name", "aging", "collateral", "gross", "eligible", "value", "borrowing_base",
              "availability", "overadvance", "overadvance_limit", "breaches", "problem")
    return pa.table({column: pa.array([getattr(r, f) if f != "breaches" else list(r.breaches) for r in rows],
                                      RESULT.field(column).type)
                     for column, f in zip(RESULT.names, fields)}, schema=RESULT)


def check_book(book: list[BookFacility]) -> None:
    ids = [f.id for f in book]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputError([Problem("the book", None, "id", f"facility ids used twice: {', '.join(repeated)}")])
