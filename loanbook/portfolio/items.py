"""The eligibility rules of an item list that is not an aging (docs/eligibility.md, Other item lists), written once
as Ibis expressions: the same definition runs on DuckDB and on Spark, as the receivables rules do (rules.py).

Each facility's terms are rows of parameters (`ItemParams.tables`): its own schema was read into the long tables of
`item_list.py`, so one query applies every facility's rules to every item at once. In order, for each item:

1. excluded: a flag the terms name (`excluded_if`) is true;
2. category: the terms list the eligible categories and the item's is not one of them;
3. age: more than N days since one of its dates (for the categories the rule names), where the rule makes it
   ineligible (an age rule that steps down changes the rate in 6);
4. rating: the lower of its ratings (the worst row of the table any of them falls in) is in no row of the table
   (below the lowest, unknown), or it has no rating: ineligible, and counted as unmatched (flagged);
5. concentration: T is the total of the items left after 1 to 4; an item's amount above its limit (the rating
   row's concentration, else the rule's percent) of T, rounded half-up to the cent, is ineligible;
6. value: each item's eligible amount at its rate (an age step-down, else its rating row's, else its category's,
   else the advance rate, else 100%), rounded half-up to the cent; V is their total;
7. group cap: a group's value above the cap's percent of V (rounded half-up to the cent) is taken off the value.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..agreement.kinds_eligibility import Eligibility, ItemRules
from .engines import connect
from .item_list import DATES, FLAGS, GRADES, ITEMS, Items
from .rules import OUT, PCT, WORK, _percent_of, _work, _zero

ITEM_RULES = ("excluded", "category", "age", "rating")  # rules 1 to 4: an item's whole amount
CODE = {name: i for i, name in enumerate(ITEM_RULES, start=1)}
CATEGORIES = (*ITEM_RULES, "concentration")  # what comes off the eligible amount; the group cap comes off the value
LABELS = {"excluded": "excluded", "category": "category not eligible", "age": "aged past the limit",
          "rating": "rating in no row of the table", "concentration": "above the concentration limit",
          "group_cap": "groups above their cap"}

PARAMS = pa.schema([("facility_id", pa.string()), ("as_of", pa.date32()), ("categories_listed", pa.bool_()),
                    ("rating_on", pa.bool_()), ("concentration_percent", PCT), ("group_percent", PCT),
                    ("advance_percent", PCT)])
CATEGORY_PARAMS = pa.schema([("facility_id", pa.string()), ("category", pa.string()), ("category_rate", PCT)])
AGE_PARAMS = pa.schema([("facility_id", pa.string()), ("date_name", pa.string()), ("days", pa.int32()),
                        ("age_category", pa.string()), ("then_ineligible", pa.bool_()), ("step_rate", PCT)])
EXCLUDED_PARAMS = pa.schema([("facility_id", pa.string()), ("flag", pa.string())])
GRADE_PARAMS = pa.schema([("facility_id", pa.string()), ("grade", pa.string()), ("row_no", pa.int32())])
ROW_PARAMS = pa.schema([("facility_id", pa.string()), ("row_no", pa.int32()), ("row_concentration", PCT),
                        ("row_rate", PCT)])
TABLES = {"items": ITEMS, "dates": DATES, "flags": FLAGS, "grades": GRADES, "params": PARAMS,
          "category_params": CATEGORY_PARAMS, "age_params": AGE_PARAMS, "excluded_params": EXCLUDED_PARAMS,
          "grade_params": GRADE_PARAMS, "row_params": ROW_PARAMS}


@dataclass(frozen=True)
class ItemParams:
    """One facility's item rules as rows of the parameter tables."""

    rules: ItemRules
    advance_percent: Decimal | None

    @classmethod
    def of(cls, terms: Eligibility) -> ItemParams:
        return cls(terms.item_rules or ItemRules(), terms.advance_rate)

    @staticmethod
    def tables(facilities: dict[str, ItemParams], as_of: date) -> dict[str, pa.Table]:
        rows: dict[str, list[dict]] = {name: [] for name in ("params", "category_params", "age_params",
                                                             "excluded_params", "grade_params", "row_params")}
        for facility, p in facilities.items():
            r = p.rules
            rows["params"].append({
                "facility_id": facility, "as_of": as_of, "categories_listed": r.categories is not None,
                "rating_on": r.rating is not None,
                "concentration_percent": r.concentration.percent if r.concentration else None,
                "group_percent": r.group_cap.percent if r.group_cap else None, "advance_percent": p.advance_percent})
            rows["category_params"] += [{"facility_id": facility, "category": c, "category_rate": rate}
                                        for c, rate in (r.categories or {}).items()]
            rows["age_params"] += [{"facility_id": facility, "date_name": a.date, "days": a.more_than_days,
                                    "age_category": c, "then_ineligible": a.then == "ineligible", "step_rate": a.rate}
                                   for a in r.age for c in (a.categories or ("",))]
            rows["excluded_params"] += [{"facility_id": facility, "flag": f} for f in r.excluded_if]
            if r.rating is not None:
                for n, row in enumerate(r.rating.table, start=1):
                    rows["row_params"].append({"facility_id": facility, "row_no": n,
                                               "row_concentration": row.concentration, "row_rate": row.rate})
                    rows["grade_params"] += [{"facility_id": facility, "grade": g, "row_no": n} for g in row.grades]
        return {name: pa.Table.from_pylist(values, schema=TABLES[name]) for name, values in rows.items()}


