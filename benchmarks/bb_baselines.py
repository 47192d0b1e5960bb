"""The two baselines of the borrowing-base benchmark (issue: the borrowing base from the invoices up), each a
whole implementation of docs/eligibility.md ("The rules, in order") over a book of invoices and one row of
rules per facility:

- `pandas_rules`: what users write today, merges and groupbys over a DataFrame, money as int64 cents;
- `SQL` / `duckdb_sql`: one hand-written DuckDB query over the tables `invoices` and `params`.

Both give, per facility that has parameters and invoices, `RESULT` (decimal(18, 2)): gross, the amount of each
category, eligible, dilution and value.

Readings of the doc that both make (the doc is silent or terse on them):
- "more than N days" is strict: D - invoice_date > N (from invoice), D - due_date > N (past due); where a rule
  gives both days, a row is old if either applies;
- rule 3's share counts every debit row of the debtor, whatever its category in rule 1; a debtor without
  debit rows is never cross-aged;
- rule 4 takes nothing when the payable is not above zero;
- rule 5 applies only when T is above zero (with T at or below zero the cap is not a share of anything);
- half-up rounding is half away from zero (Python's ROUND_HALF_UP, DuckDB's ROUND on decimals), which
  matters only for a negative eligible amount;
- a flag that is null is false; a facility's rule flag that is null is off.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

MONEY = pa.decimal128(18, 2)
ROW_RULES = ("affiliates", "foreign", "government", "disputed", "bill_and_hold", "consignment", "progress_billing",
             "aging")
CATEGORIES = (*ROW_RULES, "credit_balances", "cross_aging", "contra", "concentration")
RESULT = ("facility_id", "gross", *CATEGORIES, "eligible", "dilution", "value")
INVOICE_FLAGS = ("affiliate", "foreign", "insured", "government", "assigned", "disputed", "bill_and_hold",
                 "consignment", "progress_billing")
RULE_FLAGS = ("affiliates", "foreign", "government", "disputed", "bill_and_hold", "consignment", "progress_billing",
              "contra")
RULE_DAYS = ("aging_invoice_days", "aging_due_days", "credit_invoice_days", "credit_due_days", "cross_invoice_days",
             "cross_due_days")
RULE_PERCENTS = ("cross_percent", "concentration_percent", "dilution_percent", "advance_percent")
_PERCENT_SCALE = 10_000          # percents are decimal(9, 4): 25.5 is 255,000 ten-thousandths
_OF_PERCENT = 100 * _PERCENT_SCALE


# --- pandas ------------------------------------------------------------------------------------------------

def load_pandas(invoices_path, params_path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The book as a pandas user would load it for this: Parquet read whole, money kept exact (Arrow decimals,
    not floats), dates as datetime64."""
    import pyarrow.parquet as pq

    def mapper(t: pa.DataType):
        return pd.ArrowDtype(t) if pa.types.is_decimal(t) else None

    invoices = pq.read_table(invoices_path).to_pandas(types_mapper=mapper, date_as_object=False,
                                                      self_destruct=True, split_blocks=True)
    params = pq.read_table(params_path).to_pandas(types_mapper=mapper)
    return invoices, params


