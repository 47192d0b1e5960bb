"""The documents `loanbook report` makes: a borrowing base certificate, a compliance report and a monthly
statement, each built once from the engine's results as plain data (a Document of sections and typed tables),
then rendered as HTML (html.py), PDF (pdf.py) or a workbook (xlsx.py). The figures are the engine's, never
recomputed here; the words are the agreement's: each figure under its label, each clause under its title, and
the signature block as the facility's form gives it (`forms` in facility.yaml).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ..agreement.model import Agreement, Form
from ..core.money import ZERO, money_human, number_str, percent_str
from ..engine.explain import Explanation
from ..engine.ledger import effective
from ..projection import breach_message, covenant_json

KINDS = ("text", "money", "rate", "number", "date", "count")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"   # one of KINDS: how the cells are written (money with two places, a rate with %)


@dataclass(frozen=True)
class Table:
    title: str | None
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    totals: frozenset[int] = frozenset()   # the rows that are a total (shown in bold)
    depth: tuple[int, ...] = ()            # each row's indent, where the rows are a computation's steps


@dataclass(frozen=True)
class Section:
    heading: str
    tables: tuple[Table, ...] = ()
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignatureLine:
    party: str          # the party's name as the agreement gives it
    capacity: str
    title: str | None
    name: str | None


@dataclass(frozen=True)
class Document:
    kind: str           # borrowing_base_certificate | compliance_report | statement
    title: str
    facility: str       # the facility's name
    facility_id: str
    period: str         # "at the end of 2002-10-15", "for 2002-11 (2002-11-01 to 2002-11-30)"
    sections: tuple[Section, ...]
    checked: bool = True
    certification: str | None = None
    signatures: tuple[SignatureLine, ...] = ()
    form_source: str | None = None
    notes: tuple[str, ...] = field(default=())
    stamp: str = ""     # the day or the month it is of, ISO: a file's name takes it


def human_cell(value, kind: str) -> str:
    """A cell as people read it: money with separators and two places, a rate with its %, a date ISO."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, Decimal):
        return money_human(value)
    if kind == "rate" and isinstance(value, Decimal):
        return f"{percent_str(value)}%"
    if kind == "number" and isinstance(value, Decimal):
        return number_str(value)
    if isinstance(value, date):
        return value.isoformat()
    if kind == "count" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


# --- the words of the agreement -------------------------------------------------------------------------------

def tranche_label(agreement: Agreement, tranche: str) -> str:
    return agreement.vocabulary.label_of("tranches", tranche)


def clause_title(agreement: Agreement, clause_id: str) -> str:
    clause = agreement.clauses.get(clause_id)
    return clause.title if clause is not None and clause.title else clause_id


def party_name(agreement: Agreement, party_id: str) -> str:
    try:
        return agreement.party(party_id).name
    except KeyError:
        return party_id


def _signatures(agreement: Agreement, form: Form | None) -> tuple[SignatureLine, ...]:
    if form is None:
        return ()
    return tuple(SignatureLine(party_name(agreement, s.party), s.capacity, s.title, s.name) for s in form.signatures)


def _title(agreement: Agreement, form_id: str, default: str) -> str:
    form = agreement.forms.get(form_id)
    return form.title if form is not None else default


def _form_parts(agreement: Agreement, form_id: str) -> dict:
    form = agreement.forms.get(form_id)
    if form is None:
        return {"notes": (f"The facility gives no form of {form_id.replace('_', ' ')} (forms in facility.yaml): "
                          "no signature block is printed.",)}
    return {"certification": form.certification, "signatures": _signatures(agreement, form),
            "form_source": form.source, "notes": (form.note,) if form.note else ()}


# --- the borrowing base certificate ----------------------------------------------------------------------

def _steps(tree: Explanation, shown: set[str], depth: int = 0, out: list | None = None) -> list:
    """The computation of a figure from its inputs up: each input before what it makes (a figure already shown
    in the borrowing base table is named, not opened again), each figure once."""
    out = [] if out is None else out
    if tree.figure not in shown:
        for child in tree.inputs:
            _steps(child, shown, depth + 1, out)
    if isinstance(tree.value, Decimal) and tree.figure not in {step[0] for step in out}:
        out.append((tree.figure, tree.label or tree.figure.replace("_", " "), tree.unit, tree.value,
                    tree.clause["title"] if tree.clause else (tree.source or ""), depth))
    return out


