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
from .aging import RULE_COLUMN, absent_columns
from .aging import SCHEMA as INVOICES
from .engines import connect

ROW_RULES = ("affiliates", "foreign", "government", "disputed", "bill_and_hold", "consignment", "progress_billing",
             "aging")
DEBTOR_RULES = ("credit_balances", "cross_aging", "contra", "concentration")
CATEGORIES = ROW_RULES + DEBTOR_RULES
FLAG_RULES = ROW_RULES[:-1]  # rule 1's categories read from an invoice's flags, in order
AGE_RULES = ("aging", "credit", "cross")  # the parameters' prefixes of the rules with days from invoice / past due
CUTOFFS = tuple(f"{rule}_{kind}_before" for rule in AGE_RULES for kind in ("invoice", "due"))
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

def _older(rows: ir.Table, rule: str) -> ir.BooleanValue:
    """More than N days from invoice, or more than M days past due, where the rule gives N or M: dated before
    the rule's cutoff day (`_rules`), so each invoice is compared, not aged. An invoice without a date is never
    old (the comparison is null, which selects no case and adds to no sum)."""
    return ((rows.invoice_date < rows[f"rule_{rule}_invoice_before"])
            | (rows.due_date < rows[f"rule_{rule}_due_before"]))


def _percent_of(amount, percent) -> ir.DecimalValue:
    """percent% of an amount, rounded half-up to the cent: multiplied, never divided (a decimal division may
    leave the decimals on some engines); both engines round a decimal half away from zero."""
    return (amount * percent * _work(Decimal("0.01"))).round(2).cast(WORK)


def _work(value: Decimal):
    return ibis.literal(value, type=WORK)


def _zero():
    return _work(Decimal("0"))


def _rules(params: ir.Table) -> ir.Table:
    """The parameters with their names prefixed, so they never meet an invoice column of the same name, and
    each day-count rule's cutoffs: an invoice dated before as_of - N days is more than N days old."""
    rules = params.select(facility_id=params.facility_id,
                          **{f"rule_{name}": params[name].cast(WORK) if pa.types.is_decimal(PARAMS.field(name).type)
                             else params[name] for name in PARAMS.names if name != "facility_id"})

    def before(days: ir.IntegerValue) -> ir.DateValue:
        """as_of - N days (a date less an interval is a timestamp on DuckDB: made a date again); where the rule
        gives no N, the first day there is, which no invoice is dated before."""
        return (rules.rule_as_of - days.as_interval("D")).cast("timestamp").date().fill_null(ibis.literal(date.min))

    return rules.mutate(**{f"rule_{cutoff}": before(rules[f"rule_{cutoff.removesuffix('_before')}_days"])
                           for cutoff in CUTOFFS})


def _only(rules: ir.Table, *names: str) -> ir.Table:
    """The rules a step reads (a join carries every column it is given to every row)."""
    return rules.select("facility_id", *(f"rule_{name}" for name in names))


def _on(params: ir.Table, as_of: date | None) -> ir.Table:
    """The parameters judged on `as_of` for every facility, or on each row's own `as_of` when None."""
    return params if as_of is None else params.mutate(as_of=ibis.literal(as_of))


def _categorized(invoices: ir.Table, rules: ir.Table) -> ir.Table:
    """Each invoice under its facility's rules: its category (rule 1; 0: none) and whether it is old for rules 2
    and 3. Facilities without parameters are left out. The sums after it read the category as a column; where
    two sums read it (`eligible_by_facility`), DuckDB keeps the rows once, Spark may compute them twice."""
    t = invoices.inner_join(_only(rules, *FLAG_RULES, *CUTOFFS),
                            "facility_id")  # amounts stay decimal(18, 2) per invoice: 64-bit arithmetic
    flagged = (  # a null flag is false: only the negated ones need saying so
        (t.rule_affiliates & t.affiliate, "affiliates"),
        (t.rule_foreign & t["foreign"] & ~t.insured.fill_null(False), "foreign"),
        (t.rule_government & t.government & ~t.assigned.fill_null(False), "government"),
        (t.rule_disputed & t.disputed, "disputed"),
        (t.rule_bill_and_hold & t.bill_and_hold, "bill_and_hold"),
        (t.rule_consignment & t.consignment, "consignment"),
        (t.rule_progress_billing & t.progress_billing, "progress_billing"),
        (_older(t, "aging"), "aging"),
    )
    category = ibis.cases(*((condition, CODE[name]) for condition, name in flagged), else_=0)
    return t.select(facility_id=t.facility_id, debtor_id=t.debtor_id, debtor_name=t.debtor_name, amount=t.amount,
                    payable=t.payable_to_debtor, category=category, credit_old=_older(t, "credit"),
                    cross_old=_older(t, "cross"))


