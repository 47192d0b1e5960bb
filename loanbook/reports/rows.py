"""The rows `--out FILE` writes for each command, as typed Arrow tables (exports.py writes them).

One row per thing the command lists: per figure (status), per day (timeline), per line of constant balance and
rate (interest), per charge or installment (fees), per test date (covenants). The columns hold what the JSON
holds, under the same names, so a spreadsheet and a script read the same figures.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pyarrow as pa

from ..engine.fees import waiver_text
from ..engine.results import InterestMonth, Status, TimelineDay
from .exports import MONEY, RATE


def _table(columns: list[tuple[str, pa.DataType]], rows: list[dict]) -> pa.Table:
    """The rows under a typed schema; a Decimal is rounded half-up to its column's places (a line's interest to
    the cent, as the statement shows it; a ratio to six places, as the JSON does)."""
    def fit(value, kind: pa.DataType):
        if isinstance(value, Decimal) and pa.types.is_decimal(kind):
            return value.quantize(Decimal(1).scaleb(-kind.scale), rounding=ROUND_HALF_UP)
        return value

    return pa.table({name: pa.array([fit(row.get(name), kind) for row in rows], kind) for name, kind in columns},
                    schema=pa.schema(columns))


def _unit_type(unit: str) -> pa.DataType:
    return MONEY if unit == "money" else RATE


def status_table(s: Status) -> pa.Table:
    """Every figure of the status, then each tranche's availability and overadvance, then the breaches (their
    message in `note`): one row each, value in the column of its unit."""
    rows: list[dict] = []

    def add(figure: str, label: str, unit: str, value: Decimal | None, note: str | None = None) -> None:
        rows.append({"as_of": s.as_of, "figure": figure, "label": label, "unit": unit,
                     "amount": value if unit == "money" else None,
                     "rate": value if unit != "money" else None, "note": note})

    for f in s.figures:
        add(f.id, f.label or f.id.replace("_", " "), f.unit, f.value)
    for a in s.availabilities:
        add(a.id, f"availability of {a.tranche}", "money", a.availability.value)
    for o in s.overadvances:
        add(f"overadvance.{o.tranche}", f"overadvance of {o.tranche}", "money", o.overadvance.value)
        add(f"overadvance_limit.{o.tranche}", f"overadvance limit of {o.tranche}", "money", o.limit.value)
    for tranche, amount in s.loans.items():
        add(f"loan.{tranche}", f"{tranche} outstanding", "money", amount)
    if s.interest_accrued_unpaid is not None:
        add("interest_accrued_unpaid", "interest accrued and unpaid", "money", s.interest_accrued_unpaid)
    add("expenses_unpaid", "expenses unpaid", "money", s.expenses_unpaid)
    from ..projection import breach_message

    for b in s.breaches:
        add(f"breach.{b.rule}", f"breach of {b.clause}", "money", b.amount, breach_message(b))
    return _table([("as_of", pa.date32()), ("figure", pa.string()), ("label", pa.string()), ("unit", pa.string()),
                   ("amount", MONEY), ("rate", RATE), ("note", pa.string())], rows)


def timeline_table(days: Sequence[TimelineDay]) -> pa.Table:
    tranches = sorted({t for d in days for t in d.loans})
    rows = [{"date": d.day, "capacity": d.capacity, "usage": d.usage, "availability": d.availability,
             "overadvance": d.overadvance, "overadvance_limit": d.overadvance_limit, "breach": d.breach,
             "breaches": list(d.breaches), **{f"loan_{t}": d.loans.get(t) for t in tranches}} for d in days]
    return _table([("date", pa.date32()), ("capacity", MONEY), ("usage", MONEY), ("availability", MONEY),
                   ("overadvance", MONEY), ("overadvance_limit", MONEY), ("breach", pa.bool_()),
                   ("breaches", pa.list_(pa.string()))] + [(f"loan_{t}", MONEY) for t in tranches], rows)


def interest_table(months: Sequence[InterestMonth]) -> pa.Table:
    """A row per line of the loans' interest, then per line of interest on overdue amounts (its rate: the rate
    charged on top of what the amount already accrues)."""
    rows = [{"month": m.month, "tranche": tranche, "from": x.start, "to": x.end, "days": x.days,
             "principal": x.principal, "rate": x.rate, "rate_formula": x.rate_formula, "day_basis": x.day_basis,
             "interest": x.interest}
            for m in months for tranche, data in m.classes.items() for x in data.lines]
    rows += [{"month": m.month, "tranche": f"overdue: {o.what} (due {o.due})", "from": o.start,
              "to": o.end, "days": o.days, "principal": o.amount, "rate": o.rate - o.already_accruing,
              "rate_formula": o.rate_formula, "day_basis": o.day_basis, "interest": o.interest}
             for m in months for o in m.overdue]
    return _table([("month", pa.string()), ("tranche", pa.string()), ("from", pa.date32()), ("to", pa.date32()),
                   ("days", pa.int32()), ("principal", MONEY), ("rate", RATE), ("rate_formula", pa.string()),
                   ("day_basis", pa.string()), ("interest", MONEY)], rows)


def fees_table(state, charges, day: date) -> pa.Table:
    """Computed charges first (unused line, letter of credit, termination), then the installments of an
    installment fee; `fee` names the fee as the agreement does."""
    rows = [{"as_of": day, "fee": c.label, "clause": c.clause, "kind": c.kind, "component": None, "from": c.start,
             "to": c.end, "days": c.days, "basis": c.base, "rate": c.rate, "amount": c.amount, "due": c.due,
             "status": c.status, "paid": c.paid, "note": None} for c in charges]
    if state is not None:
        rows += [{"as_of": day, "fee": state.terms.fee, "clause": state.version.clause_id, "kind": "installment",
                  "component": s.component, "amount": s.amount, "due": s.due, "status": s.status, "paid": s.paid,
                  "note": "; ".join(filter(None, ["provisional date" if s.provisional else None,
                                                  waiver_text(s.waived_by) if s.waived_by else None])) or None}
                 for s in state.installments]
    return _table([("as_of", pa.date32()), ("fee", pa.string()), ("clause", pa.string()), ("kind", pa.string()),
                   ("component", pa.string()), ("from", pa.date32()), ("to", pa.date32()), ("days", pa.int32()),
                   ("basis", MONEY), ("rate", RATE), ("amount", MONEY), ("due", pa.date32()),
                   ("status", pa.string()), ("paid", MONEY), ("note", pa.string())], rows)


def covenants_table(results, day: date) -> pa.Table:
    rows = [{"as_of": day, "covenant": r.covenant, "label": r.label, "clause": r.clause, "test_date": r.test_date,
             "test": r.test.replace("_", " "), "unit": r.unit, "measure": r.measure, "threshold": r.threshold,
             "status": r.status, "certificate_due": r.certificate_due, "detail": r.detail} for r in results]
    return _table([("as_of", pa.date32()), ("covenant", pa.string()), ("label", pa.string()), ("clause", pa.string()),
                   ("test_date", pa.date32()), ("test", pa.string()), ("unit", pa.string()), ("measure", RATE),
                   ("threshold", RATE), ("status", pa.string()), ("certificate_due", pa.date32()),
                   ("detail", pa.string())], rows)
