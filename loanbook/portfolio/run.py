"""A portfolio run: for every facility of a book, the receivables value from its latest aging (every
facility's own eligibility terms applied to all the invoices at once, on DuckDB or Spark), then the day's
borrowing base, availability and breaches, exactly as `loanbook status` gives them for that facility alone
with that value reported. Where the record holds a report of the class at least as recent as that aging (a
certificate `bbc compute --record` recorded), the record's value stands: the latest information wins.

A book is the store's facilities, or every facility folder under a directory. Agings are found by name,
`agings/aging-YYYY-MM-DD.<csv|xlsx|parquet>`: the latest on or before the day. A book directory may also
hold `agings/` of its own, files for many facilities at once (with a facility_id column). A facility whose class
is valued from another item list (homes, investors' commitments: `items.py`) reads its own latest file there, by
the columns its terms declare.
"""
from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from ..agreement.gate import FailsCheck, Outcome, kept_outcome, outcome
from ..agreement.kinds_commitments import EventDate
from ..agreement.kinds_covenants import Covenant
from ..agreement.kinds_eligibility import Eligibility
from ..agreement.load import load_agreement
from ..agreement.model import Agreement
from ..core.errors import InputError, Problem, RecordError
from ..core.files import FacilityFiles, Folder
from ..core.money import CENT, ZERO, cents, money_str
from ..core.yamlform import Forms
from ..engine.facility import Facility
from ..engine.ledger import Ledger, Reported, balances_ledger
from ..events.parse import events_from
from ..store.folder import FolderLoader, open_folder
from .aging import MAX_AGING_BYTES, SCHEMA, absent_columns, aging_from_bytes, read_aging, rows_of
from .engines import connect
from .item_list import Items, items_from_bytes
from .items import ItemParams
from .items import by_facility as item_values
from .plan import NotCompiled, Shape, group_expr, group_table, plan_of, row_figures, shape_of
from .rules import EligibilityRules, eligible_by_facility, params_table, unread_rules
from .workers import Workers, shared

if TYPE_CHECKING:
    from ..store.store import Store

AGING_NAME = re.compile(r"aging-(\d{4}-\d{2}-\d{2})\.(csv|xlsx|parquet)")


@dataclass(frozen=True)
class BookFacility:
    """A facility of the book: its agreement, its record, and the agings it keeps (name -> content). A stored
    facility names its store: the run takes its balances on the day from one aggregate over the store's events
    (`balances`, set by the run), where its record and terms allow, instead of replaying its record.

    `read` gives the agreement, parsed the first time it is asked for in the process that asks: a store's book is
    parsed in the run's workers, each its own facilities, and never crosses between processes."""

    id: str
    read: Callable[[], Agreement]
    replay: Callable[[], Facility]
    agings: dict[str, Callable[[], bytes]]
    store: Store | None = None
    balances: Ledger | None = None   # the day's balances from the store's aggregate
    why_replayed: str | None = None  # a stored facility the aggregate does not give: why
    forms: Forms | None = None       # a stored facility's: its YAML files' stored forms, and those made in the run
    outcomes: Mapping[str, Outcome] | None = None  # a stored facility's: its store's check outcomes, by fingerprint

    @property
    def agreement(self) -> Agreement:
        return self.read()


@dataclass(frozen=True)
class PortfolioRow:
    facility: str
    name: str
    aging: str | None              # the aging the value came from (None: the value is the record's)
    collateral: str | None         # the class the eligibility terms value
    gross: Decimal | None          # the aging's, as its certificate gives them
    eligible: Decimal | None
    value: Decimal | None          # the class's value the figures use: the aging's, or the record's report
    borrowing_base: Decimal
    availability: Decimal
    overadvance: Decimal
    overadvance_limit: Decimal | None
    breaches: tuple[str, ...]
    problem: str | None = None     # why the day's figures could not be computed for this facility
    computed_by: str = "dataframe"  # or "python (why)": terms the compiled expression does not cover
    # how the day's balances were read: "aggregate" (the store's, for the whole book at once), or "replay (why)";
    # how, not what: rows compare by their figures
    balances: str = field(default="replay", compare=False)
    rules_without_column: tuple[str, ...] = ()  # rules on whose aging column was absent: they found nothing
    source: str | None = None      # "aging" or "record": where the class's value came from
    source_date: date | None = None  # the day of that aging, or of the report in force (None: no report yet)
    checked: bool = True           # false: computed (--unchecked) from terms that fail `loanbook check`

    @property
    def source_label(self) -> str:
        """The source in words, for the table: 'aging agings/aging-2002-12-16.csv', 'recorded report of ...'."""
        if self.source == "aging":
            return f"aging {self.aging}"
        if self.source == "record":
            return f"recorded report of {self.source_date}" if self.source_date else "record (no report yet)"
        return ""


