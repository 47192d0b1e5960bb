"""The command line (CONTRACT.md): thin adapters from arguments to the agreement loader and the engine.

Everything a person or a file gives goes through the core parsers (dates, money, times) and the safe
readers; JSON comes from `projection.py`, words for people from the same structured results. Human
output never interprets markup: a name in a file cannot restyle or rewrite the terminal.
"""
from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import localcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .agreement.gate import FailsCheck
from .core.dates import parse_iso_date, parse_timestamp
from .core.errors import InputError, Problem, RecordError, printable
from .core.files import MAX_YAML_BYTES
from .core.money import ENGINE_CONTEXT, money_human, parse_money, percent_str
from .store.database import default_url, safe_url
from .store.errors import Conflict, NotStored

# What a command computes with is imported in the command: `loanbook --help`, or a mistyped option, never
# loads the engine, and `status` on a folder never loads the store (SQLAlchemy, a database driver).
if TYPE_CHECKING:
    from .engine.facility import Facility
    from .store.store import Store

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="loanbook: the loan agreement as amended, and its figures as of any date.")
console = Console(width=None if sys.stdout.isatty() else 150, markup=False, highlight=False, emoji=False)

FacilityOpt = typer.Option(..., "--facility", help="a facility folder, or the id of a facility in the store")
JsonOpt = typer.Option(False, "--json", help="one JSON object on stdout, for scripts")
EventsOpt = typer.Option(None, "--events", help="an events file that replaces the facility's events.yaml")
WithEventsOpt = typer.Option(None, "--with-events", help="a what-if: an events file added to the facility's record "
                                                         "(in memory; nothing is written)")
ReadingOpt = typer.Option(None, "--reading", help="switch an interpretation for this run: I-2=iec_borrowing_capacity")
KnownAtOpt = typer.Option(None, "--known-at", help="only events and documents recorded by this time (ISO "
                                                   "date-time; UTC unless it names a zone)")
TrancheOpt = typer.Option(None, "--tranche", help="the revolving tranche (needed when the facility has several)")
OutOpt = typer.Option(None, "--out", help="also write the rows to FILE: .csv, .xlsx or .parquet (by its extension)")
UncheckedOpt = typer.Option(False, "--unchecked", help="compute even though the facility fails `loanbook check` "
                                                       "(the answer says so: checked false)")


class BadInput(Exception):
    """An argument a person typed wrong: exit 2, like bad input in a file."""


def _fail(message: str) -> None:
    print(f"loanbook: {printable(message, 2000)}", file=sys.stderr)
    raise typer.Exit(2)


def _run(action: Callable[[], None]) -> None:
    started()
    try:
        with localcontext(ENGINE_CONTEXT):  # whatever context the process has, the figures are the same
            action()
    except InputError as exc:
        _fail(exc.one_line())
    except (RecordError, BadInput, NotStored, Conflict, FailsCheck) as exc:
        _fail(str(exc))


def _out_format(out: Optional[Path]) -> None:
    """Refuse an --out whose extension names no format, before anything is computed."""
    if out is not None:
        from .reports.exports import UnknownFormat, out_format

        try:
            out_format(out)
        except UnknownFormat as exc:
            raise BadInput(str(exc)) from None


def _rows():
    """reports/rows.py, which builds the commands' tables for --out (it loads pyarrow: only when a file is asked)."""
    from .reports import rows

    return rows


def _write_out(build, out: Optional[Path]) -> None:
    """A command's rows written to --out FILE; `build` makes the table (pyarrow loads only when a file is asked)."""
    if out is not None:
        from .reports.exports import UnknownFormat, write_table

        try:
            write_table(build(), out)
        except UnknownFormat as exc:
            raise BadInput(str(exc)) from None


def _day(value: str, option: str) -> date:
    try:
        return parse_iso_date(value, what=option)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _engine(name: str) -> None:
    """--engine names one of the engines the rules run on, and one installed here."""
    from .portfolio.engines import ENGINES, missing

    if name not in ENGINES:
        raise BadInput(f"--engine is one of {', '.join(ENGINES)}, got {name!r}")
    if problem := missing(name):
        raise BadInput(problem)


def _period(start: str, end: str, *, max_days: int) -> tuple[date, date]:
    from . import projection as out

    lo, hi = _day(start, "--from"), _day(end, "--to")
    problem = out.period_problem(lo, hi, max_days)
    if problem:
        raise BadInput(f"--from {lo} --to {hi}: {problem}")
    return lo, hi


def _choices(readings: Optional[list[str]]) -> dict[str, str]:
    choices: dict[str, str] = {}
    for item in readings or []:
        if "=" not in item:
            raise BadInput(f"--reading takes ID=READING, got {item!r}")
        key, _, value = (part.strip() for part in item.partition("="))
        if choices.get(key, value) != value:
            raise BadInput(f"--reading {key} is given twice, as {choices[key]!r} and as {value!r}: give one reading")
        choices[key] = value
    return choices


def load_agreement(folder, choices=None, known_at=None):
    """The facility loader, imported when a command first reads a facility."""
    from .agreement.load import load_agreement as load

    return load(folder, choices, known_at)


def _agreement(facility: Path, readings, known_at: datetime | None = None):
    stored = _stored_id(facility)
    if stored is not None:
        return _store().agreement(stored, _choices(readings), known_at)
    return load_agreement(facility, _choices(readings), known_at)


_STORES: dict[str, Store] = {}


def _store() -> Store:
    """The store (LOANBOOK_DATABASE_URL, LOANBOOK_DB or the default file), opened once per run."""
    from .store.store import Store

    url = default_url()
    if url not in _STORES:
        _STORES[url] = Store(url)
    return _STORES[url]


def who() -> str:
    from .store.store import who as cli_user

    return cli_user()


def _stored_id(facility: Path) -> str | None:
    """A `--facility` that is not a folder is the id of a stored facility."""
    text = str(facility)
    if facility.is_dir() or "/" in text or "\\" in text:
        return None
    store = _store()
    if store.get(text) is None:
        raise BadInput(f"--facility {text!r} is neither a facility folder nor a facility in the store "
                       f"({safe_url(store.url)})")
    return text