# --- the rules -------------------------------------------------------------------------------------------


def _keys(t: ir.Table, **columns) -> ir.Table:
    """An aggregate's rows as (facility, item) and its columns, for a left join by the item."""
    return t.select(facility_id=t.facility_id, item_id=t.item_id, **columns)


def _left(t: ir.Table, other: ir.Table, keys: list[str]) -> ir.Table:
    """A left join keeping `t`'s keys once (a left join keeps the right side's keys as `*_right`)."""
    joined = t.left_join(other, keys)
    return joined.drop(*(f"{k}_right" for k in keys if f"{k}_right" in joined.columns))


def by_item(t: dict[str, ir.Table]) -> ir.Table:
    """Each item under its facility's rules: its category (rules 1 to 4; 0: none), the concentration excess, the
    eligible amount, its rate and its value."""
    p = t["params"]
    items = t["items"]
    flags = t["flags"].inner_join(t["excluded_params"], ["facility_id", "flag"])
    excluded = flags.group_by(["facility_id", "item_id"]).aggregate(n_flags=flags.count())
    dated = (t["dates"].inner_join(t["age_params"], ["facility_id", "date_name"])
             .inner_join(items.select("facility_id", "item_id", "category"), ["facility_id", "item_id"])
             .inner_join(p.select("facility_id", "as_of"), "facility_id"))
    cutoff = (dated.as_of - dated.days.as_interval("D")).cast("timestamp").date()  # more than N days: before it
    dated = dated.filter(((dated.age_category == "") | (dated.age_category == dated.category)) & (dated.day < cutoff))
    aged = dated.group_by(["facility_id", "item_id"]).aggregate(aged_out=dated.then_ineligible.any(),
                                                                 step=dated.step_rate.min())
    graded = _left(t["grades"], t["grade_params"], ["facility_id", "grade"])
    rated = graded.group_by(["facility_id", "item_id"]).aggregate(worst=graded.row_no.max(),
                                                                   unknown=graded.row_no.isnull().any())
    rows = t["row_params"]
    x = _left(items, excluded, ["facility_id", "item_id"])
    x = _left(x, aged, ["facility_id", "item_id"])
    x = _left(x, rated, ["facility_id", "item_id"])
    x = _left(x, rows.rename(worst="row_no"), ["facility_id", "worst"])
    x = _left(x, t["category_params"].mutate(listed=ibis.literal(True)), ["facility_id", "category"])
    x = x.inner_join(p, "facility_id")
    code = ibis.cases(
        (x.n_flags.notnull(), CODE["excluded"]),
        (x.categories_listed & x.listed.isnull(), CODE["category"]),
        (x.aged_out.fill_null(False), CODE["age"]),
        (x.rating_on & (x.worst.isnull() | x.unknown.fill_null(True)), CODE["rating"]),
        else_=0)
    x = x.mutate(code=code, amount=x.amount.cast(WORK))
    total = ibis.ifelse(x.code == 0, x.amount, _zero()).sum().over(group_by=x.facility_id)
    limit = x.row_concentration.cast(WORK).coalesce(x.concentration_percent.cast(WORK))
    cap = _percent_of(total, limit)
    excess = ibis.ifelse((x.code == 0) & limit.notnull() & (total > 0) & (x.amount > cap), x.amount - cap, _zero())
    eligible = ibis.ifelse(x.code == 0, x.amount - excess, _zero())
    rate = ibis.coalesce(x.step.cast(WORK), x.row_rate.cast(WORK), x.category_rate.cast(WORK),
                         x.advance_percent.cast(WORK), _work(Decimal(100)))
    return x.select(facility_id=x.facility_id, item_id=x.item_id, category=x.category, group_id=x.group_id,
                    amount=x.amount, code=x.code, concentration=excess, eligible=eligible, rate=rate,
                    value=_percent_of(eligible, rate), group_percent=x.group_percent.cast(WORK),
                    row_no=x.worst)