def folder_book(directory: Path, *, workers: int | None = None) -> list[BookFacility]:
    """Every facility folder directly under `directory` (a folder with a facility.yaml), its agreement read
    on every core."""
    folders = sorted(p for p in directory.iterdir() if (p / "facility.yaml").is_file())
    with Workers(folders, workers) as pool:
        agreements = list(pool.map(_agreement_of, range(len(folders))))
    _one_folder_each(folders, agreements)
    found = []
    for folder, agreement in zip(folders, agreements):
        # the folder as `status` opens it (its events.yaml read only from inside it), with the agreement read above
        opened = open_folder(folder, {}, load=_already_read(agreement))
        found.append(BookFacility(agreement.facility_id, _given(agreement), opened.replay, _agings(Folder(folder))))
    return found


def _already_read(agreement: Agreement) -> FolderLoader:
    """A folder's loader that gives the agreement the run has read already (on every core): as now known, with the
    register's readings, which is how a book reads every folder."""
    def load(folder: Path, choices: dict[str, str], known_at: datetime | None) -> Agreement:
        assert not choices and known_at is None, "a book reads each folder as now known, with its default readings"
        return agreement
    return load


def _one_folder_each(folders: list[Path], agreements: list[Agreement]) -> None:
    """A facility id names one folder: two folders of one id would share one aging's value and one row."""
    first: dict[str, Path] = {}
    problems = []
    for folder, agreement in zip(folders, agreements):
        seen = first.setdefault(agreement.facility_id, folder)
        if seen != folder:
            problems.append(Problem(str(folder / "facility.yaml"), None, "facility_id",
                                    f"{agreement.facility_id!r} is the id of {seen.name} too; a book's ids are "
                                    "unique"))
    if problems:
        raise InputError(problems)


def _agreement_of(index: int) -> Agreement:
    return load_agreement(shared()[index])


def _given(agreement: Agreement) -> Callable[[], Agreement]:
    return lambda: agreement


def store_book(store: Store, *, workers: int | None = None) -> list[BookFacility]:
    """Every facility in the store: its files read in one query; its agreement parsed where the run first asks for
    it (in the worker that computes its day: `workers` is the run's to choose), its replay from the store's cache
    when the run needs one."""
    del workers  # the agreements are read in the run's workers, not here
    found = []
    outcomes = store.check_outcomes()  # one query, read before the workers are forked: theirs to look in
    for stored in store.every_facility_files().values():
        read = cache(partial(load_agreement, stored, loaded_before=outcomes))
        found.append(BookFacility(stored.name, read, _stored_replay(store, stored.name, read), _agings(stored),
                                  store=store, forms=stored.forms, outcomes=outcomes))
    return found


def _stored_replay(store, facility_id: str, read: Callable[[], Agreement]) -> Callable[[], Facility]:
    return lambda: store.facility(facility_id, agreement=read())


def _agings(files: FacilityFiles) -> dict[str, Callable[[], bytes]]:
    """The facility's agings by name, each read when asked for."""
    return {name: _reader(files, name) for name in files.listing("agings", "")
            if AGING_NAME.fullmatch(Path(name).name)}


def _reader(files: FacilityFiles, name: str) -> Callable[[], bytes]:
    return lambda: files.read_bytes(name, limit=MAX_AGING_BYTES, what="aging file")


def aging_day(name: str, day: date) -> date:
    """The day an aging is of: the date in its name, or the run's day for a file named without one (`--aging`)."""
    found = AGING_NAME.fullmatch(Path(name).name)
    return date.fromisoformat(found.group(1)) if found else day