def _added(rows: ir.Table) -> ir.BooleanValue:
    """Rule 2: a credit the aging rule put in its category, older than the credit rule's days: added back."""
    return (rows.amount < 0) & rows.credit_old & (rows.category == CODE["aging"])


def _sum_where(values: ir.NumericValue, condition: ir.BooleanValue) -> ir.NumericValue:
    """The sum of `values` where `condition` holds: zero where it never does, or is null."""
    return ibis.ifelse(condition, values, ibis.literal(0, type=values.type())).sum()


def _debtor_sums(rows: ir.Table, *, detail: bool) -> ir.Table:
    """Per (facility, debtor): what rules 3 to 5 read (the balance left by rules 1 and 2, debits, aged debits,
    the payable); with `detail`, the debtor's name, gross, its amount and count in each category of rule 1 and
    its count of credits added back."""
    extra = ({"debtor_name": rows.debtor_name.arbitrary(), "gross": rows.amount.sum(),
              "n_credit_balances": _sum_where(ibis.literal(1, type="int64"), _added(rows)),
              **{name: _sum_where(rows.amount, rows.category == CODE[name]) for name in ROW_RULES},
              **{f"n_{name}": (rows.category == CODE[name]).cast("int64").sum() for name in ROW_RULES}}
             if detail else {})  # for a certificate; a book's run needs only what the debtor rules read
    sums = rows.group_by(["facility_id", "debtor_id"]).aggregate(
        remaining=_sum_where(rows.amount, rows.category == 0),
        credit_balances=_sum_where(rows.amount, _added(rows)).negate(),
        debits=_sum_where(rows.amount, rows.amount > 0),
        aged_debits=_sum_where(rows.amount, (rows.amount > 0) & rows.cross_old),
        payable=rows.payable.sum(),
        **extra)
    money = [name for name, kind in sums.schema().items() if kind.is_decimal()]
    return sums.mutate(**{name: sums[name].cast(WORK) for name in money})


def _debtor_rules(debtors: ir.Table, rules: ir.Table) -> ir.Table:
    """Rules 3 to 5 on each debtor's balance: cross-aging, contra, then concentration against the facility's
    total of balances after rule 4."""
    d = debtors.inner_join(_only(rules, "cross_percent", "contra", "concentration_percent"), "facility_id")
    balance = d.remaining - d.credit_balances
    crossed = (d.rule_cross_percent.notnull() & (d.debits > 0)
               & (d.aged_debits * _work(Decimal(100)) >= d.rule_cross_percent * d.debits)
               & (balance > 0))
    cross = ibis.ifelse(crossed, balance, _zero())
    after_cross = balance - cross
    contra = ibis.ifelse(d.rule_contra & (after_cross > 0) & (d.payable > 0),
                         ibis.least(after_cross, d.payable), _zero())
    d = d.mutate(cross_aging=cross, contra=contra, after_contra=after_cross - contra)
    total = d.after_contra.sum().over(group_by=d.facility_id)
    cap = _percent_of(total, d.rule_concentration_percent)
    concentration = ibis.ifelse(d.rule_concentration_percent.notnull() & (total > 0) & (d.after_contra > cap),
                                d.after_contra - cap, _zero())
    return d.mutate(concentration=concentration, eligible=d.after_contra - concentration)


def by_debtor(invoices: ir.Table, params: ir.Table, as_of: date | None = None) -> ir.Table:
    """Each debtor's share of every category (rules 1 to 5), its eligible balance and its counts, on each
    facility's as-of day (the params' `as_of`, or `as_of` for all). Facilities without parameters are left out."""
    rules = _rules(_on(params, as_of))
    d = _debtor_rules(_debtor_sums(_categorized(invoices, rules), detail=True), rules)
    d = d.mutate(ineligible=sum((d[name] for name in CATEGORIES[1:]), d[CATEGORIES[0]]))
    return d.select("facility_id", "debtor_id", "debtor_name", "gross", *CATEGORIES, "eligible", "ineligible",
                    *(f"n_{r}" for r in ROW_RULES), "n_credit_balances")


