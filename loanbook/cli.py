"""The command line (CONTRACT.md): thin adapters from arguments to the agreement loader and the engine.

Everything a person or a file gives goes through the core parsers (dates, money, times) and the safe
readers; JSON comes from `projection.py`, words for people from the same structured results. Human
output never interprets markup: a name in a file cannot restyle or rewrite the terminal.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .agreement.gate import FailsCheck
from .core.dates import parse_iso_date, parse_timestamp
from .core.errors import InputError, Problem, RecordError, printable
from .core.files import MAX_YAML_BYTES, contained
from .core.money import ENGINE_CONTEXT, money_human, money_str, parse_money, percent_str
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
ReadingOpt = typer.Option(None, "--reading", help="switch an interpretation for this run: I-2=iec_borrowing_capacity")
KnownAtOpt = typer.Option(None, "--known-at", help="only events and documents recorded by this time (ISO "
                                                   "date-time; UTC unless it names a zone)")
TrancheOpt = typer.Option(None, "--tranche", help="the revolving tranche (needed when the facility has several)")
UncheckedOpt = typer.Option(False, "--unchecked", help="compute even though the facility fails `loanbook check` "
                                                       "(the answer says so: checked false)")


class BadInput(Exception):
    """An argument a person typed wrong: exit 2, like bad input in a file."""


def _fail(message: str) -> None:
    print(f"loanbook: {printable(message, 2000)}", file=sys.stderr)
    raise typer.Exit(2)


def _run(action: Callable[[], None]) -> None:
    try:
        with localcontext(ENGINE_CONTEXT):  # whatever context the process has, the figures are the same
            action()
    except InputError as exc:
        _fail(exc.one_line())
    except (RecordError, BadInput, NotStored, Conflict, FailsCheck) as exc:
        _fail(str(exc))


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
              as_json: bool) -> tuple[Facility, bool]:
    """The facility's replay, and whether its agreement passes `loanbook check`: one that fails computes only
    with --unchecked (before anything is replayed), and a human answer then opens with a line saying so."""
    from .engine.facility import Facility
    from .events.parse import parse_events
    from .market import shipped_prime_series

    moment = _moment(known_at)
    stored = _stored_id(facility)
    default = (lambda: _agreement(facility, None)) if readings else None  # checked as `loanbook check` reads it

    def gate(agreement) -> bool:
        return _checked(agreement, facility, unchecked=unchecked, as_json=as_json, default=default)

    if stored is not None and events is None:
        engine = _store().facility(stored, choices=_choices(readings), known_at=moment)
        return engine, gate(engine.agreement)
    agreement = _agreement(facility, readings)  # events are read against the agreement as now known
    checked = gate(agreement)
    if events is not None:
        history = parse_events(events, agreement)
    else:
        own = contained(facility, facility / "events.yaml", what="events.yaml")
        history = parse_events(own, agreement) if own.exists() else ()
    if moment is not None:
        agreement = _agreement(facility, readings, moment)
    return Facility(agreement, history, shipped_prime_series(), known_at=moment), checked


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
    print(json.dumps(payload if checked is None else {"checked": checked, **payload}, indent=2))


def _say(*parts: str | Text) -> None:
    console.print(Text.assemble(*parts), soft_wrap=True)


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

    def action():
        agreement = _agreement(facility, None)
        if clause not in agreement.clauses:
            raise BadInput(f"--clause: no clause {clause!r}; known: {', '.join(agreement.clauses)}")
        rows = clause_history(agreement, clause)
        if as_json:
            _emit({"clause": clause, "versions": rows})
            return
        _say(Text(agreement.clauses[clause].title, style="bold"), f" ({clause})")
        for r in rows:
            span = f"{r['effective'] or 'before the record'} to {r['until'] or 'in force'}"
            _say(f"- {span}: {r['op']} by {r['document'] or 'an earlier document'}; "
                 f"text {'in record' if r['text'] else 'not in record'}")
            if r["terms"]:
                _say(f"    terms: {r['terms']}")
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
           events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
           known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """The facility at the end of a day: borrowing base, availability, overadvance, loans, breaches."""
    from . import projection as out

    def action():
        day = _day(as_of, "--as-of")
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
        result = engine.status(day)
        explanations = out.status_explanations(engine, result) if explain else None
        if as_json:
            _emit(out.status_json(result, explanations=explanations), checked)
            return
        _print_status(engine, result)
        for tree in (explanations or {}).values():
            print("\n".join(printable(line, 10_000) for line in tree.render()))
    _run(action)


def _print_status(engine: Facility, s) -> None:
    from . import projection as out

    rows: list[list] = []
    shown = {a.id for a in s.availabilities} | {"overadvance", "overadvance_cap", "overadvance_limit"}
    for base in s.borrowing_bases:
        for collateral in base.collateral:
            rows.append([collateral.label or collateral.id, money_human(collateral.value)])
        for line in base.lines:
            rows.append([f"{line.label} (at {percent_str(line.explanation.inputs[0].value)}%)",
                         money_human(line.value)])
        for reserve in base.reserves:
            label = reserve.label or reserve.id
            rows.append([label if label.lower().startswith("less") else f"less {label}", money_human(reserve.value)])
        rows.append([base.label, money_human(base.total.value)])
        shown |= {base.id} | {f.id for f in base.collateral + base.lines + base.reserves}
    for f in s.figures:
        if f.id not in shown:
            rows.append([f.label or f.id.replace("_", " "), _figure_human(f)])
    for a in s.availabilities:
        rows.append([f"availability of {a.tranche}", money_human(a.availability.value)])
    for o in s.overadvances:
        rows += [["overadvance", money_human(o.overadvance.value)], ["overadvance cap", money_human(o.cap.value)],
                 ["overadvance limit", money_human(o.limit.value)]]
    if s.interest_accrued_unpaid is not None:
        rows.append(["interest accrued and unpaid", money_human(s.interest_accrued_unpaid)])

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
            events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
            known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """The decision on an advance request."""
    from . import projection as out

    def action():
        day = _day(on, "--on")
        try:
            value = parse_money(amount, what="--amount")
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        if value <= 0:
            raise BadInput(f"--amount must be more than zero, got {amount!r}")
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
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
         events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
         known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """Fees: each computed charge (unused line, letter of credit, termination) and each installment of an
    installment fee, with its due date and status."""
    from . import projection as out

    def action():
        day = _day(as_of, "--as-of")
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
        state, charges = engine.fees(day), engine.charges_on(day)
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
        rows = [[s.component, s.due.isoformat(), money_human(s.amount), s.status, money_human(s.paid),
                 "; ".join(filter(None, ["provisional date" if s.provisional else None,
                                         out.waiver_text(s.waived_by) if s.waived_by else None]))]
                for s in state.installments]
        console.print(_table(f"{state.terms.fee} at the end of {day}", ["component", "due", "amount", "status", "paid",
                                                                         "note"], rows,
                             numeric=frozenset({"amount", "paid"})))
        _say(f"due {money_human(state.total_due)}  paid {money_human(state.total_paid)}  waived "
             f"{money_human(state.total_waived)}  scheduled {money_human(state.total_scheduled)}"
             + (f"  credit {money_human(state.credit)}" if state.credit else ""))
    _run(action)


@app.command()
def obligations(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
                events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
                known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """Covenants, deadlines, conditional obligations, scheduled principal and the conditions precedent."""
    from . import projection as out

    def action():
        day = _day(as_of, "--as-of")
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
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
              events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
              known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """Financial covenants: each test date's measure against its threshold, and its status."""
    from . import projection as out

    def action():
        day = _day(as_of, "--as-of")
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
        if as_json:
            _emit(out.covenants_answer(engine, day), checked)
            return
        results = engine.covenant_tests(day)
        if not results:
            _say("No covenant test date has come by this day (or the facility has no covenant in the record).")
            return
        rows = [[r.label, r.test_date.isoformat(), out.covenant_json(r)["measure"] or "",
                 f"{r.test.replace('_', ' ')} {out.covenant_json(r)['threshold'] or ''}", r.status,
                 r.certificate_due.isoformat() if r.certificate_due else "", r.detail] for r in results]
        console.print(_table(f"Covenants at the end of {day}", ["covenant", "test date", "measure", "threshold",
                                                                  "status", "certificate due", "detail"], rows))
    _run(action)