def latest(names: list[str], day: date) -> str | None:
    """The aging with the latest date in its name on or before `day`."""
    dated = [(date.fromisoformat(m.group(1)), name) for name in names
             if (m := AGING_NAME.fullmatch(Path(name).name)) and date.fromisoformat(m.group(1)) <= day]
    return max(dated)[1] if dated else None


def book_aging(directory: Path, day: date, aging: Path | None = None) -> Path | None:
    """The aging of a book directory's run: the one given, else the latest of the book's own `agings/` on or
    before the day (a file for many facilities at once), else none."""
    shared = directory / "agings"
    if aging is not None or not shared.is_dir():
        return aging
    name = latest([p.name for p in shared.iterdir()], day)
    return shared / name if name else None


def run_portfolio(book: list[BookFacility], day: date, *, engine: str = "duckdb",
                  portfolio_aging: Path | None = None, compiled: bool = True, workers: int | None = None,
                  progress: Callable[[Iterator], Iterator] = lambda items: items,
                  unchecked: bool = False, aging_sheet: str | None = None,
                  aggregate: bool = True) -> list[PortfolioRow]:
    """Every facility's figures on `day`. The eligibility rules run once over the whole book; each facility's
    record then gives its balances that day (with the aging's value reported), and its terms, compiled to
    dataframe expressions (`plan.py`), give every facility's borrowing base, availability and breaches in one
    more query. `compiled=False` evaluates each facility with the Python engine instead (the baseline). The
    agreements and records are read on every core (`workers`: how many processes; 1 runs them here), each
    facility's in one worker from its terms to its day. `aging_sheet` names the sheet of an xlsx `portfolio_aging`
    (default: the first). A book with a facility that fails `loanbook check` computes nothing (FailsCheck) unless
    `unchecked`; its rows then say so. A stored facility's balances on the day come from one aggregate over the
    store's events (`with_balances`) unless `aggregate` is off (the benchmark's baseline)."""
    gc.freeze()  # the book, read already: not rescanned by the collector in the run, nor copied into the workers
    try:
        # forked before the engine starts; each worker reads its facilities' agreements and keeps them, while this
        # process reads the store's aggregate and the book's aging (a core the workers leave idle otherwise)
        with Workers(book, workers) as pool, ThreadPoolExecutor(1) as background:
            tasks = [(index, day) for index in range(len(book))]
            summarizing = background.submit(lambda: list(pool.map(_summary_task, tasks)))
            balanced = with_balances(book, day) if aggregate and compiled else book  # it serves compiled figures
            aging: pa.Table | InputError | None = None
            if portfolio_aging is not None:
                try:
                    aging = read_aging(portfolio_aging, portfolio=True, sheet=aging_sheet)
                except InputError as exc:
                    aging = exc  # refused after the check, as a book that fails it computes nothing
            summaries: list[_Summary] = summarizing.result()
            failing = {facility.id: s.outcome for facility, s in zip(book, summaries) if not s.outcome.passed}
            if failing and not unchecked:
                first = next(iter(failing))
                others = f" (and {len(failing) - 1} other facilit{'y' if len(failing) == 2 else 'ies'} of the book)" \
                    if len(failing) > 1 else ""
                _keep_made(book, summaries)  # the outcomes checked now too: the next run refuses without a check
                raise FailsCheck(f"{first}{others}", failing[first])
            if isinstance(aging, InputError):
                raise aging
            rows = _run(balanced, summaries, day, engine, portfolio_aging, aging, compiled, pool, progress)
    finally:
        gc.unfreeze()
    _keep_made(book, summaries)
    return [replace(row, checked=False) if row.facility in failing else row for row in rows]


def _keep_made(book: list[BookFacility], summaries: list[_Summary]) -> None:
    """The forms the workers made for stored YAML files they found none for, and the check outcomes they found
    none for, kept in each store for the next run."""
    made: dict[int, dict[str, str]] = {}
    checked: dict[int, dict[str, Outcome]] = {}
    for facility, summary in zip(book, summaries):
        if facility.store is not None and summary.forms:
            made.setdefault(id(facility.store), {}).update(summary.forms)
        if facility.store is not None and summary.checked is not None:
            checked.setdefault(id(facility.store), {})[summary.checked] = summary.outcome
    for facility in {id(f.store): f for f in book if f.store is not None}.values():
        assert facility.store is not None
        if id(facility.store) in made:
            facility.store.keep_forms(made[id(facility.store)])
        if id(facility.store) in checked:
            facility.store.keep_outcomes(checked[id(facility.store)])


