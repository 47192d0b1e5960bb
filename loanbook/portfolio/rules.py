"""The eligibility rules (docs/eligibility.md), written once as Ibis expressions: the same definition runs on
DuckDB for one borrower or a book on one machine, and on Spark for a book beyond one machine.

A facility's rules are a row of parameters (`params_table`), so one query applies every facility's own
terms to the whole book at once: no loop over facilities, no Python per invoice. Amounts stay decimal
from the aging to the certificate; a percentage of an amount is rounded half-up to the cent.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..agreement.kinds_eligibility import Eligibility
from .aging import SCHEMA as INVOICES
from .engines import connect

ROW_RULES = ("affiliates", "foreign", "government", "disputed", "bill_and_hold", "consignment", "progress_billing",
             "aging")
DEBTOR_RULES = ("credit_balances", "cross_aging", "contra", "concentration")
CATEGORIES = ROW_RULES + DEBTOR_RULES
CODE = {name: i for i, name in enumerate(ROW_RULES, start=1)}  # an invoice's category while the rules run; 0: none
LABELS = {"affiliates": "affiliates", "foreign": "foreign, uninsured", "government": "government, unassigned",
          "disputed": "disputed", "bill_and_hold": "bill and hold", "consignment": "consignment",
          "progress_billing": "progress billings", "aging": "aged past the limit",
          "credit_balances": "aged credits added back", "cross_aging": "cross-aging", "contra": "contra",
          "concentration": "concentration"}
WORK = "decimal(38, 6)"  # every amount and percentage while the rules run: Ibis computes on one decimal type
OUT = "decimal(38, 2)"
PCT = pa.decimal128(9, 4)


@dataclass(frozen=True)
class EligibilityRules:
    """One facility's rules as parameters (docs/eligibility.md). A rule is off when its field is False/None;
    percentages are percent numbers (Decimal("25") is 25%)."""

    affiliates: bool = False
    foreign: bool = False
    government: bool = False
    disputed: bool = False
    bill_and_hold: bool = False
    consignment: bool = False
    progress_billing: bool = False
    contra: bool = False
    aging_invoice_days: int | None = None
    aging_due_days: int | None = None
    credit_invoice_days: int | None = None
    credit_due_days: int | None = None
    cross_percent: Decimal | None = None
    cross_invoice_days: int | None = None
    cross_due_days: int | None = None
    concentration_percent: Decimal | None = None
    dilution_percent: Decimal | None = None
    advance_percent: Decimal | None = None

    @classmethod
    def of(cls, terms: Eligibility) -> EligibilityRules:
        r = terms.rules
        return cls(affiliates=r.affiliates, foreign=r.foreign, government=r.government, disputed=r.disputed,
                   bill_and_hold=r.bill_and_hold, consignment=r.consignment, progress_billing=r.progress_billing,
                   contra=r.contra,
                   aging_invoice_days=r.aging.days_from_invoice if r.aging else None,
                   aging_due_days=r.aging.days_past_due if r.aging else None,
                   credit_invoice_days=r.credit_balances.days_from_invoice if r.credit_balances else None,
                   credit_due_days=r.credit_balances.days_past_due if r.credit_balances else None,
                   cross_percent=r.cross_aging.percent if r.cross_aging else None,
                   cross_invoice_days=r.cross_aging.days_from_invoice if r.cross_aging else None,
                   cross_due_days=r.cross_aging.days_past_due if r.cross_aging else None,
                   concentration_percent=r.concentration.percent if r.concentration else None,
                   dilution_percent=terms.dilution_reserve, advance_percent=terms.advance_rate)


PARAMS = pa.schema([("facility_id", pa.string()), ("as_of", pa.date32()),
                    *((f.name, pa.bool_()) for f in fields(EligibilityRules) if f.type == "bool"),
                    *((f.name, pa.int32()) for f in fields(EligibilityRules) if f.type == "int | None"),
                    *((f.name, PCT) for f in fields(EligibilityRules) if f.type == "Decimal | None")])


def params_table(rules: dict[str, EligibilityRules], as_of: date | None = None) -> pa.Table:
    """One row of parameters per facility, with the day its aging is judged on (`as_of`, or given later)."""
    def value(name: str, facility: str, r: EligibilityRules):
        return facility if name == "facility_id" else as_of if name == "as_of" else getattr(r, name)
    return pa.table({name: pa.array([value(name, f, r) for f, r in rules.items()], PARAMS.field(name).type)
                     for name in PARAMS.names}, schema=PARAMS)


# --- the rules -------------------------------------------------------------------------------------------

def _older(invoice_age: ir.IntegerValue, due_age: ir.IntegerValue, invoice_days, due_days) -> ir.BooleanValue:
    """More than N days from invoice, or more than M days past due, where the rule gives N or M."""
    return ((invoice_days.notnull() & (invoice_age > invoice_days)).fill_null(False)
            | (due_days.notnull() & (due_age > due_days)).fill_null(False))


def _percent_of(amount, percent) -> ir.DecimalValue:
    """percent% of an amount, rounded half-up to the cent: multiplied, never divided (a decimal division may
    leave the decimals on some engines); both engines round a decimal half away from zero."""
    return (amount * percent * _work(Decimal("0.01"))).round(2).cast(WORK)


def _work(value: Decimal):
    return ibis.literal(value, type=WORK)


def _zero():
    return _work(Decimal("0"))


def _rules(params: ir.Table) -> ir.Table:
    """The parameters with their names prefixed, so they never meet an invoice column of the same name."""
    return params.select(facility_id=params.facility_id,
                         **{f"rule_{name}": params[name].cast(WORK) if pa.types.is_decimal(PARAMS.field(name).type)
                            else params[name] for name in PARAMS.names if name != "facility_id"})


def by_debtor(invoices: ir.Table, params: ir.Table, as_of: date | None = None, *, detail: bool = True) -> ir.Table:
    """Each debtor's share of every category (rules 1 to 5) and its eligible balance, on each facility's as-of
    day (the params' `as_of`, or `as_of` for all). Facilities without parameters are left out."""
    if as_of is not None:
        params = params.mutate(as_of=ibis.literal(as_of))
    rules = _rules(params)
    t = invoices.inner_join(rules, "facility_id")  # amounts stay decimal(18, 2) per invoice: 64-bit arithmetic
    invoice_age = t.rule_as_of.delta(t.invoice_date, unit="day")
    due_age = t.rule_as_of.delta(t.due_date, unit="day")
    debit = t.amount > 0
    flagged = (
        (t.rule_affiliates & t.affiliate, "affiliates"),
        (t.rule_foreign & t["foreign"] & ~t.insured, "foreign"),
        (t.rule_government & t.government & ~t.assigned, "government"),
        (t.rule_disputed & t.disputed, "disputed"),
        (t.rule_bill_and_hold & t.bill_and_hold, "bill_and_hold"),
        (t.rule_consignment & t.consignment, "consignment"),
        (t.rule_progress_billing & t.progress_billing, "progress_billing"),
        (_older(invoice_age, due_age, t.rule_aging_invoice_days, t.rule_aging_due_days), "aging"),
    )
    category = ibis.cases(*((condition.fill_null(False), CODE[name]) for condition, name in flagged), else_=0)
    credit_old = _older(invoice_age, due_age, t.rule_credit_invoice_days, t.rule_credit_due_days)
    cross_old = _older(invoice_age, due_age, t.rule_cross_invoice_days, t.rule_cross_due_days)
    # Each invoice's category is decided once, in this projection; the sums below read it as a column, so no
    # engine evaluates the rules more than once per invoice.
    rows = t.select(facility_id=t.facility_id, debtor_id=t.debtor_id, debtor_name=t.debtor_name, amount=t.amount,
                    payable=t.payable_to_debtor, category=category, credit_old=credit_old,
                    aged_debit=(debit & cross_old), debit=debit)
    cents = ibis.literal(Decimal("0.00"), type="decimal(18, 2)")
    added = (rows.amount < 0) & rows.credit_old & (rows.category == CODE["aging"])

    def summed(condition) -> ir.DecimalValue:
        return ibis.ifelse(condition, rows.amount, cents).sum()

    counts = ({"debtor_name": rows.debtor_name.arbitrary(), "n_credit_balances": added.cast("int64").sum(),
               **{f"n_{name}": (rows.category == CODE[name]).cast("int64").sum() for name in ROW_RULES}}
              if detail else {})  # for a certificate: names and counts; a book's run needs only the amounts
    sums = rows.group_by(["facility_id", "debtor_id"]).aggregate(
        **counts,
        gross=rows.amount.sum(),
        remaining=summed(rows.category == 0),
        credit_balances=ibis.ifelse(added, -rows.amount, cents).sum(),
        debits=summed(rows.debit),
        aged_debits=summed(rows.aged_debit),
        payable=rows.payable.sum(),
        **{name: summed(rows.category == CODE[name]) for name in ROW_RULES},
    )
    money = ("gross", "remaining", "credit_balances", "debits", "aged_debits", "payable", *ROW_RULES)
    debtors = sums.mutate(**{name: sums[name].cast(WORK) for name in money})
    d = debtors.inner_join(rules, "facility_id")
    balance = d.remaining - d.credit_balances
    crossed = (d.rule_cross_percent.notnull() & (d.debits > 0)
               & (d.aged_debits * _work(Decimal(100)) >= d.rule_cross_percent * d.debits)
               & (balance > 0)).fill_null(False)
    cross = ibis.ifelse(crossed, balance, _zero())
    after_cross = balance - cross
    contra = ibis.ifelse(d.rule_contra & (after_cross > 0) & (d.payable > 0),
                         ibis.least(after_cross, d.payable), _zero()).fill_null(_zero())
    d = d.mutate(cross_aging=cross, contra=contra, after_contra=after_cross - contra)
    total = d.after_contra.sum().over(group_by=d.facility_id)
    cap = _percent_of(total, d.rule_concentration_percent)
    concentration = ibis.ifelse(d.rule_concentration_percent.notnull() & (total > 0) & (d.after_contra > cap),
                                d.after_contra - cap, _zero()).fill_null(_zero())
    d = d.mutate(concentration=concentration)
    d = d.mutate(eligible=d.after_contra - d.concentration,
                 ineligible=sum((d[name] for name in CATEGORIES[1:]), d[CATEGORIES[0]]))
    keep = ["facility_id", "debtor_id", "gross", *CATEGORIES, "eligible", "ineligible"]
    if detail:
        keep[2:2] = ["debtor_name"]
        keep += [*(f"n_{r}" for r in ROW_RULES), "n_credit_balances"]
    return d.select(*keep)


def eligible_by_facility(con, invoices: ir.Table, params: ir.Table, as_of: date | None = None, *,
                         detail: bool = False) -> ir.Table:
    """Per facility: gross, each category, eligible, the dilution reserve and the class's value (decimal(38, 2)).
    `con` is the backend the tables live on (kept for symmetry with the baselines; Ibis needs only the tables)."""
    del con
    if as_of is not None:
        params = params.mutate(as_of=ibis.literal(as_of))
    d = by_debtor(invoices, params, detail=detail)
    totals = d.group_by("facility_id").aggregate(
        gross=d.gross.sum(), **{name: d[name].sum() for name in CATEGORIES},
        **({**{f"n_{name}": d[f"n_{name}"].sum() for name in ROW_RULES},
            "n_credit_balances": d.n_credit_balances.sum(),
            **{f"n_{name}": (d[name] > 0).cast("int64").sum() for name in DEBTOR_RULES[1:]}} if detail else {}))
    f = totals.inner_join(_rules(params), "facility_id")
    eligible = f.gross - sum((f[name] for name in CATEGORIES[1:]), f[CATEGORIES[0]])
    dilution = ibis.ifelse(f.rule_dilution_percent.notnull(), _percent_of(eligible, f.rule_dilution_percent),
                           _zero()).fill_null(_zero())
    net = eligible - dilution
    value = ibis.greatest(ibis.ifelse(f.rule_advance_percent.notnull(), _percent_of(net, f.rule_advance_percent),
                                      net).fill_null(net), _zero())  # credits beyond the debits value nothing
    money = {name: f[name].cast(OUT) for name in ("gross", *CATEGORIES)}
    counts = {f"n_{name}": f[f"n_{name}"].cast("int64") for name in CATEGORIES} if detail else {}
    return f.select(facility_id=f.facility_id, **money, eligible=eligible.cast(OUT), dilution=dilution.cast(OUT),
                    value=value.cast(OUT), **counts)


# --- one borrower's certificate ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DebtorLine:
    debtor_id: str
    debtor_name: str
    ineligible: Decimal
    categories: dict[str, Decimal]


@dataclass(frozen=True)
class Certificate:
    as_of: date
    rules: EligibilityRules
    gross: Decimal
    categories: dict[str, Decimal]
    counts: dict[str, int]
    eligible: Decimal
    dilution: Decimal
    value: Decimal
    debtors: list[DebtorLine]
    invoices: int

    @property
    def advance_percent(self) -> Decimal | None:
        return self.rules.advance_percent


def certificate(rules: EligibilityRules, invoices: pa.Table, as_of: date, *, engine: str = "duckdb",
                top: int | None = None) -> Certificate:
    """One borrower's certificate from its aging (the normalized table), on the engine named. The rules are
    compiled to the engine's SQL once per process; each certificate only runs it."""
    facility = "borrower"
    table = invoices.set_column(invoices.schema.get_field_index("facility_id"), "facility_id",
                                pa.array([facility] * invoices.num_rows, pa.string()))
    totals_sql, debtors_sql = compiled(engine)
    with connect(engine) as backend:
        backend.load(table, "invoices")
        backend.load(params_table({facility: rules}, as_of), "params")
        totals = backend.sql(totals_sql).to_pylist()
        debtor_rows = backend.sql(debtors_sql).to_pylist()
    if not totals:  # an empty aging
        zero = Decimal("0.00")
        return Certificate(as_of, rules, zero, {c: zero for c in CATEGORIES}, {c: 0 for c in CATEGORIES}, zero, zero,
                           zero, [], 0)
    row = totals[0]
    debtors = sorted((DebtorLine(str(r["debtor_id"]), str(r["debtor_name"]), _cents(r["ineligible"]),
                                 {c: _cents(r[c]) for c in CATEGORIES if _cents(r[c])})
                      for r in debtor_rows), key=lambda x: (-x.ineligible, x.debtor_id))
    return Certificate(as_of, rules, _cents(row["gross"]), {c: _cents(row[c]) for c in CATEGORIES},
                       {c: int(row[f"n_{c}"]) for c in CATEGORIES}, _cents(row["eligible"]), _cents(row["dilution"]),
                       _cents(row["value"]), debtors[:top] if top else debtors, invoices.num_rows)


@functools.cache
def compiled(engine: str) -> tuple[str, str]:
    """The rules as the engine's SQL over tables named `invoices` and `params`: (per facility, per debtor)."""
    invoices = ibis.table(ibis.Schema.from_pyarrow(INVOICES), name="invoices")
    params = ibis.table(ibis.Schema.from_pyarrow(PARAMS), name="params")
    dialect = {"duckdb": "duckdb", "spark": "pyspark"}[engine]
    return (str(ibis.to_sql(eligible_by_facility(None, invoices, params, detail=True), dialect=dialect)),
            str(ibis.to_sql(by_debtor(invoices, params), dialect=dialect)))


def _cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
