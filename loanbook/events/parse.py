"""Read events.yaml: every event validated against the facility, every problem collected, all or nothing."""
from __future__ import annotations

import difflib
import re
from collections import Counter
from pathlib import Path

from pydantic import ValidationError

from ..agreement.model import Agreement
from ..core.errors import InputError, Problem
from ..core.money import parse_money, parse_number, parse_percent, shown
from ..core.types import pydantic_problems
from ..core.yamlio import load_yaml
from . import types as ev
from .types import EVENT_MODELS, EVENT_TYPES


def parse_rating(value: object, *, what: str = "rating", allow_negative: bool = True) -> str:
    """An agency's grade as the agency writes it (BBB+, Baa1): text of at most 12 characters, no spaces."""
    del allow_negative
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9+\-/]{1,12}", value.strip()):
        raise ValueError(f"{what} is not a rating (an agency's grade, like BBB+ or Baa1): {value!r}")
    return value.strip()


_PARSERS = {"money": parse_money, "percent": parse_percent, "number": parse_number, "rating": parse_rating}
_UNIT_WORDS = {"money": 'money: dollars, like "1500000.00"', "percent": 'a percentage in percent, like "4.25"',
               "number": 'a number, like "1.25"', "rating": 'a rating, like "BBB+"'}


def parse_events(path: Path | str, agreement: Agreement, *, text: str | None = None) -> tuple:
    """Parse an events file into a tuple of events in file order (the engine orders them by date, stably),
    or raise InputError listing every problem.

    Checks here are those one event can fail alone, against the facility's vocabulary (types, fields,
    dates, amounts, names). Checks that need the history (an unknown contingent id, a repayment above
    principal, payments above what is owed) are the engine's, reported with the same event position.
    """
    path = Path(path)
    located = load_yaml(path, text=text, locate=event_place)
    data = located.data
    if data is None:
        return ()
    if not isinstance(data, list):
        raise InputError([Problem(str(path), None, None, "expected a list of events")])
    return events_from(data, agreement, str(path), line_of=lambda p: located.line(p))


def events_from(rows: list, agreement: Agreement, source: str, *, line_of=lambda path: None,
                prior: tuple = (), first: int = 1) -> tuple:
    """Events from already-loaded rows (a file, a request body, a test, the store), validated the same way.
    `prior` is the record the rows are appended to: keys continue its count, and a correction may name its
    events. Problems number the rows from `first` ("event 1" is the first row unless the rows continue a
    stored record)."""
    events = []
    problems: list[Problem] = []
    keys = _Keys(prior)
    for index, raw in enumerate(rows):
        line = line_of((index,))
        seq = index + first - 1  # the event's place: "event 1" is 0
        label = f"event {seq + 1}"
        if not isinstance(raw, dict):
            problems.append(Problem(source, f"{label} (line {line})" if line else label, None,
                                    "an event is a mapping of fields", seq))
            continue
        if raw.get("type") not in EVENT_TYPES:
            field_line = line_of((index, "type"))
            close = difflib.get_close_matches(str(raw.get("type")), EVENT_TYPES, n=1, cutoff=0.6)
            what = "missing (required)" if "type" not in raw else (
                f"unknown event type {shown(raw.get('type'))}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            problems.append(Problem(source, f"{label} (line {field_line})" if field_line else label, "type",
                                    f"{what}; expected one of: {', '.join(EVENT_TYPES)}", seq))
            continue
        internal = _INTERNAL & set(raw)
        if internal:
            problems.append(Problem(source, f"{label} (line {line})" if line else label, sorted(internal)[0],
                                    "unknown field", seq))
            continue
        key = keys.next(raw)
        try:
            event = EVENT_MODELS[raw["type"]].model_validate({**raw, "source_file": source, "seq": seq, "line": line,
                                                              "key": key})
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, source, label=label, located=_Lines(line_of), base_path=(index,),
                                              event=seq))
            continue
        event, found = _resolve(event, agreement,  # type: ignore[assignment]
                                lambda field, index=index: line_of((index, field)))
        found.extend(keys.take(event, lambda field, index=index: line_of((index, field))))
        problems.extend(found)
        if not found:
            events.append(event)
    earliest = min(events, key=lambda e: e.date, default=None)
    if earliest is not None and not prior and earliest.date > agreement.record_end:
        problems.append(earliest.problem("date", f"{earliest.date} is after the facility's record_end "
                                                 f"({agreement.record_end}, in facility.yaml): the record would end "
                                                 "before its first event; record_end is the last day `loanbook check` "
                                                 "sweeps"))
    if problems:
        raise InputError(problems)
    return tuple(events)