def by_group(items: ir.Table) -> ir.Table:
    """Rule 7: each group's value against its cap, a percentage of the facility's value V."""
    v = items.group_by("facility_id").aggregate(total_value=items.value.sum(),
                                                group_percent=items.group_percent.max())
    g = items.filter(items.group_id != "").group_by(["facility_id", "group_id"]).aggregate(
        group_value=items.value.sum())
    g = g.inner_join(v, "facility_id")
    cap = _percent_of(g.total_value, g.group_percent)
    excess = ibis.ifelse(g.group_percent.notnull() & (g.group_value > cap), g.group_value - cap, _zero())
    return g.select(facility_id=g.facility_id, group_id=g.group_id, value=g.group_value.cast(OUT),
                    cap=ibis.ifelse(g.group_percent.notnull(), cap, g.total_value).cast(OUT), excess=excess.cast(OUT))


def by_facility(t: dict[str, ir.Table]) -> ir.Table:
    """Per facility: gross, each category of rules 1 to 5 with its count, eligible, the value before the group caps,
    the group caps' excess and the class's value (decimal(38, 2))."""
    items = by_item(t)
    groups = by_group(items).group_by("facility_id").aggregate(group_cap=ibis._.excess.sum(),
                                                                n_group_cap=(ibis._.excess > 0).cast("int64").sum())
    f = items.group_by("facility_id").aggregate(
        gross=items.amount.sum(), n=items.count(),
        **{name: ibis.ifelse(items.code == CODE[name], items.amount, _zero()).sum() for name in ITEM_RULES},
        **{f"n_{name}": (items.code == CODE[name]).cast("int64").sum() for name in ITEM_RULES},
        concentration=items.concentration.sum(), n_concentration=(items.concentration > 0).cast("int64").sum(),
        eligible=items.eligible.sum(), before_groups=items.value.sum())
    f = _left(f, groups, ["facility_id"])
    group_cap = f.group_cap.cast(WORK).fill_null(_zero())
    money = {name: f[name].cast(OUT) for name in ("gross", *CATEGORIES, "eligible", "before_groups")}
    counts = {f"n_{name}": f[f"n_{name}"].cast("int64") for name in CATEGORIES}
    return f.select(facility_id=f.facility_id, n=f.n.cast("int64"), **money, **counts,
                    group_cap=group_cap.cast(OUT), n_group_cap=f.n_group_cap.fill_null(0).cast("int64"),
                    value=ibis.greatest(f.before_groups - group_cap, _zero()).cast(OUT))