def borrowing_base_certificate(engine, day: date, *, checked: bool = True) -> Document:
    """From each collateral class's value through the advance rates and reserves to the borrowing base, then
    from the borrowing base to each tranche's availability and the overadvance against its limit."""
    agreement = engine.agreement
    status = engine.status(day)
    sections = []
    shown: set[str] = set()
    for base in status.borrowing_bases:
        rows: list[tuple] = [(c.label or c.id, None, c.value) for c in base.collateral]
        rows += [(line.label, base.rates[line.id].value, line.value) for line in base.lines]
        rows += [((r.label or r.id) if (r.label or r.id).lower().startswith("less") else f"less {r.label or r.id}",
                  None, r.value) for r in base.reserves]
        rows.append((base.label, None, base.total.value))
        shown |= {base.id} | {f.id for f in base.collateral + base.lines + base.reserves}
        sections.append(Section(base.label, tables=(Table(
            None, (Column("line"), Column("advance rate", "rate"), Column("amount", "money")), tuple(rows),
            totals=frozenset({len(rows) - 1})),)))
    for a in status.availabilities:
        steps = _steps(engine.explain(a.id, day), shown)
        rows = [(label, under, value if unit == "money" else None,
                 None if unit == "money" else value if unit == "percent" else number_str(value))
                for _, label, unit, value, under, _ in steps]
        rows[-1] = (f"Availability of {tranche_label(agreement, a.tranche)}", *rows[-1][1:])
        depth = tuple(s[5] for s in steps)
        sections.append(Section(f"Availability of {tranche_label(agreement, a.tranche)}", tables=(Table(
            None, (Column("line"), Column("under"), Column("amount", "money"), Column("rate", "rate")), tuple(rows),
            totals=frozenset({len(rows) - 1}), depth=depth),)))
    for o in status.overadvances:
        rows = [("Overadvance", o.overadvance.value), ("Overadvance cap", o.cap.value),
                ("Overadvance limit", o.limit.value)]
        if o.total_ceiling is not None:
            rows.append((o.total_ceiling.label or o.total_ceiling.id.replace("_", " "), o.total_ceiling.value))
        sections.append(Section(f"Overadvance of {tranche_label(agreement, o.tranche)} "
                                f"({clause_title(agreement, o.clause)})",
                                tables=(Table(None, (Column("line"), Column("amount", "money")), tuple(rows)),),
                                paragraphs=("Overadvances are at the Lenders' discretion.",) if o.discretionary
                                else ()))
    breaches = tuple(breach_message(b) for b in status.breaches) or ("No limit is breached.",)
    sections.append(Section("Limits", paragraphs=breaches))
    return Document("borrowing_base_certificate", _title(agreement, "borrowing_base_certificate",
                                                         "Borrowing Base Certificate"), agreement.name,
                    agreement.facility_id,
                    f"at the end of {day}", tuple(sections), checked=checked, stamp=day.isoformat(),
                    **_form_parts(agreement, "borrowing_base_certificate"))


# --- the compliance report --------------------------------------------------------------------------------

def _threshold(r) -> str:
    shown = covenant_json(r)
    words = r.test.replace("_", " ")
    return f"{words} {shown['threshold']}" if shown["threshold"] is not None else words