class _Keys:
    """The keys of a record so far: each new event's key, and what a correction may supersede."""

    def __init__(self, prior: tuple):
        self.counts: Counter = Counter()
        self.given: dict[str, str] = {}         # key -> where its event is
        self.superseded: dict[str, str] = {}    # key -> the key of the event that superseded it
        self.voided: set[str] = set()
        for event in prior:
            derived = _DERIVED.fullmatch(event.key)  # counted by the key itself: a shorthand's type may have changed
            if derived:
                kind, day, n = derived.groups()
                self.counts[(kind, day)] = max(self.counts[(kind, day)], int(n))
            self._keep(event)

    def next(self, raw: dict) -> str:
        """An event's key: its id, or `type@date#n` (the n-th of its type that day, in record order)."""
        if not _derived(raw["type"], raw.get("id")):
            return raw["id"]
        day = str(raw.get("date", "")).strip()
        self.counts[(raw["type"], day)] += 1
        return f"{raw['type']}@{day}#{self.counts[(raw['type'], day)]}"

    def take(self, event, line_of) -> list[Problem]:
        """Problems with the event's key or what it supersedes; none means it is kept."""
        def problem(field: str, message: str) -> Problem:
            line = line_of(field) or event.line
            return Problem(event.source_file, event.position_at(line), field, message, event.seq)

        if event.key in self.given:
            return [problem("id", f"id {shown(event.key)} is already used by {self.given[event.key]}")]
        target = event.supersedes
        if target is not None:
            if target not in self.given:
                return [problem("supersedes", f"no earlier event has the key {shown(target)}")]
            if target in self.superseded:
                return [problem("supersedes", f"{shown(target)} is already superseded by "
                                              f"{shown(self.superseded[target])}; supersede that one")]
            if target in self.voided:
                return [problem("supersedes", f"{shown(target)} is a voiding; record the withdrawn event again "
                                              "instead")]
        self._keep(event)
        return []

    def _keep(self, event) -> None:
        self.given[event.key] = event.position if not event.source_file else event.where
        if event.supersedes is not None:
            self.superseded[event.supersedes] = event.key
        if event.type == "voided":
            self.voided.add(event.key)


_DERIVED = re.compile(r"([a-z_]+)@(\d{4}-\d{2}-\d{2})#(\d+)")


def _derived(kind: str, given_id: object) -> bool:
    """Whether an event's key is derived (no id of its own; a contingent_closed's id names the contingent)."""
    return not isinstance(given_id, str) or kind == "contingent_closed"


_INTERNAL = {"source_file", "seq", "line", "key"}


def event_place(path: tuple, line: int) -> tuple[str | None, str | None]:
    """Where a value of an events file is: the event and its line, and the field inside it."""
    if not path or not isinstance(path[0], int):
        return f"line {line}", None
    return f"event {path[0] + 1} (line {line})", ".".join(str(p) for p in path[1:]) or None


class _Lines:
    def __init__(self, line_of):
        self.line = line_of