def pandas_rules(invoices: pd.DataFrame, params: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """docs/eligibility.md in pandas. `amount` and `payable_to_debtor` are decimals (Arrow decimal columns or
    Decimal objects); dates are dates or datetimes. Returns one row per facility, money as Decimal."""
    rules = _pandas_params(params)
    day = pd.Timestamp(as_of)
    rows = pd.DataFrame({
        "facility_id": invoices["facility_id"],
        "debtor_id": invoices["debtor_id"],
        "amount": _cents(invoices["amount"]),
        "payable": _cents(invoices["payable_to_debtor"]) if "payable_to_debtor" in invoices else 0,
        "invoice_age": (day - pd.to_datetime(invoices["invoice_date"])).dt.days,
        "due_age": (day - pd.to_datetime(invoices["due_date"])).dt.days,
        **{flag: _flag(invoices, flag) for flag in INVOICE_FLAGS},
    })
    row_rules = ["facility_id", *(f"r_{name}" for name in RULE_FLAGS if name != "contra"), *RULE_DAYS]
    rows = rows.merge(rules[row_rules], on="facility_id", how="inner", sort=False)

    def older(prefix: str) -> pd.Series:
        # more than N days from invoice, or more than M days past due (NaN: not given, never older)
        return (rows["invoice_age"] > rows[f"{prefix}_invoice_days"]) | (rows["due_age"] > rows[f"{prefix}_due_days"])

    # Rule 1: the first category that applies, in the doc's order (0: none).
    conditions = [
        rows["r_affiliates"] & rows["affiliate"],
        rows["r_foreign"] & rows["foreign"] & ~rows["insured"],
        rows["r_government"] & rows["government"] & ~rows["assigned"],
        rows["r_disputed"] & rows["disputed"],
        rows["r_bill_and_hold"] & rows["bill_and_hold"],
        rows["r_consignment"] & rows["consignment"],
        rows["r_progress_billing"] & rows["progress_billing"],
        older("aging"),
    ]
    rows["category"] = np.select(conditions, list(range(1, len(ROW_RULES) + 1)), default=0).astype(np.int8)
    amount = rows["amount"]
    # Rule 2: credits the aging rule put in its category and older than the credit rule's days, added back
    # (absolute values). A credit among the eligible rows already reduces them and is not added back.
    added_back = (amount < 0) & (rows["category"] == len(ROW_RULES)) & older("credit")
    rows["remaining"] = amount.where(rows["category"] == 0, 0)
    rows["added_back"] = (-amount).where(added_back, 0)
    rows["debits"] = amount.where(amount > 0, 0)
    rows["aged_debits"] = amount.where((amount > 0) & older("cross"), 0)

    by_category = (rows.groupby(["facility_id", "category"], sort=False)["amount"].sum()
                   .unstack("category", fill_value=0)
                   .reindex(columns=range(len(ROW_RULES) + 1), fill_value=0))
    by_category.columns = ["remaining", *ROW_RULES]
    debtors = (rows.groupby(["facility_id", "debtor_id"], sort=False)
               [["remaining", "added_back", "debits", "aged_debits", "payable"]].sum().reset_index())
    debtors = debtors.merge(rules[["facility_id", "r_contra", "cross_on", "cross_p"]], on="facility_id", how="inner",
                            sort=False)

    # The debtor's eligible balance after rules 1 and 2.
    balance = debtors["remaining"] - debtors["added_back"]
    # Rule 3: aged debits / all debits >= percent / 100, compared exactly in integers.
    crossed = (debtors["cross_on"] & (debtors["debits"] > 0) & (balance > 0)
               & _at_least_share(debtors["aged_debits"], debtors["debits"], debtors["cross_p"]))
    debtors["cross_aging"] = balance.where(crossed, 0)
    balance = balance - debtors["cross_aging"]
    # Rule 4: the lesser of the balance (above zero) and what the borrower owes the debtor.
    contra = debtors["r_contra"] & (balance > 0) & (debtors["payable"] > 0)
    debtors["contra"] = np.minimum(balance, debtors["payable"]).where(contra, 0)
    balance = balance - debtors["contra"]
    debtors["balance"] = balance

    # Rule 5: the cap is percent of T, T the facility's total of balances after rules 1 to 4.
    totals = debtors.groupby("facility_id", sort=False)["balance"].sum().rename("total")
    percents = rules.set_index("facility_id")["concentration_p"].reindex(totals.index)
    capped = [p is not None and not pd.isna(p) and t > 0 for t, p in zip(totals, percents)]
    cap = [_percent_of(int(t), p) if c else 0 for t, p, c in zip(totals, percents, capped)]
    caps = pd.DataFrame({"capped": np.array(capped, dtype=bool), "cap": np.array(cap, dtype=np.int64)},
                        index=totals.index)
    debtors = debtors.merge(caps, left_on="facility_id", right_index=True, how="left")
    over = debtors["capped"] & (debtors["balance"] > debtors["cap"])
    debtors["concentration"] = (debtors["balance"] - debtors["cap"]).where(over, 0)

    facilities = debtors.groupby("facility_id", sort=False)[
        ["added_back", "cross_aging", "contra", "concentration"]].sum()
    facilities = facilities.rename(columns={"added_back": "credit_balances"}).join(by_category, how="inner")
    facilities["gross"] = facilities[["remaining", *ROW_RULES]].sum(axis=1)
    facilities["eligible"] = facilities["gross"] - facilities[list(CATEGORIES)].sum(axis=1)
    facilities = facilities.join(rules.set_index("facility_id")[["dilution_p", "advance_p"]], how="inner")

    # Rules 7 and 8, in Python integers (one row per facility): percents of amounts rounded half-up.
    out: dict[str, list] = {name: [] for name in RESULT}
    for facility, row in facilities.sort_index().iterrows():
        eligible = int(row["eligible"])
        dilution = 0 if pd.isna(row["dilution_p"]) or eligible <= 0 else _percent_of(eligible, row["dilution_p"])
        net = eligible - dilution
        value = max(0, net if pd.isna(row["advance_p"]) else _percent_of(net, row["advance_p"]))
        out["facility_id"].append(facility)
        for name in ("gross", *CATEGORIES):
            out[name].append(_money(int(row[name])))
        out["eligible"].append(_money(eligible))
        out["dilution"].append(_money(dilution))
        out["value"].append(_money(value))
    return pd.DataFrame(out, columns=list(RESULT))


def _pandas_params(params: pd.DataFrame) -> pd.DataFrame:
    """The rules as columns to merge: flags as bools (null: off), days as floats (NaN: not given), percents as
    integer ten-thousandths (None: not given)."""
    rules = pd.DataFrame({"facility_id": params["facility_id"]})
    for name in RULE_FLAGS:
        rules[f"r_{name}"] = params[name].fillna(False).astype(bool)
    for name in RULE_DAYS:
        rules[name] = pd.to_numeric(params[name]).astype("float64")
    for name in RULE_PERCENTS:
        short = name.removesuffix("_percent")
        rules[f"{short}_p"] = [None if pd.isna(v) else int(Decimal(str(v)) * _PERCENT_SCALE) for v in params[name]]
    rules["cross_on"] = rules["cross_p"].notna()
    return rules


def _flag(invoices: pd.DataFrame, name: str) -> pd.Series | bool:
    if name not in invoices:
        return False
    return invoices[name].fillna(False).astype(bool)


def _cents(money: pd.Series) -> np.ndarray:
    """Exact int64 cents from a decimal column (Arrow decimal or Decimal objects); floats are refused."""
    if isinstance(money.dtype, pd.ArrowDtype):
        array = pa.chunked_array(money.array._pa_array)
    elif money.dtype == object:
        array = pa.chunked_array([pa.array(money.tolist(), MONEY)])
    else:
        raise TypeError(f"money must be decimal, not {money.dtype}")
    if array.null_count:
        raise ValueError("an amount is missing")
    array = array.cast(MONEY)  # exact, or refused (more than two decimals, too large)
    parts = []
    for chunk in array.chunks:
        words = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[2 * chunk.offset: 2 * (chunk.offset + len(chunk))]
        low, high = words[0::2], words[1::2]
        if not np.array_equal(high, low >> 63):
            raise OverflowError("an amount does not fit in int64 cents")
        parts.append(low)
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _at_least_share(part: pd.Series, whole: pd.Series, percent: pd.Series) -> pd.Series:
    """part / whole >= percent / 100, exactly: part * 100 * 10^4 >= percent_ten_thousandths * whole."""
    p = percent.where(percent.notna(), 0).astype(np.int64)
    if int(whole.abs().max() if len(whole) else 0) < 9 * 10**12:     # both products stay below 2^63
        return (part * _OF_PERCENT) >= (p * whole)
    return pd.Series([int(a) * _OF_PERCENT >= int(q) * int(b) for a, b, q in zip(part, whole, p)], index=part.index)


def _percent_of(cents: int, percent_ten_thousandths: int) -> int:
    """percent% of an amount in cents, rounded half-up (half away from zero) to the cent."""
    numerator = abs(cents) * int(percent_ten_thousandths)
    rounded = (2 * numerator + _OF_PERCENT) // (2 * _OF_PERCENT)
    return rounded if cents >= 0 else -rounded


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# --- DuckDB SQL ---------------------------------------------------------------------------------------------

SQL = """
WITH rules AS (
    SELECT facility_id,
           coalesce(affiliates, false) AS r_affiliates, coalesce("foreign", false) AS r_foreign,
           coalesce(government, false) AS r_government, coalesce(disputed, false) AS r_disputed,
           coalesce(bill_and_hold, false) AS r_bill_and_hold, coalesce(consignment, false) AS r_consignment,
           coalesce(progress_billing, false) AS r_progress_billing, coalesce(contra, false) AS r_contra,
           coalesce(CAST($as_of AS DATE) - aging_invoice_days, DATE '0001-01-01') AS aging_invoice_before,
           coalesce(CAST($as_of AS DATE) - aging_due_days, DATE '0001-01-01') AS aging_due_before,
           coalesce(CAST($as_of AS DATE) - credit_invoice_days, DATE '0001-01-01') AS credit_invoice_before,
           coalesce(CAST($as_of AS DATE) - credit_due_days, DATE '0001-01-01') AS credit_due_before,
           coalesce(CAST($as_of AS DATE) - cross_invoice_days, DATE '0001-01-01') AS cross_invoice_before,
           coalesce(CAST($as_of AS DATE) - cross_due_days, DATE '0001-01-01') AS cross_due_before,
           cross_percent, concentration_percent, dilution_percent, advance_percent
    FROM params
),
categorized AS (    -- rule 1: the first category that applies, in order (0: none); old for rules 2 and 3.
                    -- "More than N days" old: dated before as_of - N (no N: before the first day)
    SELECT i.facility_id, i.debtor_id, i.amount, i.payable_to_debtor AS payable,
           CASE WHEN r_affiliates AND i.affiliate THEN 1
                WHEN r_foreign AND i."foreign" AND NOT coalesce(i.insured, false) THEN 2
                WHEN r_government AND i.government AND NOT coalesce(i.assigned, false) THEN 3
                WHEN r_disputed AND i.disputed THEN 4
                WHEN r_bill_and_hold AND i.bill_and_hold THEN 5
                WHEN r_consignment AND i.consignment THEN 6
                WHEN r_progress_billing AND i.progress_billing THEN 7
                WHEN i.invoice_date < aging_invoice_before OR i.due_date < aging_due_before THEN 8
                ELSE 0 END AS category,
           i.invoice_date < credit_invoice_before OR i.due_date < credit_due_before AS credit_old,
           i.invoice_date < cross_invoice_before OR i.due_date < cross_due_before AS cross_old
    FROM invoices i JOIN rules r USING (facility_id)
),
by_category AS (    -- rule 1's categories need only each facility's totals
    SELECT facility_id, category, sum(amount) AS amount FROM categorized GROUP BY facility_id, category
),
categories AS (
    SELECT facility_id, sum(amount) AS gross,
           coalesce(sum(amount) FILTER (WHERE category = 1), 0) AS affiliates,
           coalesce(sum(amount) FILTER (WHERE category = 2), 0) AS "foreign",
           coalesce(sum(amount) FILTER (WHERE category = 3), 0) AS government,
           coalesce(sum(amount) FILTER (WHERE category = 4), 0) AS disputed,
           coalesce(sum(amount) FILTER (WHERE category = 5), 0) AS bill_and_hold,
           coalesce(sum(amount) FILTER (WHERE category = 6), 0) AS consignment,
           coalesce(sum(amount) FILTER (WHERE category = 7), 0) AS progress_billing,
           coalesce(sum(amount) FILTER (WHERE category = 8), 0) AS aging
    FROM by_category
    GROUP BY facility_id
),
debtors AS (        -- what rules 2 to 5 read, per debtor
    SELECT facility_id, debtor_id,
           coalesce(sum(amount) FILTER (WHERE category = 0), 0) AS remaining,
           -- rule 2: credits in the aging category and older than the credit rule's days, added back
           coalesce(sum(-amount) FILTER (WHERE amount < 0 AND category = 8 AND credit_old), 0) AS credit_balances,
           coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS debits,
           coalesce(sum(amount) FILTER (WHERE amount > 0 AND cross_old), 0) AS aged_debits,
           coalesce(sum(payable), 0) AS payable
    FROM categorized
    GROUP BY facility_id, debtor_id
),
crossed AS (    -- rule 3: aged debits / debits at or above the percent (compared without division)
    SELECT d.*, r.r_contra, r.concentration_percent,
           d.remaining - d.credit_balances AS balance2,
           CASE WHEN r.cross_percent IS NOT NULL AND d.debits > 0
                     AND d.aged_debits * 100 >= r.cross_percent * d.debits
                     AND d.remaining - d.credit_balances > 0
                THEN d.remaining - d.credit_balances ELSE 0 END AS cross_aging
    FROM debtors d JOIN rules r USING (facility_id)
),
contra AS (     -- rule 4: the lesser of the balance (above zero) and the payable
    SELECT *,
           CASE WHEN r_contra AND balance2 - cross_aging > 0 AND payable > 0
                THEN least(balance2 - cross_aging, payable) ELSE 0 END AS contra
    FROM crossed
),
balances AS (   -- rule 5's T: the facility's total of balances after rules 1 to 4
    SELECT *, balance2 - cross_aging - contra AS balance4,
           sum(balance2 - cross_aging - contra) OVER (PARTITION BY facility_id) AS total
    FROM contra
),
concentrated AS (   -- rule 5: the balance above percent of T, T above zero, the cap rounded half-up
    SELECT *,
           CASE WHEN concentration_percent IS NOT NULL AND total > 0
                     AND balance4 > round(total * concentration_percent * 0.01, 2)
                THEN balance4 - round(total * concentration_percent * 0.01, 2) ELSE 0 END AS concentration
    FROM balances
),
facilities AS (
    SELECT c.*, d.credit_balances, d.cross_aging, d.contra, d.concentration
    FROM categories c
    JOIN (SELECT facility_id, sum(credit_balances) AS credit_balances, sum(cross_aging) AS cross_aging,
                 sum(contra) AS contra, sum(concentration) AS concentration
          FROM concentrated GROUP BY facility_id) d USING (facility_id)
),
eligible AS (   -- rule 6, then rule 7
    SELECT f.*, r.dilution_percent, r.advance_percent,
           f.gross - (f.affiliates + f."foreign" + f.government + f.disputed + f.bill_and_hold + f.consignment
                      + f.progress_billing + f.aging + f.credit_balances + f.cross_aging + f.contra
                      + f.concentration) AS eligible
    FROM facilities f JOIN rules r USING (facility_id)
),
diluted AS (
    SELECT *, CASE WHEN eligible > 0 THEN coalesce(round(eligible * dilution_percent * 0.01, 2), 0) ELSE 0 END
              AS dilution
    FROM eligible
)
SELECT facility_id,
       CAST(gross AS DECIMAL(18, 2)) AS gross,
       CAST(affiliates AS DECIMAL(18, 2)) AS affiliates,
       CAST("foreign" AS DECIMAL(18, 2)) AS "foreign",
       CAST(government AS DECIMAL(18, 2)) AS government,
       CAST(disputed AS DECIMAL(18, 2)) AS disputed,
       CAST(bill_and_hold AS DECIMAL(18, 2)) AS bill_and_hold,
       CAST(consignment AS DECIMAL(18, 2)) AS consignment,
       CAST(progress_billing AS DECIMAL(18, 2)) AS progress_billing,
       CAST(aging AS DECIMAL(18, 2)) AS aging,
       CAST(credit_balances AS DECIMAL(18, 2)) AS credit_balances,
       CAST(cross_aging AS DECIMAL(18, 2)) AS cross_aging,
       CAST(contra AS DECIMAL(18, 2)) AS contra,
       CAST(concentration AS DECIMAL(18, 2)) AS concentration,
       CAST(eligible AS DECIMAL(18, 2)) AS eligible,
       CAST(dilution AS DECIMAL(18, 2)) AS dilution,
       -- rule 8: (eligible - dilution) x advance rate (none: 100%), rounded half-up, never below zero
       CAST(greatest(coalesce(round((eligible - dilution) * advance_percent * 0.01, 2), eligible - dilution), 0)
            AS DECIMAL(18, 2)) AS value
FROM diluted
ORDER BY facility_id
"""


def duckdb_sql(con, as_of: dt.date) -> pa.Table:
    """`SQL` on a DuckDB connection where `invoices` and `params` are tables or views."""
    return con.sql(SQL, params={"as_of": as_of}).to_arrow_table()