def _moment(known_at: Optional[str]) -> datetime | None:
    if not known_at:
        return None
    try:
        return parse_timestamp(known_at, what="--known-at")
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _facility(facility: Path, events: Optional[Path], readings, known_at: Optional[str], *, unchecked: bool,
              as_json: bool, with_events: Optional[Path] = None) -> tuple[Facility, bool]:
    """The facility's replay (with --with-events, its record with those events added: a what-if in memory), and
    whether its agreement passes `loanbook check`."""
    engine, checked = _replayed(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
    if with_events is None:
        return engine, checked
    return engine.extended(_added_events(with_events, engine)), checked


def _added_events(path: Path, engine: Facility) -> tuple:
    """The events of a --with-events file, read against the record they are added to: their keys continue its
    count, and a correction may name its events."""
    from .core.yamlio import load_yaml
    from .events.parse import event_place, events_from

    located = load_yaml(path, locate=event_place)
    if located.data is None:
        return ()
    if not isinstance(located.data, list):
        raise InputError([Problem(str(path), None, None, "expected a list of events")])
    return events_from(located.data, engine.agreement, str(path), line_of=located.line, prior=engine.events)


def _replayed(facility: Path, events: Optional[Path], readings, known_at: Optional[str], *, unchecked: bool,
              as_json: bool) -> tuple[Facility, bool]:
    """The facility's replay, and whether its agreement passes `loanbook check`: one that fails computes only
    with --unchecked (before anything is replayed), and a human answer then opens with a line saying so."""
    from .store.folder import open_folder, open_with_events

    moment = _moment(known_at)
    stored = _stored_id(facility)
    choices = _choices(readings)
    if stored is None:
        opened = open_folder(facility, choices, events=events, load=load_agreement)
    elif events is not None:
        opened = open_with_events(partial(_store().agreement, stored), choices, events)
    else:
        default = (lambda: _store().agreement(stored, {}, None)) if choices else None  # as `loanbook check` reads
        engine = _store().facility(stored, choices=choices, known_at=moment)
        return engine, _checked(engine.as_written, facility, unchecked=unchecked, as_json=as_json, default=default)
    checked = _checked(opened.as_written, facility, unchecked=unchecked, as_json=as_json, default=opened.default)
    return opened.replay(moment), checked


def _checked(agreement, facility: Path, *, unchecked: bool, as_json: bool, default=None) -> bool:
    """Whether the agreement passes `loanbook check`; one that fails is refused (FailsCheck) unless --unchecked
    is given, and then a human answer opens with a line saying so."""
    from .agreement.gate import outcome, require, unchecked_line

    checked = require(agreement, str(facility), unchecked=unchecked, default=default)
    if not checked and not as_json:
        _say(Text(unchecked_line(str(facility), outcome(agreement, default)), style="bold red"))
    return checked


def _emit(payload: dict, checked: bool | None = None) -> None:
    """One JSON object on stdout; an answer computed from the terms says whether they passed `loanbook check`."""
    if checked is not None:
        from .projection import checked_answer  # only an answer computed from terms: the engine is loaded already

        payload = checked_answer(checked, payload)
    print(json.dumps(payload, indent=2))


def _say(*parts: str | Text) -> None:
    console.print(Text.assemble(*parts), soft_wrap=True)


def _progress(items, description: str, *, quiet: bool, total: int | None = None):
    """The items, with a progress bar on stderr when it is a terminal and the run is for people (not --json);
    on a pipe or a log file nothing is drawn."""
    total = len(items) if total is None else total
    if quiet or not sys.stderr.isatty() or total < 2:
        return items
    from rich.progress import track

    return track(items, total=total, description=description, console=Console(stderr=True))


def _cell(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _table(title: str, columns: list[str], rows: list[list], numeric: frozenset[str] = frozenset()) -> Table:
    table = Table(title=Text(title), title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left")
    for row in rows:
        table.add_row(*[Text(_cell(v)) for v in row])
    return table


# --- the agreement -----------------------------------------------------------------------------

@app.command()
def conformed(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
              format: str = typer.Option("markdown", "--format", help="markdown or html"),
              summary: bool = typer.Option(False, "--summary", help="terms and sources, without clause text"),
              readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
              as_json: bool = JsonOpt):
    """The agreement as amended on a date: every clause in force, its text and the document that set it."""
    from . import projection as out
    from .agreement.conformed import conformed_html, conformed_markdown

    def action():
        day = _day(as_of, "--as-of")
        if format not in ("markdown", "html"):
            raise BadInput(f"--format is markdown or html, got {format!r}")
        agreement = _agreement(facility, readings, _moment(known_at))
        if any(d.conditions_gate for d in agreement.documents):
            # an amendment that waits for its conditions is in force from the day the record meets them
            # (engine/gating.py): the agreement as amended is the one the record puts in force
            replay = _replayed(facility, None, readings, known_at, unchecked=True, as_json=True)[0]
            agreement = replay.history_checked().agreement  # a history the engine refuses is refused here too
        if as_json:
            _emit(out.plain({"as_of": day, "documents": [{"id": d.id, "title": d.title, "as_of": d.as_of,
                                                          "effective": d.effective, "text_status": d.text_status}
                                                         for d in agreement.documents if d.effective <= day],
                             "clauses": [{"clause": v.clause_id, "title": v.title, "document": v.document_id,
                                          "effective": v.effective, "text": v.text, "source": v.source}
                                         for v in agreement.in_force(day)]}))
        elif format == "html":
            print(conformed_html(agreement, day))
        else:
            print(conformed_markdown(agreement, day, summary=summary))
    _run(action)


@app.command()
def history(facility: Path = FacilityOpt, clause: str = typer.Option(..., "--clause"),
            as_json: bool = JsonOpt):
    """Every version of a clause, with its dates and sources."""
    from .agreement.conformed import history as clause_history
    from .agreement.conformed import terms_text

    def action():
        agreement = _agreement(facility, None)
        if clause not in agreement.clauses:
            raise BadInput(f"--clause: no clause {clause!r}; known: {', '.join(agreement.clauses)}")
        rows = clause_history(agreement, clause)
        if as_json:
            _emit({"clause": clause, "versions": rows})
            return
        _say(Text(agreement.clauses[clause].title, style="bold"), f" ({clause})")
        versions = {(v.document_id, v.effective.isoformat()): v for v in agreement.clauses[clause].versions}
        for r in rows:
            span = f"{r['effective'] or 'before the record'} to {r['until'] or 'in force'}"
            _say(f"- {span}: {r['op']} by {r.get('document_title') or 'an earlier document'}; "
                 f"text {'in record' if r['text'] else 'not in record'}")
            version = versions.get((r["document"], r["effective"]))
            if version is not None and version.terms:
                _say(f"    terms: {terms_text(version)}")
            if r["source"]:
                _say(f"    source: {r['source']}")
    _run(action)


@app.command()
def check(facility: Path = FacilityOpt, as_json: bool = JsonOpt):
    """The fidelity check: terms agree with the text; exactly one version in force each day. Exit 1 on a difference."""
    from .agreement.check import fidelity_check, passed

    result = {}

    def action():
        agreement = _agreement(facility, None)
        findings = fidelity_check(agreement)
        result["ok"] = passed(findings)
        if as_json:
            _emit({"passed": result["ok"], "findings": [f.as_dict() for f in findings]})
            return
        for finding in findings:
            colour = {"difference": "red", "resolved": "yellow", "note": "dim"}[finding.severity]
            _say(Text(f"{finding.severity:10}", style=colour), f" {finding.clause}: {finding.message}")
        differences = sum(f.severity == "difference" for f in findings)
        _say(f"check: {'passed' if result['ok'] else 'FAILED'}: {len(agreement.clauses)} clauses, "
             f"{sum(len(c.versions) for c in agreement.clauses.values())} versions, {differences} difference(s)")
    _run(action)
    if not result.get("ok", True):
        raise typer.Exit(1)


# --- the engine --------------------------------------------------------------------------------

@app.command()
def status(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
           explain: bool = typer.Option(False, "--explain", help="add the explanation of each figure"),
           events: Optional[Path] = EventsOpt,
           with_events: Optional[Path] = WithEventsOpt, readings: Optional[list[str]] = ReadingOpt,
           known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, out_file: Optional[Path] = OutOpt,
           as_json: bool = JsonOpt):
    """The facility at the end of a day: borrowing base, availability, overadvance, loans, breaches."""
    from . import projection as out

    def action():
        day = _day(as_of, "--as-of")
        _out_format(out_file)
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        result = engine.status(day)
        _write_out(lambda: _rows().status_table(result), out_file)
        explanations = out.status_explanations(engine, result) if explain else None
        if as_json:
            _emit(out.status_json(result, explanations=explanations), checked)
            return
        _print_status(engine, result)
        for tree in (explanations or {}).values():
            print("\n".join(printable(line, 10_000) for line in out.explanation_lines(tree)))
    _run(action)


def _print_status(engine: Facility, s) -> None:
    from . import projection as out

    rows: list[list] = []
    shown = {a.id for a in s.availabilities} | {"overadvance", "overadvance_cap", "overadvance_limit"}
    for base in s.borrowing_bases:
        for collateral in base.collateral:
            rows.append([collateral.label or collateral.id, money_human(collateral.value)])
        for line in base.lines:
            rows.append([f"{line.label} (at {percent_str(base.rates[line.id].value)}%)",
                         money_human(line.value)])
        for reserve in base.reserves:
            label = reserve.label or reserve.id
            rows.append([label if label.lower().startswith("less") else f"less {label}", money_human(reserve.value)])
        rows.append([base.label, money_human(base.total.value)])
        shown |= {base.id} | {f.id for f in base.collateral + base.lines + base.reserves}
    for f in s.figures:
        if f.id not in shown:
            rows.append([f.label or f.id.replace("_", " "), _figure_human(f)])
    words = engine.agreement.vocabulary.label_of
    for a in s.availabilities:
        rows.append([f"availability of {words('tranches', a.tranche)}", money_human(a.availability.value)
                     + (f" ({out.reason_text(a.ended)})" if a.ended else "")])
    for o in s.overadvances:
        of = f" of {words('tranches', o.tranche)}" if len(s.overadvances) > 1 else ""
        rows += [[f"overadvance{of}", money_human(o.overadvance.value)],
                 [f"overadvance cap{of}", money_human(o.cap.value)],
                 [f"overadvance limit{of}", money_human(o.limit.value)]]
    if s.interest_accrued_unpaid is not None:
        rows.append(["interest accrued and unpaid", money_human(s.interest_accrued_unpaid)])
    if s.overdue_interest is not None:
        rows.append(["  of which accrued on overdue amounts", money_human(s.overdue_interest)])

    rows.append(["expenses unpaid", money_human(s.expenses_unpaid)])
    console.print(_table(f"{engine.agreement.name} at the end of {s.as_of}", ["figure", "amount"], rows,
                         numeric=frozenset({"amount"})))
    for breach in s.breaches:
        _say(Text("BREACH", style="red"), f" {breach.clause}: {out.breach_message(breach)}")
    if not s.breaches:
        _say("No limit is breached.")
    for late in s.past_due:
        _say(Text("PAST DUE", style="red"), f" {late.clause}: {late.what}, {money_human(late.amount)} due {late.due} "
                                            f"({late.days_past_due} day(s) past due)")
    for springing in s.springing:
        _say(Text("SPRUNG", style="yellow"), f" {springing.clause}: {out.springing_message(springing)}")
    for gap in s.unmatched:
        _say(Text("NO LEVEL", style="red"), f" {gap.clause}: {gap.label} ({gap.grid}): {gap.detail}")
    for condition in s.pending_conditions:
        _say(Text("pending", style="yellow"), f" {condition.document} {condition.clause}: {condition.text}")


def _figure_human(f) -> str:
    from . import projection as out

    if f.unit == "percent":
        return f"{percent_str(f.value)}%"
    if f.unit == "number":
        return out.figure_value(f) or ""
    return money_human(f.value)


@app.command()
def advance(facility: Path = FacilityOpt, on: str = typer.Option(..., "--on"),
            amount: str = typer.Option(..., "--amount"), tranche: Optional[str] = TrancheOpt,
            events: Optional[Path] = EventsOpt,
            with_events: Optional[Path] = WithEventsOpt, readings: Optional[list[str]] = ReadingOpt,
            known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """The decision on an advance request."""
    from . import projection as out

    def action():
        day = _day(on, "--on")
        try:
            value = parse_money(amount, what="--amount")
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        from .engine.availability import amount_problem

        problem = amount_problem(value)
        if problem:  # the engine's rule, named by the option that broke it
            raise BadInput(f"--amount {problem}, got {amount!r}")
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        decision = engine.advance(day, value, tranche)
        if as_json:
            _emit(out.decision_json(decision), checked)
            return
        _say(f"Advance of {money_human(value)} of {decision.tranche} on {day}: ", Text(decision.decision, style="bold"),
             f" (overadvance after: {money_human(decision.overadvance_after)})")
        for reason in decision.reasons:
            _say(f"  - {out.reason_text(reason)}")
    _run(action)


@app.command()
def fees(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
         events: Optional[Path] = EventsOpt,
         with_events: Optional[Path] = WithEventsOpt, readings: Optional[list[str]] = ReadingOpt,
         known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, out_file: Optional[Path] = OutOpt,
         as_json: bool = JsonOpt):
    """Fees: each computed charge (unused line, letter of credit, termination) and each installment of an
    installment fee, with its due date and status."""
    from . import projection as out

    def action():
        day = _day(as_of, "--as-of")
        _out_format(out_file)
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        state, charges = engine.fees(day), engine.charges_on(day)
        _write_out(lambda: _rows().fees_table(state, charges, day), out_file)
        if as_json:
            _emit(out.fees_json(state, day, charges, engine.charges_credit(day)), checked)
            return
        if charges:
            console.print(_table(f"Fees charged by the end of {day}", ["fee", "from", "to", "days", "basis", "rate",
                                                                        "amount", "due", "status", "paid"],
                                 [[c.label, c.start.isoformat(), c.end.isoformat(), str(c.days),
                                   money_human(c.base) if c.base is not None else "",
                                   f"{percent_str(c.rate)}%" if c.rate is not None else "varies",
                                   money_human(c.amount), c.due.isoformat(), c.status, money_human(c.paid)]
                                  for c in charges],
                                 numeric=frozenset({"days", "basis", "rate", "amount", "paid"})))
        credit = engine.charges_credit(day)
        if credit:
            _say(f"credit {money_human(credit)}: paid toward computed fees beyond every charge to date")
        if state is None:
            if not charges and not credit:
                _say("This facility has no fee in the record.")
            return
        rows = [[state.terms.component_named(s.component), s.due.isoformat(), money_human(s.amount), s.status,
                 money_human(s.paid),
                 "; ".join(filter(None, ["provisional date" if s.provisional else None,
                                         out.waiver_text(s.waived_by) if s.waived_by else None]))]
                for s in state.installments]
        console.print(_table(f"{state.terms.named} at the end of {day}", ["component", "due", "amount", "status",
                                                                           "paid", "note"], rows,
                             numeric=frozenset({"amount", "paid"})))
        _say(f"due {money_human(state.total_due)}  paid {money_human(state.total_paid)}  waived "
             f"{money_human(state.total_waived)}  scheduled {money_human(state.total_scheduled)}"
             + (f"  credit {money_human(state.credit)}" if state.credit else ""))
    _run(action)


@app.command()
def obligations(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
                events: Optional[Path] = EventsOpt,
                with_events: Optional[Path] = WithEventsOpt, readings: Optional[list[str]] = ReadingOpt,
                known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """Covenants, deadlines, conditional obligations, scheduled principal and the conditions precedent."""
    from . import projection as out

    def action():
        day = _day(as_of, "--as-of")
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        if as_json:
            _emit(out.obligations_answer(engine, day), checked)
            return
        rows, conditions = engine.obligations(day), engine.conditions(day)
        console.print(_table(f"Obligations at the end of {day}", ["id", "clause", "deadline", "status", "detail"],
                             [[r.id, r.clause, r.deadline.isoformat() if r.deadline else "", r.status, r.detail]
                              for r in rows]))
        if conditions:
            console.print(_table("Conditions of the documents", ["document", "clause", "condition", "status", "on"],
                                 [[c.document, c.clause, c.text, c.status,
                                   c.satisfied_on.isoformat() if c.satisfied_on else ""] for c in conditions]))
    _run(action)


@app.command()
def covenants(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
              events: Optional[Path] = EventsOpt,
              with_events: Optional[Path] = WithEventsOpt, readings: Optional[list[str]] = ReadingOpt,
              known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt,
              out_file: Optional[Path] = OutOpt, as_json: bool = JsonOpt):
    """Financial covenants: each test date's measure against its threshold, and its status."""
    from . import projection as out

    def action():
        day = _day(as_of, "--as-of")
        _out_format(out_file)
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        results = engine.covenant_tests(day)
        _write_out(lambda: _rows().covenants_table(results, day), out_file)
        if as_json:
            _emit(out.covenants_answer(engine, day), checked)
            return
        if not results:
            _say("No covenant test date has come by this day (or the facility has no covenant in the record).")
            return
        _say(f"Covenants at the end of {day}")
        for r in results:
            _say(Text("  BREACH " if r.status == "breached" else "  ", style="red"), out.covenant_sentence(r))
    _run(action)


@app.command()
def payoff(facility: Path = FacilityOpt, on: str = typer.Option(..., "--on"),
           events: Optional[Path] = EventsOpt,
           with_events: Optional[Path] = WithEventsOpt, readings: Optional[list[str]] = ReadingOpt,
           known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """The payoff figure on a day, and what paying in full that day would waive."""
    from . import projection as out

    def action():
        day = _day(on, "--on")
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        result = engine.payoff(day)
        if as_json:
            _emit(out.payoff_json(result), checked)
            return
        rows = [[tranche, money_human(amount)] for tranche, amount in result.loans.items()]
        rows += [["interest", money_human(result.interest) if result.interest is not None else "not priced"],
                 ["fees", money_human(result.fees)], ["expenses", money_human(result.expenses)],
                 ["total", money_human(result.total)]]
        rows += [[f"cash collateral: {part.percent}% of {money_human(part.open)} of open {part.contingent} ("
                  f"{part.source})", money_human(part.amount)] for part in result.collateral]
        if result.collateral:
            rows.append(["to close (total and cash collateral)", money_human(result.to_close)])
        console.print(_table(f"Payoff on {day}", ["part", "amount"], rows, numeric=frozenset({"amount"})))
        for item in result.would_waive:
            _say(f"Paying in full on {day} waives the {item.component} installment of "
                 f"{money_human(item.amount)} due {item.due}")
    _run(action)


@app.command()
def explain(figure: str = typer.Argument(..., help="availability, a borrowing base line, interest, fees, payoff, ..."),
            facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
            events: Optional[Path] = EventsOpt,
            with_events: Optional[Path] = WithEventsOpt, readings: Optional[list[str]] = ReadingOpt,
            known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """Why a figure is what it is: formula, inputs and clause versions down to the clause text."""
    from .engine.facility import UnknownFigure

    def action():
        day = _day(as_of, "--as-of")
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        try:
            tree = engine.explain(figure, day)
        except UnknownFigure as exc:
            raise BadInput(f"unknown figure {exc.figure!r}; explainable: {exc.names}") from None
        from . import projection as out

        if as_json:
            _emit(out.explanation_json(tree), checked)
        else:
            print("\n".join(printable(line, 10_000) for line in out.explanation_lines(tree)))
    _run(action)


@app.command()
def interest(facility: Path = FacilityOpt, start: str = typer.Option(..., "--from"),
             end: str = typer.Option(..., "--to"), events: Optional[Path] = EventsOpt,
             with_events: Optional[Path] = WithEventsOpt,
             readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
             unchecked: bool = UncheckedOpt, out_file: Optional[Path] = OutOpt, as_json: bool = JsonOpt):
    """The interest statement for a period, month by month and tranche by tranche."""
    from . import projection as out
    from .engine.facility import MAX_STATEMENT_MONTHS

    def action():
        lo, hi = _period(start, end, max_days=MAX_STATEMENT_MONTHS * 31)
        _out_format(out_file)
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        months = engine.interest_statement(lo, hi)
        _write_out(lambda: _rows().interest_table(months), out_file)
        if as_json:
            _emit(out.interest_json(lo, hi, engine.priced, months), checked)
            return
        if not engine.priced:
            _say("This facility has no pricing clause in the record: no interest is stated.")
        for month in months:
            rows = []
            for tranche, data in month.classes.items():
                for line in data.lines:
                    rows.append([tranche, line.start.isoformat(), line.end.isoformat(), str(line.days),
                                 money_human(line.principal), f"{percent_str(line.rate)}% ({line.rate_formula})",
                                 line.day_basis, money_human(line.interest)])
            console.print(_table(f"Interest {month.month} ({month.start} to {month.end})",
                                 ["tranche", "from", "to", "days", "principal", "rate", "basis", "interest"], rows,
                                 numeric=frozenset({"days", "principal", "interest"})))
            for o in month.overdue:
                _say(f"  overdue {o.what} (due {o.due}) {o.start} to {o.end}, {o.days} "
                     f"day(s): {money_human(o.amount)} at {percent_str(o.rate)}% ({o.rate_formula})"
                     + (f" less {percent_str(o.already_accruing)}% already accruing" if o.already_accruing else "")
                     + f", {o.day_basis}: {money_human(o.interest)}")
            _say(f"  interest {money_human(month.interest)}  paid {money_human(month.paid)}  "
                 f"unpaid at month end {money_human(month.unpaid_at_end)}")
    _run(action)


@app.command()
def timeline(facility: Path = FacilityOpt, start: str = typer.Option(..., "--from"),
             end: str = typer.Option(..., "--to"), events: Optional[Path] = EventsOpt,
             with_events: Optional[Path] = WithEventsOpt,
             readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
             unchecked: bool = UncheckedOpt, out_file: Optional[Path] = OutOpt, as_json: bool = JsonOpt):
    """One row a day: capacity, usage, availability, overadvance and its limit; breach days marked."""
    from . import projection as out
    from .engine.facility import MAX_TIMELINE_DAYS

    def action():
        lo, hi = _period(start, end, max_days=MAX_TIMELINE_DAYS)
        _out_format(out_file)
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=as_json)
        rows = engine.timeline(lo, hi)
        _write_out(lambda: _rows().timeline_table(rows), out_file)
        if as_json:
            _emit(out.timeline_json(lo, hi, rows), checked)
            return
        money = lambda v: "" if v is None else money_human(v)  # noqa: E731
        console.print(_table(f"Timeline {lo} to {hi}", ["date", "capacity", "outstanding", "availability",
                                                         "overadvance", "limit", "breach"],
                             [[r.day.isoformat(), money(r.capacity), money(r.usage), money(r.availability),
                               money(r.overadvance), money(r.overadvance_limit), ", ".join(r.breaches)]
                              for r in rows],
                             numeric=frozenset({"capacity", "outstanding", "availability", "overadvance", "limit"})))
    _run(action)


# --- the store -----------------------------------------------------------------------------------

@app.command("import")
def import_facility(folders: list[Path] = typer.Argument(..., help="one or more facility folders"),
                    facility_id: Optional[str] = typer.Option(None, "--id", help="its id in the store (default: "
                                                                                 "the id in facility.yaml; one folder "
                                                                                 "only)"),
                    as_json: bool = JsonOpt):
    """Store facility folders (every file, and its events as the first of its record), each after every check.
    Several are stored one by one, in order, stopping at the first that fails (naming it): each is whole."""
    from . import projection as out

    def action():
        if facility_id is not None and len(folders) > 1:
            raise BadInput("--id names one facility: import one folder with it")
        stored = [_store().import_folder(folder, facility_id=facility_id, by=who())
                  for folder in _progress(folders, "importing", quiet=as_json)]
        if as_json:
            _emit(out.stored_json(stored[0]) if len(stored) == 1 else {"imported": [out.stored_json(f)
                                                                                      for f in stored]})
            return
        for f in stored:
            _say(f"imported {f.id} ({f.name}): {f.events} events; head {f.head_hash[:16]}; "
                 f"store {safe_url(_store().url)}")
    _run(action)


@app.command()
def ingest(file: Path = typer.Argument(..., help="a filing: plain text, HTML or PDF (its text layer)"),
           facility: Path = typer.Option(..., "--facility", help="a facility folder (made, with a scaffold "
                                                                 "facility.yaml, if it does not exist)"),
           doc_id: Optional[str] = typer.Option(None, "--id", help="the document's id (default: from the file's name)"),
           show_diff: bool = typer.Option(False, "--diff", help="compare with the facility's hand-made document of the "
                                                                "same id instead of writing a draft"),
           as_json: bool = JsonOpt):
    """Read a filing into a draft document (drafts/DOC_ID.yaml): clauses, operations, figures with their spans,
    proposed terms; nothing computes from it until `loanbook accept`."""
    from .ingest.draft import diff_with_hand_made, write_draft
    from .ingest.draft import ingest as ingest_filing

    def action():
        draft = ingest_filing(file, facility, doc_id)
        if show_diff:
            lines = diff_with_hand_made(draft, facility)
            if as_json:
                _emit({"document": draft.doc_id, "diff": lines})
            else:
                for line in lines:
                    _say(line)
            return
        path = write_draft(draft, facility)
        summary = {"document": draft.doc_id, "draft": str(path), "operations": len(draft.operations),
                   "clauses": len(draft.document["clauses"]), "terms": len(draft.document["proposed"]),
                   "unmapped": len(draft.document["unmapped"])}
        if as_json:
            _emit(summary)
            return
        _say(f"draft {path}: {summary['clauses']} clauses, {summary['operations']} operations, {summary['terms']} "
             f"terms blocks proposed, {summary['unmapped']} figures unmapped; review it, then `loanbook accept "
             f"{draft.doc_id} --facility {facility}`")
    _run(action)


@app.command()
def accept(doc_id: str = typer.Argument(..., help="the id of a draft in the facility's drafts/"),
           facility: Path = typer.Option(..., "--facility", help="a facility folder"), as_json: bool = JsonOpt):
    """Check a draft with the facility and move it into documents/; refused (exit 1, nothing written) while the
    check finds a difference."""
    from .ingest.draft import AcceptRefused
    from .ingest.draft import accept as accept_draft

    def action():
        try:
            written = accept_draft(doc_id, facility)
        except AcceptRefused as refused:
            if as_json:
                _emit({"accepted": False, "differences": refused.differences})
            else:
                for line in refused.differences:
                    _say(Text("difference ", style="red"), line)
                _say(f"accept: refused: {len(refused.differences)} difference(s); resolve each in the draft (terms, "
                     "or not_encoded with a reason) and accept again")
            raise typer.Exit(1) from None
        if as_json:
            _emit({"accepted": True, "document": str(written)})
        else:
            _say(f"accepted {doc_id}: {written}")
    _run(action)


@app.command()
def export(facility_id: str = typer.Argument(..., help="a stored facility's id"),
           folder: Path = typer.Argument(..., help="a new or empty folder")):
    """Write a stored facility back to a folder: its files as imported, events appended since in events.yaml."""
    def action():
        written = _store().export(facility_id, folder)
        _say(f"exported {facility_id} to {folder}: {len(written)} files")
    _run(action)


@app.command()
def facilities(as_json: bool = JsonOpt):
    """The facilities in the store."""
    from . import projection as out

    def action():
        stored = _store().facilities()
        if as_json:
            _emit({"store": safe_url(_store().url), "facilities": [out.stored_json(f) for f in stored]})
            return
        console.print(_table(f"Facilities in {safe_url(_store().url)}", ["id", "name", "events", "imported"],
                             [[f.id, f.name, str(f.events), f.imported_at.isoformat(timespec="seconds")]
                              for f in stored], numeric=frozenset({"events"})))
    _run(action)


@app.command()
def record(file: Path = typer.Argument(..., help="a YAML list of events (docs/events.md)"),
           facility: str = typer.Option(..., "--facility", help="a stored facility's id"), as_json: bool = JsonOpt):
    """Append events to a stored facility's record: validated as a whole with the record, all or nothing."""
    from . import projection as out
    from .core.yamlio import load_yaml
    from .events.parse import event_place

    def action():
        located = load_yaml(file, locate=event_place)
        rows = located.data
        if not isinstance(rows, list):
            raise InputError([Problem(str(file), None, None, "expected a list of events")])
        recorded = _store().record(facility, rows, by=who(), source=str(file), line_of=located.line)
        if as_json:
            _emit(out.recorded_json(recorded))
            return
        _say(f"recorded {len(recorded.keys)} event(s) in {facility} as events {recorded.first_seq} to "
             f"{recorded.last_seq}, at {recorded.recorded_at.isoformat()}")
    _run(action)


@app.command()
def verify(facility: str = typer.Option(..., "--facility", help="a stored facility's id"), as_json: bool = JsonOpt):
    """Check the facility's hash chain: exit 1 and name the first bad event if any row was changed."""
    result = {}

    def action():
        checked = _store().verify(facility)
        result["ok"] = checked.ok
        if as_json:
            _emit({"facility": checked.facility, "ok": checked.ok, "events": checked.events,
                   "head_hash": checked.head_hash, "problem": checked.problem, "first_bad_event": checked.seq})
            return
        if checked.ok:
            _say(f"verified {facility}: {checked.events} events, chain intact; head {checked.head_hash}")
        else:
            _say(Text("TAMPERED", style="red"), f" {facility}: {checked.problem}")
    _run(action)
    if not result.get("ok", True):
        raise typer.Exit(1)


users_app = typer.Typer(no_args_is_help=True, help="Users of the API and their tokens.")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(name: str = typer.Argument(...), role: str = typer.Option(..., "--role", help="agent, lender or "
                                                                                           "borrower"),
              facility: list[str] = typer.Option(..., "--facility", help="a stored facility's id (repeatable)"),
              party: Optional[str] = typer.Option(None, "--party", help="a lender's party in the facility"),
              as_json: bool = JsonOpt):
    """Add a user and print its token, once: the store keeps only a hash of it."""
    def action():
        from .store.users import add_user

        user, token = add_user(_store(), name, role, facility, party)
        if as_json:
            _emit({"id": user.id, "name": user.name, "role": user.role, "facilities": user.facilities,
                   "token": token})
            return
        _say(f"added {user.role} {user.name} for {', '.join(user.facilities)}")
        _say("token (shown once; keep it secret): ", token)
    _run(action)


@users_app.command("list")
def users_list(as_json: bool = JsonOpt):
    """The users, their roles and facilities (never their tokens)."""
    def action():
        from .store.users import list_users

        users = list_users(_store())
        if as_json:
            _emit({"users": [{"id": u.id, "name": u.name, "role": u.role, "facilities": u.facilities}
                             for u in users]})
            return
        console.print(_table("Users", ["name", "role", "facilities"],
                             [[u.name, u.role, ", ".join(f + (f" ({p})" if p else "") for f, p in u.facilities.items())]
                              for u in users]))
    _run(action)


@users_app.command("passwd")
def users_passwd(name: str = typer.Argument(...),
                 password_stdin: bool = typer.Option(False, "--password-stdin",
                                                     help="read the password from the first line of stdin")):
    """Set a user's password for the web app's log-in (asked twice on a terminal); the store keeps its hash."""
    def action():
        from .store.users import set_password

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        set_password(_store(), name, password)
        _say(f"password set for {name}")
    _run(action)


@users_app.command("revoke")
def users_revoke(name: str = typer.Argument(...)):
    """Shut a user out at once: its token and password are refused from the next request, its sessions end."""
    def action():
        from .store.users import revoke

        revoke(_store(), name)
        _say(f"revoked {name}")
    _run(action)


@users_app.command("rotate")
def users_rotate(name: str = typer.Argument(...), as_json: bool = JsonOpt):
    """A new token for a user, printed once; the old one is refused from the next request."""
    def action():
        from .store.users import rotate

        token = rotate(_store(), name)
        if as_json:
            _emit({"name": name, "token": token})
            return
        _say("token (shown once; keep it secret): ", token)
    _run(action)


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          workers: int = typer.Option(1, "--workers", help="server processes"),
          quiet: bool = typer.Option(False, "--quiet", help="log no request (errors only)")):
    """Serve the web app (docs/web-app.md) and the API (OpenAPI at /docs) on the store; prints the address and logs
    each request."""
    import uvicorn

    started()
    _store()  # the schema is brought up to date once, before any worker starts
    shown = f"[{host}]" if ":" in host else host
    print(f"loanbook: serving {safe_url(_store().url)} at http://{shown}:{port} (OpenAPI at "
          f"http://{shown}:{port}/docs); {workers} worker(s); Ctrl+C stops", file=sys.stderr, flush=True)
    uvicorn.run("loanbook.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning" if quiet else "info", access_log=not quiet)


# --- borrowing base certificates from agings ----------------------------------------------------------

bbc_app = typer.Typer(no_args_is_help=True, help="Borrowing base certificates computed from receivables agings.")
app.add_typer(bbc_app, name="bbc")


@bbc_app.command("compute")
def bbc_compute(facility: Path = FacilityOpt,
                aging: Path = typer.Option(..., "--aging", "--items", help="the aging, or the item list the "
                                                                          "eligibility terms declare: CSV, xlsx or "
                                                                          "Parquet"),
                as_of: str = typer.Option(..., "--as-of"),
                sheet: Optional[str] = typer.Option(None, "--sheet", help="the sheet of an xlsx aging (default: the "
                                                                          "first)"),
                collateral: Optional[str] = typer.Option(None, "--class", help="the collateral class, if several "
                                                                                "have an eligibility definition"),
                engine: str = typer.Option("duckdb", "--engine", help="duckdb or spark"),
                top: int = typer.Option(5, "--top", help="debtors shown with the largest ineligible amounts"),
                record_it: bool = typer.Option(False, "--record", help="append the report to a stored facility"),
                unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """The certificate from an aging (or another item list): each ineligible category, the eligible amount, the
    class's value."""
    from . import projection as out
    from .portfolio.aging import RULE_COLUMN, aging_bytes
    from .portfolio.certify import NoDefinition, certify, eligibility_in_force
    from .portfolio.rules import LABELS

    def action():
        day = _day(as_of, "--as-of")
        _engine(engine)
        stored = _stored_id(facility)
        if record_it and stored is None:
            raise BadInput("--record appends to a stored facility: `loanbook import` the folder, then give its id")
        agreement = _agreement(facility, None)
        checked = _checked(agreement, facility, unchecked=unchecked, as_json=as_json)
        if record_it:
            _recordable(checked)
        try:
            version, terms = eligibility_in_force(agreement, day, collateral)
            data = aging_bytes(aging)
            if terms.items is not None:
                _bbc_items(agreement, version, terms, data, aging, day, stored, engine=engine, sheet=sheet,
                           record_it=record_it, checked=checked, as_json=as_json)
                return
            certified = certify(agreement, data, str(aging), day, checked=checked,
                                facility_ids={agreement.facility_id, stored or agreement.facility_id}, sheet=sheet,
                                collateral=collateral, engine=engine, top=top)
        except NoDefinition as exc:
            raise BadInput(str(exc)) from None
        cert = certified.certificate
        answer = certified.answer()
        recorded = None
        if record_it:
            assert stored is not None
            recorded = _store().record(stored, [certified.event("loanbook bbc compute")], by=who(), source=str(aging))
        if as_json:
            _emit({**answer, "recorded": out.recorded_json(recorded) if recorded else None}, checked)
            return
        rows = [["gross receivables", f"{cert.invoices:,} rows", money_human(cert.gross)]]
        rows += [[f"less {LABELS[c]}", f"{cert.counts[c]:,}", money_human(cert.categories[c])]
                 for c in cert.shown_categories]
        rows.append(["eligible receivables", "", money_human(cert.eligible)])
        if cert.dilution:
            rows.append(["less dilution reserve", "", money_human(cert.dilution)])
        if cert.advance_percent is not None:
            rows.append([f"at {percent_str(cert.advance_percent)}%", "", ""])
        rows.append([terms.label, "", money_human(cert.value)])
        console.print(_table(f"{terms.label} at the end of {day} ({version.clause_id})", ["line", "count", "amount"],
                             rows, numeric=frozenset({"count", "amount"})))
        debtors = cert.ineligible_debtors
        if debtors:
            console.print(_table("Debtors with the largest ineligible amounts", ["debtor", "name", "ineligible",
                                                                                 "categories"],
                                 [[d.debtor_id, d.debtor_name, money_human(d.ineligible),
                                   ", ".join(LABELS[c] for c in d.categories)] for d in debtors],
                                 numeric=frozenset({"ineligible"})))
        for rule in cert.rules_without_column:
            _say(f"note: the aging has no {RULE_COLUMN[rule]} column, so the {rule.replace('_', ' ')} rule found "
                 "nothing")
        if recorded:
            _say(f"recorded as event {recorded.first_seq} ({recorded.keys[0]}) of {stored}")
    _run(action)


def _recordable(checked: bool) -> None:
    """--record: refused before anything is computed when the terms fail `loanbook check` (portfolio/certify.py)."""
    from .portfolio.certify import NotRecorded, recordable

    try:
        recordable(checked)
    except NotRecorded as exc:
        raise BadInput(f"--record: {exc}") from None


@app.command()
def calendar(facility: Path = FacilityOpt, events: Optional[Path] = EventsOpt,
             with_events: Optional[Path] = WithEventsOpt,
             readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
             unchecked: bool = UncheckedOpt):
    """The facility's dates as an iCalendar feed on stdout (`> f.ics`): deadlines, fee installments, reports due,
    cap changes, covenant test dates, the maturity; each event's UID is stable across runs."""
    from .reports.calendar import facility_calendar

    def action():
        engine, _ = _facility(facility, events, readings, known_at,
                              with_events=with_events, unchecked=unchecked, as_json=True)
        sys.stdout.write(facility_calendar(engine.history_checked()).decode("utf-8"))  # its dates: the record's
    _run(action)


# --- documents ----------------------------------------------------------------------------------------------

report_app = typer.Typer(no_args_is_help=True, help="Documents: a borrowing base certificate, a compliance report, a "
                                                    "monthly statement, as HTML, PDF or xlsx (docs/reports.md).")
app.add_typer(report_app, name="report")
FormatOpt = typer.Option("html", "--format", help="html, pdf or xlsx")
FacilitiesOpt = typer.Option(..., "--facility", help="a facility folder or stored id; repeat it for a batch (one "
                                                     "file each in the --out folder)")
DocumentOutOpt = typer.Option(None, "--out", help="the file to write (needed for pdf and xlsx; html goes to stdout "
                                                  "without it)")


def _document(build, facilities: list[Path], fmt: str, out_file: Optional[Path], events, with_events, readings,
              known_at, unchecked: bool) -> None:
    """Build a document from each facility's replay and write it: to --out (all or nothing), or HTML to stdout;
    several facilities (a batch) write one file each into the --out folder, named by facility, document and day."""
    from .reports.exports import write_bytes
    from .reports.render import RENDERERS, file_name, render

    if fmt not in RENDERERS:
        raise BadInput(f"--format is one of {', '.join(RENDERERS)}, got {fmt!r}")
    batch = len(facilities) > 1
    if batch and (out_file is None or out_file.suffix):
        raise BadInput("several --facility write one file each: give --out FOLDER (a folder, no extension)")
    if batch and (events is not None or with_events is not None):
        raise BadInput("--events and --with-events belong to one facility: give one --facility with them")
    if out_file is None and fmt != "html":
        raise BadInput(f"--format {fmt} writes a file: give --out FILE")
    if not batch and out_file is not None and out_file.suffix.lower() != f".{fmt}":
        raise BadInput(f"--out {out_file}: a {fmt} document is written to a .{fmt} file")
    if batch:
        assert out_file is not None
        out_file.mkdir(parents=True, exist_ok=True)
    for facility in _progress(facilities, "documents", quiet=not batch):
        engine, checked = _facility(facility, events, readings, known_at,
                                    with_events=with_events, unchecked=unchecked, as_json=True)
        document = build(engine, checked)
        data = render(document, fmt)
        if out_file is None:
            sys.stdout.write(data.decode("utf-8"))
            return
        target = out_file / file_name(document, fmt) if batch else out_file
        write_bytes(data, target)
        _say(f"wrote {target} ({len(data):,} bytes)")


@report_app.command("bbc")
def report_bbc(facilities: list[Path] = FacilitiesOpt, as_of: str = typer.Option(..., "--as-of"), fmt: str = FormatOpt,
               out_file: Optional[Path] = DocumentOutOpt, events: Optional[Path] = EventsOpt,
               with_events: Optional[Path] = WithEventsOpt,
               readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
               unchecked: bool = UncheckedOpt):
    """The borrowing base certificate: from each collateral class to the borrowing base, then to availability and
    the overadvance against its limit, with the signature block of the facility's form."""
    from .reports.documents import borrowing_base_certificate

    def action():
        day = _day(as_of, "--as-of")
        _document(lambda engine, checked: borrowing_base_certificate(engine, day, checked=checked), facilities, fmt,
                  out_file, events, with_events, readings, known_at, unchecked)
    _run(action)


@report_app.command("compliance")
def report_compliance(facilities: list[Path] = FacilitiesOpt, as_of: str = typer.Option(..., "--as-of"),
                      fmt: str = FormatOpt, out_file: Optional[Path] = DocumentOutOpt,
                      events: Optional[Path] = EventsOpt, with_events: Optional[Path] = WithEventsOpt,
                      readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
                      unchecked: bool = UncheckedOpt):
    """Every covenant test and deadline with its status, the documents' conditions, what is past due or breached."""
    from .reports.documents import compliance_report

    def action():
        day = _day(as_of, "--as-of")
        _document(lambda engine, checked: compliance_report(engine, day, checked=checked), facilities, fmt, out_file,
                  events, with_events, readings, known_at, unchecked)
    _run(action)


@report_app.command("statement")
def report_statement(facilities: list[Path] = FacilitiesOpt, month: str = typer.Option(..., "--month", help="YYYY-MM"),
                     fmt: str = FormatOpt, out_file: Optional[Path] = DocumentOutOpt,
                     events: Optional[Path] = EventsOpt,
                     with_events: Optional[Path] = WithEventsOpt, readings: Optional[list[str]] = ReadingOpt,
                     known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt):
    """A month's statement: interest and fees by tranche, payments, balances, each Lender's share."""
    from .reports.documents import month_bounds, monthly_statement

    def action():
        try:
            month_bounds(month)
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        _document(lambda engine, checked: monthly_statement(engine, month, checked=checked), facilities, fmt,
                  out_file, events, with_events, readings, known_at, unchecked)
    _run(action)


def _bbc_items(agreement, version, terms, data: bytes, path: Path, day, stored: str | None, *, engine: str,
               sheet: str | None, record_it: bool, checked: bool, as_json: bool) -> None:
    """`bbc compute` of a list that is not an aging: read by the columns its eligibility terms declare."""
    from . import projection as out
    from .portfolio.certify import report_event
    from .portfolio.item_list import items_from_bytes
    from .portfolio.items import LABELS, item_certificate

    items = items_from_bytes(data, str(path), terms, agreement.facility_id, sheet=sheet)
    cert = item_certificate(terms, items, day, engine=engine)
    answer = out.item_certificate_json(cert, terms.collateral, terms.label, version.clause_id)
    recorded = None
    if record_it:
        assert stored is not None
        event = report_event(day, terms.collateral, cert.value, data, str(path), answer, "loanbook bbc compute",
                             checked=checked)
        recorded = _store().record(stored, [event], by=who(), source=str(path))
    if as_json:
        _emit({**answer, "recorded": out.recorded_json(recorded) if recorded else None}, checked)
        return
    rows = [["gross", f"{cert.rows:,} items", money_human(cert.gross)]]
    rows += [[f"less {LABELS[c]}", f"{cert.counts[c]:,}", money_human(cert.categories[c])]
             for c in cert.shown_categories]
    rows.append(["eligible", "", money_human(cert.eligible)])
    rows.append(["at the items' advance rates", "", money_human(cert.before_groups)])
    if cert.group_cap:
        rows.append([f"less {LABELS['group_cap']}", f"{sum(1 for g in cert.groups if g.excess):,}",
                     money_human(cert.group_cap)])
    rows.append([terms.label, "", money_human(cert.value)])
    console.print(_table(f"{terms.label} at the end of {day} ({version.clause_id})", ["line", "count", "amount"],
                         rows, numeric=frozenset({"count", "amount"})))
    for item in cert.unmatched_ratings:
        _say(Text("NO RATING ROW", style="red"), f" {item.item_id}: its lower rating is in no row of the rating "
                                                 "table (or it has none): ineligible")
    if recorded:
        _say(f"recorded as event {recorded.first_seq} ({recorded.keys[0]}) of {stored}")


# --- market data --------------------------------------------------------------------------------------------

rates_app = typer.Typer(no_args_is_help=True, help="Index histories from a rate service's CSV.")
app.add_typer(rates_app, name="rates")


@rates_app.command("import")
def rates_import(file: Path = typer.Argument(..., help="a CSV: a date column, then a rate column ('.' for no "
                                                      "value), as FRED publishes SOFR or DPRIME"),
                 facility: Path = FacilityOpt, index: str = typer.Option(..., "--index", help="the declared index"),
                 source: Optional[str] = typer.Option(None, "--source", help="where the rates come from (default: "
                                                                              "the file's name)"),
                 as_json: bool = JsonOpt):
    """An index's history into a facility: its rate file (a folder) or its record (the store, as index_rate
    events)."""
    from .market.rate_csv import index_events, into_folder, read_rate_csv

    def action():
        said = source if source is not None else f"{file.name} ({file.stem} as published)"
        if not said or len(said) > 300 or not said.isprintable():
            raise BadInput("--source is 1 to 300 printable characters")
        history = read_rate_csv(file)
        stored = _stored_id(facility)
        written, recorded = None, None
        if stored is None:
            written = into_folder(facility, index, history, said)
        else:
            recorded = _store().record(stored, index_events(index, history, said), by=who(), source=str(file))
        first, last = history.changes[0][0], history.known_through
        if as_json:
            from . import projection as out

            _emit({"index": index, "changes": len(history.changes), "from": first.isoformat(),
                   "known_through": last.isoformat(), "written": str(written) if written else None,
                   "recorded": out.recorded_json(recorded) if recorded else None})
            return
        where = f"written to {written}" if written else f"recorded in {stored}"
        _say(f"{index}: {len(history.changes)} change(s) from {first}, known through {last}; {where}")
    _run(action)


# --- the loan book ------------------------------------------------------------------------------------

portfolio_app = typer.Typer(no_args_is_help=True, help="The whole loan book at once: generate one, run one.")
app.add_typer(portfolio_app, name="portfolio")


@portfolio_app.command("generate")
def portfolio_generate(facilities: int = typer.Option(..., "--facilities", min=1, max=1_000_000),
                       invoices: int = typer.Option(..., "--invoices", min=1, max=1_000_000_000),
                       seed: int = typer.Option(1, "--seed"), out: Path = typer.Option(..., "--out"),
                       as_of: str = typer.Option("2024-03-31", "--as-of", help="the day of the aging")):
    """A synthetic book: a facility folder per borrower and the book's aging (docs/eligibility.md)."""
    from .portfolio.book import write_facility_book

    def action():
        day = _day(as_of, "--as-of")
        if out.exists() and any(out.iterdir()):
            raise BadInput(f"--out {out}: the book is written to a new or empty folder")
        aging = write_facility_book(out, facilities, invoices, seed, day)
        _say(f"wrote {facilities:,} facility folders and {invoices:,} invoices ({aging}) under {out}")
    _run(action)


@portfolio_app.command("run")
def portfolio_run(as_of: str = typer.Option(..., "--as-of"),
                  book: Optional[Path] = typer.Option(None, "--book", help="a folder of facility folders (default: "
                                                                           "the store's facilities)"),
                  aging: Optional[Path] = typer.Option(None, "--aging", help="one aging for many facilities (a "
                                                                             "facility_id column)"),
                  sheet: Optional[str] = typer.Option(None, "--sheet", help="the sheet of an xlsx --aging (default: "
                                                                            "the first)"),
                  engine: str = typer.Option("duckdb", "--engine", help="duckdb or spark"),
                  out: Optional[Path] = OutOpt,
                  workers: Optional[int] = typer.Option(None, "--workers", help="processes reading the records "
                                                                               "(default: one per core, up to 8)"),
                  unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """Every facility's borrowing base from its latest aging (or the record's report, if as recent), its
    availability and its breaches."""
    from . import projection
    from .portfolio.run import book_aging, folder_book, result_table, run_portfolio, store_book

    def action():
        day = _day(as_of, "--as-of")
        _engine(engine)
        if workers is not None and not 1 <= workers <= 64:
            raise BadInput(f"--workers is a number of processes from 1 to 64, got {workers}")
        if sheet is not None and aging is None:
            raise BadInput("--sheet names a sheet of the --aging file: give --aging")
        _out_format(out)
        if book is not None:
            if not book.is_dir():
                raise BadInput(f"--book {book}: no such folder")
            facilities, portfolio_aging = folder_book(book, workers=workers), book_aging(book, day, aging)
        else:
            facilities, portfolio_aging = store_book(_store(), workers=workers), aging
        rows = run_portfolio(facilities, day, engine=engine, portfolio_aging=portfolio_aging, aging_sheet=sheet,
                             workers=workers, progress=lambda items: _progress(items, "facilities", quiet=as_json,
                                                              total=len(facilities)),
                             unchecked=unchecked)
        _write_out(lambda: result_table(rows), out)
        checked = all(r.checked for r in rows)
        if as_json:
            _emit(projection.portfolio_answer(day, rows, from_store=book is None), checked)
            return
        if not checked:
            _say(Text(f"UNCHECKED: {sum(not r.checked for r in rows):,} facilities fail `loanbook check`: their "
                      "figures are computed from their terms as written (checked false in --json and --out)",
                      style="bold red"))
        console.print(_table(f"The book at the end of {day}: {len(rows):,} facilities",
                             ["facility", "value", "source", "borrowing base", "availability", "overadvance",
                              "breaches"],
                             [[r.facility, money_human(r.value) if r.value is not None else "", r.source_label,
                               money_human(r.borrowing_base), money_human(r.availability), money_human(r.overadvance),
                               r.problem or ", ".join(r.breaches)] for r in rows[:50]],
                             numeric=frozenset({"value", "borrowing base", "availability", "overadvance"})))
        if len(rows) > 50:
            _say(f"... and {len(rows) - 50:,} more" + (f" in {out}" if out else " (--out FILE writes them all)"))
        _say(projection.portfolio_totals(rows))
        breached = sum(1 for r in rows if r.breaches)
        _say(f"{breached:,} of {len(rows):,} facilities breach a limit on {day}")
        by_python = sum(1 for r in rows if r.computed_by != "dataframe" and not r.problem)
        if by_python:
            _say(f"{by_python:,} computed by the Python engine: terms outside exact dataframe arithmetic "
                 "(computed_by in --json and --out says why)")
        aggregated = sum(1 for r in rows if r.balances == "aggregate")
        if book is None:
            _say(f"{aggregated:,} of {len(rows):,} facilities' balances from one aggregate over the store's events; "
                 f"{len(rows) - aggregated:,} replayed one by one (balances in --json and --out say why)")
        untested = sum(1 for r in rows if r.rules_without_column)
        if untested:
            _say(f"{untested:,} with a rule that found nothing: their aging has no column for it "
                 "(rules_without_column in --json and --out names the rules)")
    _run(action)


PAUSED: list[bool] = []  # the cycle collector paused for the start-up (`loanbook/__main__.py`)


def started() -> None:
    """The command's work begins: if the collector was paused for the start-up, what start-up made is frozen (it
    lives as long as the process) and cycles are collected again among what the work makes."""
    if PAUSED:
        PAUSED.clear()
        gc.freeze()
        gc.enable()


def _app_for(args: list[str]) -> typer.Typer:
    """The app typer is to build for these arguments: only the command (or group of commands) they start with.
    Typer builds every command of an app, reading each one's parameters from its signature, before it parses a
    word: about 5% of a cold start. Arguments that start with no command's name (none, an option, a misspelt
    name) get the whole app, its help and its suggestions."""
    name = args[0] if args else ""
    commands = [c for c in app.registered_commands
                if c.callback is not None and (c.name or typer.main.get_command_name(c.callback.__name__)) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    narrowed = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    narrowed.registered_commands, narrowed.registered_groups = commands, groups
    narrowed.callback()(_group)
    return narrowed


def _group() -> None:
    """Nothing: a callback keeps the narrowed app a group of commands, as the whole app is (`loanbook NAME ...`);
    typer runs an app of one command and no callback as that command itself."""


def main() -> None:
    try:
        _app_for(sys.argv[1:])()
    except RecursionError:  # pragma: no cover - nesting beyond every parser's bound
        print("loanbook: the input is nested too deeply", file=sys.stderr)
        sys.exit(2)
    finally:
        # The interpreter's exit looks for cycles among every object left, modules and classes too: most of what
        # loanbook/__main__.py saves, for memory the process hands back at once. Frozen, they are left alone.
        gc.freeze()


__all__ = ["app", "main", "MAX_YAML_BYTES"]