def in_force(facility: BookFacility) -> Agreement:
    """The agreement the facility's record puts in force: as written, unless an amendment waits for its conditions
    precedent (engine/gating.py), which only the record's replay says."""
    if any(d.conditions_gate for d in facility.agreement.documents):
        return facility.replay().agreement
    return facility.agreement


@dataclass(frozen=True)
class _Summary:
    """What the run needs of a facility's agreement before its day, from the worker that parsed it: the check's
    outcome, the id its files give, and its eligibility terms in force on the day (one block, or none)."""

    outcome: Outcome
    facility_id: str
    eligibility: Eligibility | None
    forms: dict[str, str]  # forms made for its stored YAML files that had none (yamlform.py), to be kept
    checked: str | None = None  # the fingerprint of a stored facility checked in the run: its outcome to be kept


def _summary_task(task: tuple[int, date]) -> _Summary:
    index, day = task
    facility: BookFacility = shared()[index]
    try:
        agreement_in_force = in_force(facility)
    except (InputError, RecordError):  # a record that cannot be replayed: its day replays it and its row says why
        agreement_in_force = facility.agreement
    found = agreement_in_force.terms_in_force(Eligibility, day)
    made = facility.forms.take() if facility.forms is not None else {}
    agreement = facility.agreement
    if facility.outcomes is None:
        result, checked = outcome(agreement), None
    else:
        result, fresh = kept_outcome(agreement, facility.outcomes)
        checked = agreement.fingerprint if fresh else None
    return _Summary(result, agreement.facility_id, found[0][1] if len(found) == 1 else None, made, checked)


def _run(book: list[BookFacility], summaries: list[_Summary], day: date, engine: str, portfolio_aging: Path | None,
         shared: pa.Table | None, compiled: bool, pool: Workers, progress: Callable[[Iterator], Iterator]
         ) -> list[PortfolioRow]:
    """The run once every agreement is read (`summaries`): the eligibility rules over the agings, each facility's
    day in its worker, the compiled figures. `book` carries the aggregate's balances, sent with each day's task (the
    workers were forked before it was read); `shared` is the portfolio aging's table."""
    rules: dict[str, tuple[EligibilityRules, Eligibility]] = {}
    listed: dict[str, Eligibility] = {}  # facilities whose class is valued from another item list
    for facility, summary in zip(book, summaries):
        if summary.eligibility is not None and summary.eligibility.items is not None:
            listed[facility.id] = summary.eligibility
        elif summary.eligibility is not None:
            rules[facility.id] = (EligibilityRules.of(summary.eligibility), summary.eligibility)
    sources: dict[str, str] = {}
    absent: dict[str, set[str]] = {}  # facility -> the optional columns its aging lacked
    tables = []
    if portfolio_aging is not None and shared is not None:
        tables.append(shared)
        present = set(pc.unique(shared.column("facility_id")).to_pylist())
        sources = {f: portfolio_aging.name for f in rules if f in present}
        lacking = absent_columns(shared)  # one file: the same columns absent for every facility it holds
        absent = {f: lacking for f in sources}
    for facility, summary in zip(book, summaries):  # a facility the book's file has no rows for: its own latest aging
        name = latest(list(facility.agings), day)
        if name is None or facility.id not in rules or facility.id in sources:
            continue
        where = f"{facility.id}/{name}"  # its rows only, as `bbc compute` reads the same file
        table = rows_of(aging_from_bytes(facility.agings[name](), where), {facility.id, summary.facility_id}, where)
        tables.append(table.set_column(0, "facility_id", pa.array([facility.id] * table.num_rows, pa.string())))
        sources[facility.id] = name
        absent[facility.id] = absent_columns(table)
    lists = []
    for facility in book:  # another list: the facility's own latest file, read by the columns its terms declare
        name = latest(list(facility.agings), day)
        if name is None or facility.id not in listed:
            continue
        lists.append(items_from_bytes(facility.agings[name](), f"{facility.id}/{name}", listed[facility.id],
                                      facility.id))
        sources[facility.id] = name
    with connect(engine) as backend:
        values: dict[str, dict] = {}
        if tables and rules:
            invoices = pa.concat_tables(tables).cast(SCHEMA)
            result = backend.rows(eligible_by_facility(
                backend.con, backend.load(invoices, "invoices"),
                backend.load(params_table({f: r for f, (r, _) in rules.items()}, day), "params")))
            values = {r["facility_id"]: r for r in result}
        if lists:
            values.update({r["facility_id"]: r for r in backend.rows(_items_by_facility(backend, lists, listed, day))})
        collateral = {f: terms.collateral for f, (_, terms) in rules.items()}
        collateral.update({f: terms.collateral for f, terms in listed.items()})
        days = list(progress(pool.map(_task, [(index, f.balances, f.why_replayed, day, collateral.get(f.id),
                                               values.get(f.id), sources.get(f.id), compiled)
                                              for index, f in enumerate(book)])))
        figures, refused = _compiled_figures(backend, [d for d in days if isinstance(d, _Planned)])
    rows = []
    for facility, done in zip(book, days):
        if isinstance(done, _Planned) and facility.id in refused:  # too wide for exact dataframe arithmetic
            again = _day(facility, day, collateral.get(facility.id), values.get(facility.id),
                         sources.get(facility.id), compiled=False)
            assert isinstance(again, PortfolioRow)
            done = replace(again, computed_by=f"python ({refused[facility.id]})")
        done = _planned_row(done, figures[facility.id]) if isinstance(done, _Planned) else done
        if facility.id in absent and done.source == "aging":
            done = replace(done, rules_without_column=unread_rules(rules[facility.id][0], absent[facility.id]))
        rows.append(done)
    return rows