def eligible_by_facility(con, invoices: ir.Table, params: ir.Table, as_of: date | None = None, *,
                         detail: bool = False) -> ir.Table:
    """Per facility: gross, each category, eligible, the dilution reserve and the class's value (decimal(38, 2)).
    `con` is the backend the tables live on (kept for symmetry with the baselines; Ibis needs only the tables).

    Rule 1's categories are summed per facility straight from the invoices (a handful of groups); only what the
    debtor rules read is summed per debtor, the one large grouping."""
    del con
    rules = _rules(_on(params, as_of))
    rows = _categorized(invoices, rules)
    c = rows.group_by(["facility_id", "category"]).aggregate(amount=rows.amount.sum(),
                                                             **({"n": rows.count()} if detail else {}))
    categories = c.group_by("facility_id").aggregate(
        gross=c.amount.sum(), **{name: _sum_where(c.amount, c.category == CODE[name]) for name in ROW_RULES},
        **({f"n_{name}": _sum_where(c.n, c.category == CODE[name]) for name in ROW_RULES} if detail else {}))
    d = _debtor_rules(_debtor_sums(rows, detail=detail), rules)
    debtor_totals = d.group_by("facility_id").aggregate(
        **{name: d[name].sum() for name in DEBTOR_RULES},
        **({"n_credit_balances": d.n_credit_balances.sum(),
            **{f"n_{name}": (d[name] > 0).cast("int64").sum() for name in DEBTOR_RULES[1:]}} if detail else {}))
    totals = categories.inner_join(debtor_totals, "facility_id")
    f = totals.inner_join(_only(rules, "dilution_percent", "advance_percent"), "facility_id")
    eligible = f.gross - sum((f[name] for name in CATEGORIES[1:]), f[CATEGORIES[0]])
    dilution = ibis.ifelse(f.rule_dilution_percent.notnull() & (eligible > 0),  # no reserve on credits
                           _percent_of(eligible, f.rule_dilution_percent),
                           _zero())
    net = eligible - dilution
    value = ibis.greatest(ibis.ifelse(f.rule_advance_percent.notnull(), _percent_of(net, f.rule_advance_percent),
                                      net), _zero())  # credits beyond the debits value nothing
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
    rules_without_column: tuple[str, ...] = ()  # rules on whose aging column was absent: they found nothing

    @property
    def advance_percent(self) -> Decimal | None:
        return self.rules.advance_percent

    @property
    def shown_categories(self) -> list[str]:
        """The categories a certificate lists: those with an amount or an invoice in them, in order."""
        return [c for c in CATEGORIES if self.categories[c] or self.counts[c]]

    @property
    def ineligible_debtors(self) -> list[DebtorLine]:
        """The debtors a certificate lists: those with something ineligible, the largest first."""
        return [d for d in self.debtors if d.ineligible]


def certificate(rules: EligibilityRules, invoices: pa.Table, as_of: date, *, engine: str = "duckdb",
                top: int | None = None) -> Certificate:
    """One borrower's certificate from its aging (the normalized table), on the engine named. The rules are
    compiled to the engine's SQL once per process; each certificate only runs it."""
    facility = "borrower"
    unread = unread_rules(rules, absent_columns(invoices))
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
                           zero, [], 0, unread)
    row = totals[0]
    debtors = sorted((DebtorLine(str(r["debtor_id"]), str(r["debtor_name"]), _cents(r["ineligible"]),
                                 {c: _cents(r[c]) for c in CATEGORIES if _cents(r[c])})
                      for r in debtor_rows), key=lambda x: (-x.ineligible, x.debtor_id))
    return Certificate(as_of, rules, _cents(row["gross"]), {c: _cents(row[c]) for c in CATEGORIES},
                       {c: int(row[f"n_{c}"]) for c in CATEGORIES}, _cents(row["eligible"]), _cents(row["dilution"]),
                       _cents(row["value"]), debtors[:top] if top else debtors, invoices.num_rows, unread)


def unread_rules(rules: EligibilityRules, absent: set[str]) -> tuple[str, ...]:
    """The rules turned on whose column the aging did not have (`aging.absent_columns`): they found nothing, and
    are named so that a rule nobody tested is not read as a rule that passed."""
    return tuple(rule for rule, column in RULE_COLUMN.items() if getattr(rules, rule) and column in absent)


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