def _resolve(event, agreement: Agreement, line_of) -> tuple[object, list[Problem]]:
    """Check an event's names against the facility and turn shorthands into the general form."""
    vocabulary = agreement.vocabulary
    problems: list[Problem] = []

    def problem(field: str, message: str) -> None:
        line = line_of(field) or event.line
        problems.append(Problem(event.source_file, event.position_at(line), field, message, event.seq))

    def name(group: str, field: str, value: object) -> None:
        why = vocabulary.unknown(group, value)
        if why:
            problem(field, why)

    lent = (ev.OpeningBalance, ev.Advance, ev.Repayment, ev.ContingentIssued)  # a fee paid at signing may precede
    if isinstance(event, lent) and agreement.start is not None and event.date < agreement.start:
        problem("date", f"{event.date} is before the agreement takes effect ({agreement.start}): nothing is lent "
                        "or repaid under it yet")
    match event:
        case ev.OpeningBalance() | ev.Repayment():
            name("tranches", "loan", event.loan)
        case ev.Advance(loan=None):
            revolving = vocabulary.revolving()
            if len(revolving) != 1:
                problem("loan", "name the tranche: this facility has "
                                f"{len(revolving)} revolving tranches ({', '.join(t.id for t in revolving)})")
            else:
                event = event.model_copy(update={"loan": revolving[0].id})
        case ev.Advance():
            name("tranches", "loan", event.loan)
            tranche = vocabulary.get("tranches", event.loan or "")
            if tranche is not None and tranche.type == "term" and not tranche.drawn:
                problem("loan", f"{event.loan} is a term tranche, lent once (its opening_balance), not by advances; "
                                "a term loan drawn in advances says drawn: true in the vocabulary")
        case ev.BorrowingBaseReport():
            if event.receivables_borrowing_base is not None:
                if len(vocabulary.collateral) != 1:
                    problem("receivables_borrowing_base", "this facility has "
                            f"{len(vocabulary.collateral)} collateral classes: give values by class "
                            f"({', '.join(vocabulary.ids('collateral'))})")
                else:
                    event = event.model_copy(update={"values": {vocabulary.collateral[0].id:
                                                                event.receivables_borrowing_base}})
            for key in event.values or {}:
                name("collateral", f"values.{key}", key)
            if event.measures:
                measures = {}
                for key, value in event.measures.items():
                    parsed = _measure(vocabulary, key, value, problem, f"measures.{key}")
                    if parsed is not None:
                        measures[key] = parsed
                event = event.model_copy(update={"measures": measures})
        case ev.ContingentIssued():
            name("contingents", "kind", event.kind)
        case ev.TermLoanReserve():
            measure = vocabulary.get("measures", "term_loan_reserve")
            if measure is None or measure.unit != "money":
                problem("type", "this facility declares no money measure 'term_loan_reserve'; report its "
                                "measures with measure_reported")
            else:
                event = ev.MeasureReported(type="measure_reported", measure="term_loan_reserve", value=event.amount,
                                           **_base(event), key=event.key)
        case ev.MeasureReported():
            parsed = _measure(vocabulary, event.measure, event.value, problem, "value", "measure")
            if parsed is not None:
                event = event.model_copy(update={"value": parsed})
        case ev.DocumentDelivered():
            name("documents", "document", event.document)
            if event.figures:
                units = vocabulary.reported_units()
                figures = {}
                for key, value in event.figures.items():
                    if key not in units:
                        declared = ", ".join(units) or "none"
                        problem(f"figures.{key}", f"unknown period measure {key!r}; this facility declares: "
                                                  f"{declared}")
                        continue
                    try:
                        figures[key] = _PARSERS[units[key]](value, what=key, allow_negative=True)
                    except ValueError as exc:
                        problem(f"figures.{key}", f"{exc} ({key} is {_UNIT_WORDS[units[key]]})")
                event = event.model_copy(update={"figures": figures})
            elif event.figures is not None:
                problem("figures", "figures is empty: give at least one, or leave it out")
        case ev.IndexRate():
            name("indices", "index", event.index)
        case ev.FeePayment(fee=str()):
            fees = agreement.fee_ids()
            if event.fee not in fees:
                problem("fee", f"unknown fee {shown(event.fee)}; this facility's fees: {', '.join(fees) or 'none'}")
        case ev.AmendmentExecuted():
            documents = [d.id for d in agreement.documents]
            if event.amendment not in documents:
                problem("amendment", f"unknown document {shown(event.amendment)}; the chain has: "
                                     f"{', '.join(sorted(documents))}")
    return event, problems


def _measure(vocabulary, measure_id: str, value: object, problem, field: str, name_field: str | None = None):
    measure = vocabulary.get("measures", measure_id)
    if measure is None:
        problem(name_field or field, str(vocabulary.unknown("measures", measure_id)))
        return None
    signed = measure.signed or measure.period or measure.unit == "number"  # a loss, a ratio below zero
    try:
        return _PARSERS[measure.unit](value, what=measure_id, allow_negative=signed)
    except ValueError as exc:
        signed = "" if signed else "; a measure that may be below zero says signed: true"
        problem(field, f"{exc} ({measure_id} is {_UNIT_WORDS[measure.unit]}{signed})")
        return None


def _base(event) -> dict:
    return {"date": event.date, "id": event.id, "recorded_at": event.recorded_at, "note": event.note,
            "illustrative": event.illustrative, "source_file": event.source_file, "seq": event.seq,
            "line": event.line}