def _items_by_facility(backend, lists: list[Items], listed: dict[str, Eligibility], day: date):
    """The item rules once over every listed facility's items (items.py), each facility under its own terms."""
    items = Items.concat(lists)
    tables = {"items": items.items, "dates": items.dates, "flags": items.flags, "grades": items.grades,
              **ItemParams.tables({f: ItemParams.of(terms) for f, terms in listed.items()}, day)}
    return item_values({name: backend.load(table, f"item_{name}") for name, table in tables.items()})


# terms whose rules read the record on days other than the run's: covenants test their figures on each test date;
# an event date is the day of an event (the first report, the latest delivery), which the day's balances do not keep
_READ_OTHER_DAYS = (Covenant, EventDate)


_STORED_AFTER = "stored after the aggregate was read"


def with_balances(book: list[BookFacility], day: date) -> list[BookFacility]:
    """The book with each stored facility's balances on the day from one aggregate over its store's events (a few
    queries for the whole book), where its record holds only what the aggregate expresses; the others keep their
    replay, and say why. Whether its terms read only that day is asked where its agreement is read (`_as_read`):
    the aggregate needs none."""
    stores = {id(f.store): f.store for f in book if f.store is not None}
    found = {key: store.balances_on(day) for key, store in stores.items()}
    done = []
    for facility in book:
        if facility.store is None:
            done.append(facility)
            continue
        balances = found[id(facility.store)]
        why = balances.unexpressed.get(facility.id)
        if why is None and facility.id not in balances.ledgers:
            why = _STORED_AFTER
        if why is not None:
            done.append(replace(facility, why_replayed=why))
            continue
        done.append(replace(facility, balances=balances.ledgers[facility.id]))
    return done


def _as_read(facility: BookFacility) -> BookFacility:
    """The facility with the aggregate's balances only where its terms read the record on the run's day alone: a
    covenant or an event date reads other days, so its record is replayed (and says why)."""
    if facility.balances is None and facility.why_replayed != _STORED_AFTER:
        return facility  # replayed for the record's own reason, or no aggregate asked
    other_days = [kind.__name__.lower() for kind in _READ_OTHER_DAYS if facility.agreement.has_kind(kind)]
    if not other_days:
        return facility
    return replace(facility, balances=None, why_replayed=f"its {', '.join(other_days)} read the record on other days")


@dataclass
class _Planned:
    """A facility whose figures the compiled expression gives: its row so far, its plan, its other breaches."""

    row: PortfolioRow
    shape: Shape
    constants: list[Decimal]
    inputs: list[Decimal]
    other_breaches: tuple[str, ...]