@functools.cache
def compiled(engine: str) -> tuple[str, str, str]:
    """The rules as the engine's SQL over the tables of `TABLES`: (per facility, per item, per group)."""
    t = {name: ibis.table(ibis.Schema.from_pyarrow(schema), name=name) for name, schema in TABLES.items()}
    dialect = {"duckdb": "duckdb", "spark": "pyspark"}[engine]
    items = by_item(t)
    return (str(ibis.to_sql(by_facility(t), dialect=dialect)),
            str(ibis.to_sql(items.mutate(amount=items.amount.cast(OUT), concentration=items.concentration.cast(OUT),
                                         eligible=items.eligible.cast(OUT), value=items.value.cast(OUT)),
                            dialect=dialect)),
            str(ibis.to_sql(by_group(items), dialect=dialect)))


# --- one facility's certificate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemLine:
    item_id: str
    category: str
    group_id: str
    amount: Decimal
    ineligible: str | None      # the rule of 1 to 4 that took it, or None
    concentration: Decimal
    eligible: Decimal
    rate: Decimal               # percent
    value: Decimal
    rating_row: int | None      # the row of the rating table its lower rating fell in


@dataclass(frozen=True)
class GroupLine:
    group_id: str
    value: Decimal
    cap: Decimal
    excess: Decimal


@dataclass(frozen=True)
class ItemCertificate:
    as_of: date
    gross: Decimal
    categories: dict[str, Decimal]
    counts: dict[str, int]
    eligible: Decimal
    before_groups: Decimal
    group_cap: Decimal
    value: Decimal
    items: list[ItemLine]
    groups: list[GroupLine]
    rows: int

    @property
    def unmatched_ratings(self) -> list[ItemLine]:
        """Items whose lower rating is in no row of the table (or that have none): flagged, never given a row."""
        return [i for i in self.items if i.ineligible == "rating"]

    @property
    def shown_categories(self) -> list[str]:
        return [c for c in CATEGORIES if self.categories[c] or self.counts[c]]


def item_certificate(terms: Eligibility, items: Items, as_of: date, *, engine: str = "duckdb") -> ItemCertificate:
    """One facility's certificate from its item list, on the engine named."""
    facility = "borrower"
    tables = {"items": items.items, "dates": items.dates, "flags": items.flags, "grades": items.grades,
              **ItemParams.tables({facility: ItemParams.of(terms)}, as_of)}
    tables = {name: _as(table, facility) if name in ("items", "dates", "flags", "grades") else table
              for name, table in tables.items()}
    totals_sql, items_sql, groups_sql = compiled(engine)
    with connect(engine) as backend:
        for name, table in tables.items():
            backend.load(table, name)
        totals = backend.sql(totals_sql).to_pylist()
        item_rows = backend.sql(items_sql).to_pylist()
        group_rows = backend.sql(groups_sql).to_pylist()
    zero = Decimal("0.00")
    if not totals:  # an empty list
        return ItemCertificate(as_of, zero, {c: zero for c in CATEGORIES}, {c: 0 for c in CATEGORIES}, zero, zero,
                               zero, zero, [], [], 0)
    row = totals[0]
    names = {v: k for k, v in CODE.items()}
    lines = sorted((ItemLine(r["item_id"], r["category"], r["group_id"], _cents(r["amount"]),
                             names.get(int(r["code"])), _cents(r["concentration"]), _cents(r["eligible"]),
                             _cents(r["rate"]), _cents(r["value"]),
                             int(r["row_no"]) if r["row_no"] is not None else None) for r in item_rows),
                   key=lambda i: i.item_id)
    groups = sorted((GroupLine(r["group_id"], _cents(r["value"]), _cents(r["cap"]), _cents(r["excess"]))
                     for r in group_rows), key=lambda g: g.group_id)
    return ItemCertificate(as_of, _cents(row["gross"]), {c: _cents(row[c]) for c in CATEGORIES},
                           {c: int(row[f"n_{c}"]) for c in CATEGORIES}, _cents(row["eligible"]),
                           _cents(row["before_groups"]), _cents(row["group_cap"]), _cents(row["value"]), lines, groups,
                           int(row["n"]))


def _as(table: pa.Table, facility: str) -> pa.Table:
    """A list's rows under the one facility a certificate computes."""
    index = table.schema.get_field_index("facility_id")
    return table.set_column(index, "facility_id", pa.array([facility] * table.num_rows, pa.string()))


def _cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
