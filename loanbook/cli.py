"""The command line (CONTRACT.md): thin adapters from arguments to the agreement loader and the engine."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from .agreement.check import fidelity_check, passed
from .agreement.conformed import conformed_html, conformed_markdown, history as clause_history
from .agreement.load import load_agreement
from .core.dates import parse_iso_date
from .core.errors import InputError, RecordError
from .core.money import money_human, money_str, parse_decimal
from .engine.facility import Facility
from .events.parse import parse_events
from .market import shipped_prime_series

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="loanbook: the loan agreement as amended, and its figures as of any date.")
console = Console(width=None if sys.stdout.isatty() else 150)  # files and pipes get full rows

FacilityOpt = typer.Option(..., "--facility", help="a facility folder")
JsonOpt = typer.Option(False, "--json", help="one JSON object on stdout, for scripts")
EventsOpt = typer.Option(None, "--events", help="an events file that replaces the facility's events.yaml")
ReadingOpt = typer.Option(None, "--reading", help="switch an interpretation for this run: I-2=iec_borrowing_capacity")
KnownAtOpt = typer.Option(None, "--known-at", help="only events recorded by this time (ISO date-time)")


class BadInput(Exception):
    """An argument a person typed wrong: exit 2, like bad input in a file."""


def _fail(message: str) -> None:
    print(f"loanbook: {message}", file=sys.stderr)
    raise typer.Exit(2)


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except InputError as exc:
        _fail(" | ".join(str(p) for p in exc.problems))
    except (RecordError, BadInput) as exc:
        _fail(str(exc))


def _day(value: str, option: str) -> date:
    try:
        return parse_iso_date(value, what=option)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _period(start: str, end: str) -> tuple[date, date]:
    lo, hi = _day(start, "--from"), _day(end, "--to")
    if hi < lo:
        raise BadInput(f"--to ({hi}) is before --from ({lo})")
    return lo, hi


def _choices(readings: Optional[list[str]]) -> dict[str, str]:
    out = {}
    for item in readings or []:
        if "=" not in item:
            raise BadInput(f"--reading takes ID=READING, got {item!r}")
        key, _, value = item.partition("=")
        out[key.strip()] = value.strip()
    return out


def _agreement(facility: Path, readings):
    return load_agreement(facility, _choices(readings))


def _facility(facility: Path, events: Optional[Path], readings, known_at: Optional[str]) -> Facility:
    agreement = _agreement(facility, readings)
    events_path = events or facility / "events.yaml"
    history = parse_events(events_path) if events_path.exists() or events else ()
    moment = None
    if known_at:
        try:
            moment = datetime.fromisoformat(known_at)
        except ValueError:
            raise BadInput(f"--known-at is not an ISO date-time: {known_at!r}") from None
    return Facility(agreement, history, shipped_prime_series(), known_at=moment)


def to_json(value):
    """Money and rates as strings with two decimals, dates as ISO strings (CONTRACT.md)."""
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def _emit(payload: dict) -> None:
    print(json.dumps(to_json(payload), indent=2))


def _human(value) -> str:
    if isinstance(value, Decimal):
        return money_human(value)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _table(title: str, columns: list[str], rows: list[list], numeric: set[str] = frozenset()) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left")
    for row in rows:
        table.add_row(*[_human(v) for v in row])
    return table


# --- the agreement -----------------------------------------------------------------------------

@app.command()
def conformed(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
              format: str = typer.Option("markdown", "--format", help="markdown or html"),
              summary: bool = typer.Option(False, "--summary", help="terms and sources, without clause text"),
              readings: Optional[list[str]] = ReadingOpt, as_json: bool = JsonOpt):
    """The agreement as amended on a date: every clause in force, its text and the document that set it."""
    def action():
        day = _day(as_of, "--as-of")
        agreement = _agreement(facility, readings)
        if as_json:
            _emit({"as_of": day, "documents": [{"id": d.id, "title": d.title, "as_of": d.as_of,
                                                "effective": d.effective, "text_status": d.text_status}
                                               for d in agreement.documents if d.effective <= day],
                   "clauses": [{"clause": v.clause_id, "title": v.title, "document": v.document_id,
                                "effective": v.effective, "text": v.text, "source": v.source}
                               for v in agreement.in_force(day)]})
        elif format == "html":
            print(conformed_html(agreement, day))
        elif format == "markdown":
            print(conformed_markdown(agreement, day, summary=summary))
        else:
            raise BadInput(f"--format is markdown or html, got {format!r}")
    _run(action)


@app.command()
def history(facility: Path = FacilityOpt, clause: str = typer.Option(..., "--clause"),
            as_json: bool = JsonOpt):
    """Every version of a clause, with its dates and sources."""
    def action():
        agreement = _agreement(facility, None)
        if clause not in agreement.clauses:
            raise BadInput(f"--clause: no clause {clause!r}; known: {', '.join(agreement.clauses)}")
        rows = clause_history(agreement, clause)
        if as_json:
            _emit({"clause": clause, "versions": rows})
            return
        console.print(f"[bold]{agreement.clauses[clause].title}[/bold] ({clause})", highlight=False)
        for r in rows:
            span = f"{r['effective'] or 'before the record'} to {r['until'] or 'in force'}"
            console.print(f"- {span}: {r['op']} by {r['document'] or 'an earlier document'}; "
                          f"text {'in record' if r['text'] else 'not in record'}", highlight=False)
            if r["terms"]:
                console.print(f"    terms: {r['terms']}", highlight=False, soft_wrap=True)
            if r["source"]:
                console.print(f"    source: {r['source']}", highlight=False, soft_wrap=True)
    _run(action)


@app.command()
def check(facility: Path = FacilityOpt, as_json: bool = JsonOpt):
    """The fidelity check: terms agree with the text; exactly one version in force each day. Exit 1 on a difference."""
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
            console.print(f"[{colour}]{finding.severity:10}[/{colour}] {finding.clause}: {finding.message}",
                          highlight=False)
        differences = sum(f.severity == "difference" for f in findings)
        console.print(f"check: {'passed' if result['ok'] else 'FAILED'}: {len(agreement.clauses)} clauses, "
                      f"{sum(len(c.versions) for c in agreement.clauses.values())} versions, "
                      f"{differences} difference(s)", highlight=False)
    _run(action)
    if not result.get("ok", True):
        raise typer.Exit(1)


# --- the engine --------------------------------------------------------------------------------

@app.command()
def status(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
           explain: bool = typer.Option(False, "--explain", help="add the explanation of each figure"),
           events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
           known_at: Optional[str] = KnownAtOpt, as_json: bool = JsonOpt):
    """The facility at the end of a day."""
    def action():
        day = _day(as_of, "--as-of")
        engine = _facility(facility, events, readings, known_at)
        result = engine.status(day)
        if explain:
            result["explanation"] = {f: engine.explain(f, day).to_dict()
                                     for f in ("availability", "overadvance", "overadvance_limit", "interest")}
        if as_json:
            _emit(result)
            return
        _print_status(engine, result, day)
    _run(action)


def _print_status(engine: Facility, s: dict, day: date) -> None:
    keys = ["receivables_borrowing_base", "advance_rate", "iec_borrowing_capacity", "maximum_limit",
            "letters_of_credit", "bankers_acceptances", "letters_of_guaranty", "borrowing_capacity",
            "advances_outstanding", "availability", "overadvance", "overadvance_cap", "term_loan_reserve",
            "overadvance_limit", "term_loan_outstanding", "interest_accrued_unpaid", "expenses_unpaid"]
    console.print(_table(f"{engine.agreement.name} at the end of {day}", ["figure", "amount"],
                         [[k.replace("_", " "), s[k]] for k in keys], numeric={"amount"}))
    for breach in s["breaches"]:
        console.print(f"[red]BREACH[/red] {breach['clause']}: {breach['message']}", highlight=False)
    if not s["breaches"]:
        console.print("No breach of the overadvance limit or the Maximum Limit.")
    for condition in s["pending_conditions"]:
        console.print(f"[yellow]pending[/yellow] {condition['document']} {condition['clause']}: {condition['text']}",
                      highlight=False)


@app.command()
def advance(facility: Path = FacilityOpt, on: str = typer.Option(..., "--on"),
            amount: str = typer.Option(..., "--amount"), events: Optional[Path] = EventsOpt,
            readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
            as_json: bool = JsonOpt):
    """The decision on an advance request."""
    def action():
        day = _day(on, "--on")
        try:
            value = parse_decimal(amount, what="--amount")
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        if value <= 0:
            raise BadInput(f"--amount must be more than zero, got {amount!r}")
        result = _facility(facility, events, readings, known_at).advance(day, value)
        if as_json:
            _emit({"on": day, "amount": value, **result})
            return
        console.print(f"Advance of {money_human(value)} on {day}: [bold]{result['decision']}[/bold] "
                      f"(overadvance after: {money_human(result['overadvance_after'])})", highlight=False)
        for reason in result["reasons"]:
            console.print(f"  - {reason}", highlight=False)
    _run(action)


@app.command()
def fees(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
         events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
         known_at: Optional[str] = KnownAtOpt, as_json: bool = JsonOpt):
    """The Extension Fee installments."""
    def action():
        day = _day(as_of, "--as-of")
        state = _facility(facility, events, readings, known_at).fees(day)
        rows = [{"component": s.component, "due": s.due, "amount": s.amount, "status": s.status, "paid": s.paid,
                 "provisional": s.provisional, "waived_by": s.waived_by} for s in state.installments]
        result = {"as_of": day, "fee": state.terms.fee, "earned": state.earned, "installments": rows,
                  "total_due": state.total_due, "total_waived": state.total_waived, "total_paid": state.total_paid,
                  "total_scheduled": state.total_scheduled, "credit": state.credit}
        if as_json:
            _emit(result)
            return
        console.print(_table(f"{state.terms.fee} at the end of {day}", ["component", "due", "amount", "status",
                                                                          "paid", "note"],
                             [[r["component"], r["due"], r["amount"], r["status"], r["paid"],
                               "; ".join(filter(None, ["provisional date" if r["provisional"] else None,
                                                       (r["waived_by"] or "").split(" (")[0] or None]))]
                              for r in rows], numeric={"amount", "paid"}))
        console.print(f"due {money_human(state.total_due)}  paid {money_human(state.total_paid)}  waived "
                      f"{money_human(state.total_waived)}  scheduled {money_human(state.total_scheduled)}"
                      + (f"  credit {money_human(state.credit)}" if state.credit else ""), highlight=False)
    _run(action)


@app.command()
def obligations(facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
                events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
                known_at: Optional[str] = KnownAtOpt, as_json: bool = JsonOpt):
    """Covenants, deadlines, conditional obligations and the conditions precedent."""
    def action():
        day = _day(as_of, "--as-of")
        engine = _facility(facility, events, readings, known_at)
        rows, conditions = engine.obligations(day), engine.conditions(day)
        if as_json:
            _emit({"as_of": day, "obligations": rows, "conditions": conditions})
            return
        console.print(_table(f"Obligations at the end of {day}", ["id", "clause", "deadline", "status", "detail"],
                             [[r["id"], r["clause"], r["deadline"], r["status"], r["detail"]] for r in rows]))
        console.print(_table("Conditions of the amendments", ["document", "clause", "condition", "status", "on"],
                             [[c["document"], c["clause"], c["text"], c["status"], c["satisfied_on"]]
                              for c in conditions]))
    _run(action)


@app.command()
def payoff(facility: Path = FacilityOpt, on: str = typer.Option(..., "--on"),
           events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
           known_at: Optional[str] = KnownAtOpt, as_json: bool = JsonOpt):
    """The payoff figure on a day, and what paying in full that day would waive."""
    def action():
        day = _day(on, "--on")
        result = _facility(facility, events, readings, known_at).payoff(day)
        if as_json:
            _emit(result)
            return
        console.print(_table(f"Payoff on {day}", ["part", "amount"],
                             [[k, result[k]] for k in ("advances", "term_loan", "interest", "fees", "expenses",
                                                       "total")], numeric={"amount"}))
        for item in result["would_waive"]:
            console.print(f"Paying in full on {day} waives the {item['component']} installment of "
                          f"{money_human(item['amount'])} due {item['due']}", highlight=False)
    _run(action)


@app.command()
def explain(figure: str = typer.Argument(..., help="availability, borrowing_capacity, overadvance_limit, interest, "
                                                   "fees, payoff, ..."),
            facility: Path = FacilityOpt, as_of: str = typer.Option(..., "--as-of"),
            events: Optional[Path] = EventsOpt, readings: Optional[list[str]] = ReadingOpt,
            known_at: Optional[str] = KnownAtOpt, as_json: bool = JsonOpt):
    """Why a figure is what it is: formula, inputs and clause versions down to the clause text."""
    def action():
        day = _day(as_of, "--as-of")
        engine = _facility(facility, events, readings, known_at)
        if figure not in engine.FIGURES:
            raise BadInput(f"unknown figure {figure!r}; explainable: {', '.join(engine.FIGURES)}")
        tree = engine.explain(figure, day)
        if as_json:
            _emit(tree.to_dict())
        else:
            print("\n".join(tree.render()))
    _run(action)


@app.command()
def interest(facility: Path = FacilityOpt, start: str = typer.Option(..., "--from"),
             end: str = typer.Option(..., "--to"), events: Optional[Path] = EventsOpt,
             readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
             as_json: bool = JsonOpt):
    """The interest statement for a period, month by month and loan class by loan class."""
    def action():
        lo, hi = _period(start, end)
        months = _facility(facility, events, readings, known_at).interest_statement(lo, hi)
        if as_json:
            _emit({"from": lo, "to": hi, "months": months})
            return
        for month in months:
            rows = []
            for loan_class, data in month["classes"].items():
                for line in data["lines"]:
                    rows.append([loan_class, line["from"], line["to"], line["days"], line["principal"],
                                 f"{line['prime']}% + {line['margin']}%", line["day_basis"],
                                 line["interest"].quantize(Decimal("0.01"))])
            console.print(_table(f"Interest {month['month']} ({month['from']} to {month['to']})",
                                 ["class", "from", "to", "days", "principal", "rate", "basis", "interest"], rows,
                                 numeric={"days", "principal", "interest"}))
            console.print(f"  interest {money_human(month['interest'])}  paid {money_human(month['paid'])}  "
                          f"unpaid at month end {money_human(month['unpaid_at_end'])}", highlight=False)
    _run(action)


@app.command()
def timeline(facility: Path = FacilityOpt, start: str = typer.Option(..., "--from"),
             end: str = typer.Option(..., "--to"), events: Optional[Path] = EventsOpt,
             readings: Optional[list[str]] = ReadingOpt, known_at: Optional[str] = KnownAtOpt,
             as_json: bool = JsonOpt):
    """One row a day: capacity, advances, availability, overadvance and its limit; breach days marked."""
    def action():
        lo, hi = _period(start, end)
        rows = _facility(facility, events, readings, known_at).timeline(lo, hi)
        if as_json:
            _emit({"from": lo, "to": hi, "days": rows})
            return
        console.print(_table(f"Timeline {lo} to {hi}", ["date", "capacity", "advances", "availability",
                                                         "overadvance", "limit", "breach"],
                             [[r["date"], r["borrowing_capacity"], r["advances"], r["availability"],
                               r["overadvance"], r["overadvance_limit"], ", ".join(r["breaches"]) or ""]
                              for r in rows], numeric={"capacity", "advances", "availability", "overadvance",
                                                       "limit"}))
    _run(action)


def main() -> None:
    app()