def _task(task: tuple) -> PortfolioRow | _Planned:
    index, balances, why_replayed, *rest = task
    return _day(replace(shared()[index], balances=balances, why_replayed=why_replayed), *rest)


def _day(facility: BookFacility, day: date, collateral: str | None, computed: dict | None, aging: str | None,
         compiled: bool) -> PortfolioRow | _Planned:
    """The facility's record that day, with the aging's value reported unless the record's report is at least as
    recent: planned for the compiled expression, or (where its terms are outside it, or `compiled` is off)
    evaluated by the Python engine."""
    facility = _as_read(facility)
    money = (lambda key: Decimal(computed[key]).quantize(CENT)) if computed else (lambda key: None)
    replayed = "replay" + (f" ({facility.why_replayed})" if facility.why_replayed else "")
    row = PortfolioRow(facility.id, facility.agreement.name, aging, collateral, money("gross"), money("eligible"),
                       money("value"), ZERO, ZERO, ZERO, None, (), computed_by="python", balances=replayed)
    try:
        aggregate = compiled and facility.balances is not None  # the aggregate's, for the compiled figures only
        if aggregate:
            row, replay = _on_balances(row, facility, day, computed, collateral, aging)
        else:
            row, replay = _valued(row, facility.replay(), day, computed, collateral, aging)
        if compiled:
            book = replay.book(day)
            replay.require_availability(book)
            try:
                shape, constants, inputs = shape_of(plan_of(book))
                others = tuple(b.rule for b in replay.other_breaches(day))
                return _Planned(replace(row, computed_by="dataframe", balances="aggregate" if aggregate else replayed),
                                shape, constants, inputs, others)
            except NotCompiled as exc:
                row = replace(row, computed_by=f"python ({exc})")
            if aggregate:  # `status` reads the whole record (interest, fees, past due): replayed
                row, replay = _valued(row, facility.replay(), day, computed, collateral, aging)
                row = replace(row, balances="replay (the Python engine's status reads the whole record)")
        status = replay.status(day)
        view = replay.book(day)
        figures = row_figures(view.graph)
    except (InputError, RecordError) as exc:
        return replace(row, problem=exc.one_line() if isinstance(exc, InputError) else str(exc))

    def total(names: tuple[str, ...]) -> Decimal:
        return sum((view.value(name) for name in names), ZERO)

    return replace(row, borrowing_base=total(figures.borrowing_base), availability=total(figures.availability),
                   overadvance=total(figures.overadvance),
                   overadvance_limit=None if figures.overadvance_limit is None else total(figures.overadvance_limit),
                   breaches=tuple(sorted({b.rule for b in status.breaches})))


def _valued(row: PortfolioRow, replay: Facility, day: date, computed: dict | None, collateral: str | None,
            aging: str | None) -> tuple[PortfolioRow, Facility]:
    """The row with its class's value and source, and the replay with the aging's value reported on the day unless
    the record's report is at least as recent."""
    reported = replay.ledger.on(day).collateral
    value = _aging_value(reported, day, computed, collateral, aging)
    if value is None or collateral is None or aging is None:
        return _from_record(row, reported), replay
    report = {"date": day.isoformat(), "type": "borrowing_base_report", "values": {collateral: money_str(value)},
              "note": f"the value of {aging}, computed in the portfolio run"}
    return (replace(row, source="aging", source_date=aging_day(aging, day)),
            replay.extended(events_from([report], replay.agreement, f"portfolio run: {aging}", prior=replay.events)))


def _on_balances(row: PortfolioRow, facility: BookFacility, day: date, computed: dict | None, collateral: str | None,
                 aging: str | None) -> tuple[PortfolioRow, Facility]:
    """The same from the store's aggregate: the aging's value goes into the day's balances as the report of the
    day would put it there (the class's value replaced), without an event to parse and replay."""
    assert facility.balances is not None and facility.store is not None
    ledger = facility.balances
    snap = ledger.on(day)
    value = _aging_value(snap.collateral, day, computed, collateral, aging)
    if value is None or collateral is None or aging is None:
        row = _from_record(row, snap.collateral)
    else:
        row = replace(row, source="aging", source_date=aging_day(aging, day))
        reported = Reported(value, f"the value of {aging}, computed in the portfolio run", day)
        ledger = balances_ledger(day, snap.loans, snap.repaid, {**snap.collateral, collateral: reported},
                                 snap.contingents)
    return row, Facility(facility.agreement, (), facility.store.prime, _ledger=ledger)