def compliance_report(engine, day: date, *, checked: bool = True) -> Document:
    """Every covenant test date with its measure, threshold and status; every deadline and obligation with its
    status; the conditions of the documents; what is past due and what is breached."""
    agreement = engine.agreement
    sections = []
    tests = engine.covenant_tests(day)
    if tests:
        rows: tuple[tuple, ...] = tuple((r.label, r.test_date, covenant_json(r)["measure"] or "not reported",
                                         _threshold(r), r.status.replace("_", " "), r.certificate_due, r.detail)
                                        for r in tests)
        sections.append(Section("Financial covenants", tables=(Table(None, (
            Column("covenant"), Column("test date", "date"), Column("measure"), Column("threshold"),
            Column("status"), Column("certificate due", "date"), Column("detail")), rows),)))
    else:
        sections.append(Section("Financial covenants", paragraphs=("No covenant test date has come by this day.",)))
    obligations = engine.obligations(day)
    rows = tuple((o.obligation or o.id.replace("_", " "), clause_title(agreement, o.clause), o.deadline,
                  o.status.replace("_", " "), o.satisfied_on, o.detail) for o in obligations if o.kind != "covenant")
    sections.append(Section("Deadlines and obligations", tables=(Table(None, (
        Column("obligation"), Column("clause"), Column("deadline", "date"), Column("status"),
        Column("satisfied on", "date"), Column("detail")), rows),)))
    conditions = engine.conditions(day)
    if conditions:
        sections.append(Section("Conditions of the documents", tables=(Table(None, (
            Column("document"), Column("clause"), Column("condition"), Column("status"), Column("on", "date")),
            tuple((agreement.document(c.document).title if c.document in {d.id for d in agreement.documents}
                   else c.document, c.clause, c.text, c.status, c.satisfied_on) for c in conditions)),)))
    status = engine.status(day)
    if status.past_due:
        sections.append(Section("Past due", tables=(Table(None, (
            Column("what"), Column("clause"), Column("due", "date"), Column("days past due", "count"),
            Column("amount", "money")), tuple((p.what, clause_title(agreement, p.clause), p.due, p.days_past_due,
                                               p.amount) for p in status.past_due)),)))
    breaches = tuple(breach_message(b) for b in status.breaches) or ("No limit or covenant is breached.",)
    sections.append(Section("Breaches", paragraphs=breaches))
    return Document("compliance_report", _title(agreement, "compliance_certificate", "Compliance Report"),
                    agreement.name, agreement.facility_id,
                    f"at the end of {day}", tuple(sections), checked=checked, stamp=day.isoformat(),
                    **_form_parts(agreement, "compliance_certificate"))


# --- the monthly statement --------------------------------------------------------------------------------

MOVEMENTS = {"advance": "advance", "repayment": "repayment", "interest_payment": "interest payment",
             "fee_payment": "fee payment", "expense_payment": "expense payment",
             "expense_demanded": "expense demanded", "opening_balance": "opening balance",
             "contingent_issued": "issued", "contingent_closed": "closed", "paid_in_full": "paid in full",
             "refinanced": "refinanced"}


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of a month written YYYY-MM; ValueError naming the form otherwise."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise ValueError(f"--month is a month as YYYY-MM, got {month!r}") from None
    if len(month) != 7:
        raise ValueError(f"--month is a month as YYYY-MM, got {month!r}")
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _movement(agreement: Agreement, event, kinds: dict[str, str]) -> tuple:
    """A recorded event in words: what moved, of which tranche or contingent obligation, and how much."""
    what = MOVEMENTS[event.type]
    loan = getattr(event, "loan", None)
    if event.type == "advance" and loan is None:
        revolving = agreement.vocabulary.revolving()
        loan = revolving[0].id if len(revolving) == 1 else None
    if event.type.startswith("contingent"):
        entry = agreement.vocabulary.get("contingents", kinds.get(event.id, ""))
        what = f"{entry.label if entry else 'contingent obligation'} {getattr(event, 'id', '')} {what}".strip()
    elif loan is not None:
        what = f"{what} of {tranche_label(agreement, loan)}"
    fee = getattr(event, "fee", None)
    if fee:
        what = f"{what} toward the {fee.replace('_', ' ')}"
    return event.date, what, getattr(event, "amount", None), getattr(event, "note", None) or ""


def _open(snap, kind: str) -> Decimal:
    return sum((c.amount for c in snap.open_contingents(kind)), start=ZERO)