@app.command()
def payoff(facility: Path = FacilityOpt, on: str = typer.Option(..., "--on"),
           events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
           known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """The payoff figure on a day, and what paying in full that day would waive."""
    from . import projection as out

    def action():
        day = _day(on, "--on")
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
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
            _say(f"Paying in full on {day} waives the {item['component']} installment of "
                 f"{money_human(item['amount'])} due {item['due']}")
    _run(action)


@app.command()
def explain(figure: str = typer.Argument(..., help="availability, a borrowing base line, interest, fees, payoff, ..."),
            facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
            events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
            known_at: Optional[str] = KnownAtOpt, unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """Why a figure is what it is: formula, inputs and clause versions down to the clause text."""
    def action():
        day = _day(as_of, "--as-of")
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
        if figure not in engine.explainable(day):
            raise BadInput(f"unknown figure {figure!r}; explainable: {', '.join(engine.explainable(day))}")
        tree = engine.explain(figure, day)
        if as_json:
            _emit(tree.to_dict(), checked)
        else:
            print("\n".join(printable(line, 10_000) for line in tree.render()))
    _run(action)


@app.command()
def interest(facility: Path = FacilityOpt, start: str = typer.Option(..., "--from"),
             end: str = typer.Option(..., "--to"), events: Optional[Path] = EventsOpt,
             readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
             unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """The interest statement for a period, month by month and tranche by tranche."""
    from . import projection as out
    from .engine.facility import MAX_STATEMENT_MONTHS

    def action():
        lo, hi = _period(start, end, max_days=MAX_STATEMENT_MONTHS * 31)
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
        if as_json:
            _emit(out.interest_answer(engine, lo, hi), checked)
            return
        months = engine.interest_statement(lo, hi)
        if not engine.interest.priced:
            _say("This facility has no pricing clause in the record: no interest is stated.")
        for month in months:
            rows = []
            for tranche, data in month["classes"].items():
                for line in data["lines"]:
                    rows.append([tranche, line["from"].isoformat(), line["to"].isoformat(), str(line["days"]),
                                 money_human(line["principal"]),
                                 f"{percent_str(line['rate'])}% ({line['rate_formula']})",
                                 line["day_basis"], money_human(line["interest"])])
            console.print(_table(f"Interest {month['month']} ({month['from']} to {month['to']})",
                                 ["tranche", "from", "to", "days", "principal", "rate", "basis", "interest"], rows,
                                 numeric=frozenset({"days", "principal", "interest"})))
            _say(f"  interest {money_human(month['interest'])}  paid {money_human(month['paid'])}  "
                 f"unpaid at month end {money_human(month['unpaid_at_end'])}")
    _run(action)


@app.command()
def timeline(facility: Path = FacilityOpt, start: str = typer.Option(..., "--from"),
             end: str = typer.Option(..., "--to"), events: Optional[Path] = EventsOpt,
             readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
             unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """One row a day: capacity, usage, availability, overadvance and its limit; breach days marked."""
    from . import projection as out
    from .engine.facility import MAX_TIMELINE_DAYS

    def action():
        lo, hi = _period(start, end, max_days=MAX_TIMELINE_DAYS)
        engine, checked = _facility(facility, events, readings, known_at, unchecked=unchecked, as_json=as_json)
        if as_json:
            _emit(out.timeline_answer(engine, lo, hi), checked)
            return
        rows = engine.timeline(lo, hi)
        money = lambda v: "" if v is None else money_human(v)  # noqa: E731
        console.print(_table(f"Timeline {lo} to {hi}", ["date", "capacity", "outstanding", "availability",
                                                         "overadvance", "limit", "breach"],
                             [[r["date"].isoformat(), money(r["capacity"]), money(r["usage"]),
                               money(r["availability"]), money(r["overadvance"]), money(r["overadvance_limit"]),
                               ", ".join(r["breaches"])] for r in rows],
                             numeric=frozenset({"capacity", "outstanding", "availability", "overadvance", "limit"})))
    _run(action)


# --- the store -----------------------------------------------------------------------------------

@app.command("import")
def import_facility(folder: Path = typer.Argument(..., help="a facility folder"),
                    facility_id: Optional[str] = typer.Option(None, "--id", help="its id in the store (default: "
                                                                                 "the id in facility.yaml)"),
                    as_json: bool = JsonOpt):
    """Store a facility folder (every file, and its events as the first of its record), after every check."""
    from . import projection as out

    def action():
        stored = _store().import_folder(folder, facility_id=facility_id, by=who())
        if as_json:
            _emit(out.stored_json(stored))
            return
        _say(f"imported {stored.id} ({stored.name}): {stored.events} events; head {stored.head_hash[:16]}; "
             f"store {safe_url(_store().url)}")
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


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          workers: int = typer.Option(1, "--workers", help="server processes")):
    """Serve the API (OpenAPI at /docs) on the store."""
    import uvicorn

    _store()  # the schema is brought up to date once, before any worker starts
    uvicorn.run("loanbook.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning")


# --- borrowing base certificates from agings ----------------------------------------------------------

bbc_app = typer.Typer(no_args_is_help=True, help="Borrowing base certificates computed from receivables agings.")
app.add_typer(bbc_app, name="bbc")


@bbc_app.command("compute")
def bbc_compute(facility: Path = FacilityOpt, aging: Path = typer.Option(..., "--aging", help="CSV, xlsx or Parquet"),
                as_of: str = typer.Option(..., "--as-of"),
                sheet: Optional[str] = typer.Option(None, "--sheet", help="the sheet of an xlsx aging (default: the "
                                                                          "first)"),
                collateral: Optional[str] = typer.Option(None, "--class", help="the collateral class, if several "
                                                                                "have an eligibility definition"),
                engine: str = typer.Option("duckdb", "--engine", help="duckdb or spark"),
                top: int = typer.Option(5, "--top", help="debtors shown with the largest ineligible amounts"),
                record_it: bool = typer.Option(False, "--record", help="append the report to a stored facility"),
                unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """The certificate from an aging: each ineligible category, the eligible receivables, the class's value."""
    from . import projection as out
    from .agreement.kinds_eligibility import Eligibility
    from .portfolio.aging import RULE_COLUMN, aging_bytes, aging_from_bytes, rows_of
    from .portfolio.rules import LABELS, EligibilityRules, certificate
    from .store.chain import sha256

    def action():
        day = _day(as_of, "--as-of")
        _engine(engine)
        stored = _stored_id(facility)
        if record_it and stored is None:
            raise BadInput("--record appends to a stored facility: `loanbook import` the folder, then give its id")
        agreement = _agreement(facility, None)
        checked = _checked(agreement, facility, unchecked=unchecked, as_json=as_json)
        if record_it and not checked:
            raise BadInput("--record: a certificate computed from terms that fail `loanbook check` is not recorded")
        found = [(v, b) for v, b in agreement.terms_in_force(Eligibility, day)
                 if collateral is None or b.collateral == collateral]
        if not found:
            raise BadInput(f"no eligibility definition{f' of {collateral}' if collateral else ''} is in force on "
                           f"{day}")
        if len(found) > 1:
            raise BadInput("several collateral classes have an eligibility definition: name one with --class ("
                           + ", ".join(b.collateral for _, b in found) + ")")
        version, terms = found[0]
        data = aging_bytes(aging)
        invoices = rows_of(aging_from_bytes(data, str(aging), sheet=sheet),
                           {agreement.facility_id, stored or agreement.facility_id}, str(aging))
        cert = certificate(EligibilityRules.of(terms), invoices, day, engine=engine, top=top)
        answer = out.certificate_json(cert, terms.collateral, terms.label, version.clause_id)
        recorded = None
        if record_it:
            assert stored is not None
            event = {"date": day.isoformat(), "type": "borrowing_base_report",
                     "values": {terms.collateral: money_str(cert.value)},
                     "evidence": {"aging_sha256": sha256(data), "aging_file": aging.name,
                                  "certificate": answer},
                     "note": f"computed from {aging.name} by loanbook bbc compute"}
            recorded = _store().record(stored, [event], by=who(), source=str(aging))
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
    from . import projection as out
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
                  out: Optional[Path] = typer.Option(None, "--out", help="write the result as Parquet"),
                  workers: Optional[int] = typer.Option(None, "--workers", help="processes reading the records "
                                                                               "(default: one per core, up to 8)"),
                  unchecked: bool = UncheckedOpt, as_json: bool = JsonOpt):
    """Every facility's borrowing base from its latest aging (or the record's report, if as recent), its
    availability and its breaches."""
    from rich.progress import track

    from .portfolio.run import folder_book, latest, result_table, run_portfolio, store_book

    def action():
        day = _day(as_of, "--as-of")
        _engine(engine)
        if workers is not None and not 1 <= workers <= 64:
            raise BadInput(f"--workers is a number of processes from 1 to 64, got {workers}")
        if sheet is not None and aging is None:
            raise BadInput("--sheet names a sheet of the --aging file: give --aging")
        if book is not None:
            if not book.is_dir():
                raise BadInput(f"--book {book}: no such folder")
            facilities = folder_book(book, workers=workers)
            shared = book / "agings"
            portfolio_aging = aging
            if portfolio_aging is None and shared.is_dir():
                name = latest([p.name for p in shared.iterdir()], day)
                portfolio_aging = shared / name if name else None
        else:
            facilities, portfolio_aging = store_book(_store(), workers=workers), aging
        quiet = as_json or not sys.stderr.isatty()
        rows = run_portfolio(facilities, day, engine=engine, portfolio_aging=portfolio_aging, aging_sheet=sheet,
                             workers=workers,
                             progress=(lambda items: items) if quiet else
                             (lambda items: track(items, total=len(facilities), description="facilities",
                                                  console=Console(stderr=True))), unchecked=unchecked)
        table = result_table(rows)
        if out is not None:
            import pyarrow.parquet as pq

            pq.write_table(table, out)
        checked = all(r.checked for r in rows)
        if as_json:
            found: dict[str, object] = {"as_of": day.isoformat(), "facilities": [out_row(r) for r in rows]}
            if book is None:
                found["balances"] = balances_json(rows)
            _emit(found, checked)
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


def balances_json(rows) -> dict:
    """How a store's run read the balances: how many from the aggregate, and each facility replayed, with why."""
    return {"aggregate": sum(1 for r in rows if r.balances == "aggregate"),
            "replayed": {r.facility: r.balances.removeprefix("replay (").removesuffix(")")
                         for r in rows if r.balances != "aggregate"}}


def out_row(r) -> dict:
    from . import projection as out

    return out.plain({"facility_id": r.facility, "name": r.name, "aging": r.aging, "collateral": r.collateral,
                      "gross": r.gross, "eligible": r.eligible, "value": r.value, "borrowing_base": r.borrowing_base,
                      "availability": r.availability, "overadvance": r.overadvance,
                      "overadvance_limit": r.overadvance_limit, "breaches": list(r.breaches), "problem": r.problem,
                      "computed_by": r.computed_by, "rules_without_column": list(r.rules_without_column),
                      "source": r.source, "source_date": r.source_date, "checked": r.checked})


def main() -> None:
    try:
        app()
    except RecursionError:  # pragma: no cover - nesting beyond every parser's bound
        print("loanbook: the input is nested too deeply", file=sys.stderr)
        sys.exit(2)


__all__ = ["app", "main", "MAX_YAML_BYTES"]