def _aging_value(reported: dict[str, Reported], day: date, computed: dict | None, collateral: str | None,
                 aging: str | None) -> Decimal | None:
    """The aging's value of the class, in cents, where it is the latest information on the day; else None."""
    if computed and collateral and aging and _aging_wins(reported.get(collateral), aging, day):
        return cents(Decimal(computed["value"]))
    return None


def _aging_wins(report: Reported | None, aging: str, day: date) -> bool:
    """The latest information on the day wins: the aging's value, unless the record holds a report of the class
    of the aging's day or later (a certificate recorded from it, or from a corrected aging, is the record's word)."""
    return report is None or report.day < aging_day(aging, day)


def _from_record(row: PortfolioRow, reported: dict[str, Reported]) -> PortfolioRow:
    """The row of a facility whose value is the record's: its class's report in force (a facility without
    eligibility terms: the latest report of any class, named, as no one value is the class's)."""
    report = (reported.get(row.collateral) if row.collateral is not None
              else max(reported.values(), key=lambda r: r.day, default=None))
    value = report.value if report and row.collateral is not None else None
    return replace(row, aging=None, gross=None, eligible=None, value=value, source="record",
                   source_date=report.day if report else None)


def _compiled_figures(backend, planned: list[_Planned]) -> tuple[dict[str, dict], dict[str, str]]:
    """Every planned facility's figures from one query (a table and an expression per shape, unioned), and the
    facilities whose figures are too wide for exact dataframe arithmetic, with why."""
    groups: dict[Shape, list[_Planned]] = {}
    for p in planned:
        groups.setdefault(p.shape, []).append(p)
    parts = []
    refused: dict[str, str] = {}
    for number, (shape, members) in enumerate(groups.items()):
        try:
            table = group_table(shape, [(p.row.facility, p.constants, p.inputs) for p in members])
            parts.append(group_expr(shape, backend.load(table, f"shape_{number}")))
        except NotCompiled as exc:
            refused.update({p.row.facility: str(exc) for p in members})
    if not parts:
        return {}, refused
    union = parts[0] if len(parts) == 1 else ibis.union(*parts)
    return {r["facility_id"]: r for r in backend.rows(union)}, refused


def _planned_row(planned: _Planned, figures: dict) -> PortfolioRow:
    broken = {rule for rule in figures["breaches"].split("\n") if rule}
    return replace(planned.row, borrowing_base=figures["borrowing_base"], availability=figures["availability"],
                   overadvance=figures["overadvance"], overadvance_limit=figures["overadvance_limit"],
                   breaches=tuple(sorted(broken | set(planned.other_breaches))))


RESULT = pa.schema([("facility_id", pa.string()), ("name", pa.string()), ("aging", pa.string()),
                    ("collateral", pa.string()), ("gross", pa.decimal128(18, 2)), ("eligible", pa.decimal128(18, 2)),
                    ("value", pa.decimal128(18, 2)), ("borrowing_base", pa.decimal128(18, 2)),
                    ("availability", pa.decimal128(18, 2)), ("overadvance", pa.decimal128(18, 2)),
                    ("overadvance_limit", pa.decimal128(18, 2)), ("breaches", pa.list_(pa.string())),
                    ("problem", pa.string()), ("computed_by", pa.string()), ("balances", pa.string()),
                    ("rules_without_column", pa.list_(pa.string())), ("source", pa.string()),
                    ("source_date", pa.date32()), ("checked", pa.bool_())])


def result_table(rows: list[PortfolioRow]) -> pa.Table:
    fields = ("facility", "name", "aging", "collateral", "gross", "eligible", "value", "borrowing_base",
              "availability", "overadvance", "overadvance_limit", "breaches", "problem", "computed_by", "balances",
              "rules_without_column", "source", "source_date", "checked")
    lists = ("breaches", "rules_without_column")
    return pa.table({column: pa.array([list(getattr(r, f)) if f in lists else getattr(r, f) for r in rows],
                                      RESULT.field(column).type)
                     for column, f in zip(RESULT.names, fields)}, schema=RESULT)