def monthly_statement(engine, month: str, *, checked: bool = True,
                      parties: Collection[str] | None = None) -> Document:
    """A month: interest by tranche, the fees falling due, the payments and other movements, balances at the
    start and the end, and each Lender's share of the month's interest and fees (those not waived). `parties`:
    the Lenders whose shares the reader may see (the web app's lender its own, a borrower none); None, all."""
    agreement = engine.agreement
    first, last = month_bounds(month)
    before = first - timedelta(days=1)
    sections = []
    interest = engine.interest_statement(first, last)
    month_interest = ZERO
    if interest:
        data = interest[0]
        rows: list[tuple] = []
        for tranche, part in data.classes.items():
            for line in part.lines:
                rows.append((tranche_label(agreement, tranche), line.start, line.end, line.days,
                             line.principal, line.rate, line.day_basis, line.interest))
            rows.append((f"{tranche_label(agreement, tranche)}: interest for the month", None, None, None, None,
                         None, None, part.interest))
        for o in data.overdue:  # interest on overdue amounts, at what it adds to what they accrue
            rows.append((f"Overdue: {o.what} (due {o.due})", o.start, o.end, o.days, o.amount,
                         o.rate - o.already_accruing, o.day_basis, o.interest))
        month_interest = data.interest
        rows.append(("Interest for the month", None, None, None, None, None, None, data.interest))
        sections.append(Section("Interest", tables=(Table(None, (
            Column("tranche"), Column("from", "date"), Column("to", "date"), Column("days", "count"),
            Column("principal", "money"), Column("rate", "rate"), Column("day basis"), Column("interest", "money")),
            tuple(rows), totals=frozenset(i for i, r in enumerate(rows) if r[1] is None)),),
            paragraphs=(f"Interest paid in the month {money_human(data.paid)}; accrued and unpaid at the end of "
                        f"the month {money_human(data.unpaid_at_end or ZERO)}.",)))
    else:
        sections.append(Section("Interest", paragraphs=("This facility has no pricing clause in the record: no "
                                                        "interest is stated.",)))
    # the fees falling due in the month (a quarter's fee, in the month it is due): each counted in one statement
    fee_rows = [(c.label, c.start, c.end, c.amount, c.due, c.status, c.paid) for c in engine.charges_on(last)
                if first <= c.due <= last]
    state = engine.fees(last)
    if state is not None:
        fee_rows += [(f"{state.terms.named}, {state.terms.component_named(s.component)} installment", None, None,
                      s.amount, s.due, s.status, s.paid) for s in state.installments if first <= s.due <= last]
    month_fees = sum((r[3] for r in fee_rows if r[5] != "waived"), start=ZERO)
    sections.append(Section("Fees", tables=(Table(None, (
        Column("fee"), Column("from", "date"), Column("to", "date"), Column("amount", "money"), Column("due", "date"),
        Column("status"), Column("paid", "money")), tuple(fee_rows)),) if fee_rows else (),
        paragraphs=() if fee_rows else ("No fee fell due in the month.",)))
    history = effective(engine.events, engine.known_at)
    kinds = {e.id: e.kind for e in history if e.type == "contingent_issued"}
    moves = sorted((e for e in history if first <= e.date <= last and e.type in MOVEMENTS),
                   key=lambda e: (e.date, e.seq))
    sections.append(Section("Payments and other movements", tables=(Table(None, (
        Column("date", "date"), Column("what"), Column("amount", "money"), Column("note")),
        tuple(_movement(agreement, e, kinds) for e in moves)),) if moves else (),
        paragraphs=() if moves else ("No payment, advance or repayment was recorded in the month.",)))
    start, end = engine.ledger.on(before), engine.ledger.on(last)
    balance_rows = [(tranche_label(agreement, t), start.loan(t), end.loan(t))
                    for t in agreement.vocabulary.ids("tranches")]
    for kind in agreement.vocabulary.contingents:
        balance_rows.append((f"{kind.label or kind.id} open", _open(start, kind.id), _open(end, kind.id)))
    balance_rows.append(("Expenses demanded and unpaid", start.expenses_unpaid, end.expenses_unpaid))
    sections.append(Section("Balances", tables=(Table(None, (
        Column("balance"), Column(f"at the end of {before}", "money"), Column(f"at the end of {last}", "money")),
        tuple(balance_rows)),)))
    shares = engine.lender_shares(principal=end.principal, interest=month_interest, fees=month_fees)
    hidden = bool(shares) and parties is not None and not any(s.party in parties for s in shares)
    shares = [s for s in shares if parties is None or s.party in parties]
    if hidden:
        sections.append(Section("Each Lender's share", paragraphs=("The Lenders' shares are theirs and the Agent's "
                                                                   "to see: none is shown here.",)))
    elif shares:
        share_rows = tuple((party_name(agreement, s.party), s.share, s.principal, s.interest, s.fees,
                            s.assumption or "") for s in shares)
        sections.append(Section("Each Lender's share", tables=(Table(None, (
            Column("lender"), Column("share", "rate"), Column("principal at the end of the month", "money"),
            Column("interest for the month", "money"), Column("fees for the month", "money"), Column("note")),
            share_rows),)))
    else:
        sections.append(Section("Each Lender's share", paragraphs=(
            "The facility gives no Lender's share (lenders in facility.yaml): none is assumed.",)))
    return Document("statement", "Statement", agreement.name, agreement.facility_id,
                    f"for {month} ({first} to {last})", tuple(sections), checked=checked, stamp=month)
