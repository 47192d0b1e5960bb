"""Every facility's balances at the end of a day from a few queries over the events table, instead of parsing and
replaying each record in Python: the book's inputs in bulk.

A record whose events are all balance events (opening balances, advances, repayments, borrowing base reports of
values, contingents opened and closed), none correcting another, is fully said by three aggregates over its rows
up to the day, as its replay (`engine/ledger.py`) would leave them:

- principal by tranche: opening balances and advances less repayments, and repayments to date (exact: NUMERIC on
  PostgreSQL; integer cents on SQLite, which has no exact decimal type);
- each collateral class's report in force: the last of the day or before (a day's events in the order recorded);
- the contingents open: each issued, not closed by a later event of the day or before.

Every other event type moves something these cannot hold (payments, deliveries, defaults, rates, measures,
corrections): a record with one is not expressed here, and the caller replays it (`unexpressed` says why). So is
a record with a principal amount written otherwise than plainly (1500000.00, not $1,500,000.00): the aggregate sums
only plain digits.
The store has checked every record when it was written (each append is replayed with the whole record), so the
aggregate sums what is already known to replay.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, text

from ..core.money import parse_money
from ..engine.ledger import Contingent, Ledger, Reported, balances_ledger

BALANCE_EVENTS = ("opening_balance", "advance", "repayment", "borrowing_base_report", "contingent_issued",
                  "contingent_closed")
_PRINCIPAL_EVENTS = ("opening_balance", "advance", "repayment")
_IN = lambda types: "(" + ", ".join(f"'{t}'" for t in types) + ")"  # noqa: E731  (constants of this module only)


@dataclass(frozen=True)
class DayBalances:
    """The book's balances on a day: a ledger for each facility the aggregate expresses, and why for the others."""

    day: date
    ledgers: dict[str, Ledger]
    unexpressed: dict[str, str]


@dataclass(frozen=True)
class _Dialect:
    """The few expressions the two databases write differently. `doc` is the body as a JSON document; `get(f)`
    a field as JSON, `name(f)` a text field as text, `amount(f)` a money field's digits as text, `plain(a)`
    whether those digits are a plain amount, `exact(a)` the amount as the database's exact number."""

    doc: str
    get: str
    name: str
    amount: str
    plain: str
    exact: str
    values: str      # FROM-clause item v: each key of the body's `values` mapping ...
    value_text: str  # ... and its value as JSON text (a number's exact digits, or a quoted string)
    contains: str    # whether the body's text contains {t}


_SQLITE = _Dialect(
    doc="body",
    get="(j -> '$.{f}')",
    name="(j ->> '$.{f}')",
    amount="trim(j -> '$.{f}', '\"')",
    # digits, then at most one point and one or two places; at most 18 characters (integer cents fit 64 bits)
    plain="({a} GLOB '[0-9]*' AND {a} NOT GLOB '*[^0-9.]*' AND length({a}) <= 18 AND (instr({a}, '.') = 0 OR "
          "(length({a}) - instr({a}, '.') IN (1, 2) AND instr(substr({a}, instr({a}, '.') + 1), '.') = 0)))",
    exact="CAST(CASE WHEN instr({a}, '.') = 0 THEN {a} || '00' WHEN length({a}) - instr({a}, '.') = 1 "
          "THEN replace({a}, '.', '') || '0' ELSE replace({a}, '.', '') END AS INTEGER)",
    values="json_each(e.j, '$.values') v",
    value_text="(e.j -> v.fullkey)",
    contains="instr(body, '{t}') > 0",
)
_POSTGRESQL = _Dialect(
    doc="CAST(body AS jsonb)",
    get="(j -> '{f}')",
    name="(j ->> '{f}')",
    amount="(j ->> '{f}')",
    plain="({a} ~ '^[0-9]{{1,15}}(\\.[0-9]{{1,2}})?$')",
    exact="CAST({a} AS NUMERIC)",
    values="jsonb_each(e.j -> 'values') v",
    value_text="CAST(v.value AS TEXT)",
    contains="strpos(body, '{t}') > 0",
)


def balances_on(connection: Connection, day: date) -> DayBalances:
    """Every stored facility's balances at the end of `day` (one reading transaction: one state of the store)."""
    d = _POSTGRESQL if connection.dialect.name == "postgresql" else _SQLITE
    on = {"day": day if d is _POSTGRESQL else day.isoformat()}  # SQLite keeps a date as its ISO text
    rows = f"(SELECT facility_id, seq, type, effective, {d.doc} AS j FROM events)"
    amount = d.amount.format(f="amount")
    unexpressed: dict[str, str] = {}
    # a key "supersedes" is found in the text (inside a string its quotes would be escaped): no JSON to parse
    for facility, why in connection.execute(text(
            f"SELECT facility_id, min(why) FROM (SELECT facility_id, CASE"
            f" WHEN type NOT IN {_IN(BALANCE_EVENTS)} THEN type || ' events'"
            f" WHEN {d.contains.format(t=chr(34) + 'supersedes' + chr(34) + ':')} THEN 'corrections'"
            f" WHEN type = 'advance' AND {d.get.format(f='loan')} IS NULL THEN 'an advance that names no tranche'"
            f" WHEN type = 'borrowing_base_report' AND ({d.get.format(f='values')} IS NULL"
            f"  OR {d.get.format(f='measures')} IS NOT NULL) THEN 'a report of receivables_borrowing_base or measures'"
            f" END AS why FROM (SELECT facility_id, type, body, {d.doc} AS j FROM events) e) found"
            f" WHERE why IS NOT NULL GROUP BY facility_id")):
        unexpressed[facility] = why
    loans: dict[str, dict[str, Decimal]] = {}
    repaid: dict[str, dict[str, Decimal]] = {}
    for facility, tranche, principal, repayments, unread, repayments_made in connection.execute(text(
            f"WITH moves AS MATERIALIZED (SELECT facility_id, type, {d.name.format(f='loan')} AS loan,"
            f"  {amount} AS amount FROM {rows} e WHERE type IN {_IN(_PRINCIPAL_EVENTS)} AND effective <= :day),"
            f" exact AS MATERIALIZED (SELECT facility_id, type, loan,"
            f"  CASE WHEN {d.plain.format(a='amount')} THEN {d.exact.format(a='amount')} END AS amount FROM moves)"
            f" SELECT facility_id, loan, sum(CASE WHEN type = 'repayment' THEN -amount ELSE amount END),"
            f" sum(CASE WHEN type = 'repayment' THEN amount ELSE 0 END), count(*) - count(amount),"
            f" sum(CASE WHEN type = 'repayment' THEN 1 ELSE 0 END) FROM exact GROUP BY facility_id, loan"), on):
        if unread:
            unexpressed.setdefault(facility, "an amount not written plainly")
        if facility not in unexpressed:
            loans.setdefault(facility, {})[tranche] = _exact(principal, d)
            if repayments_made:  # as the replay: a tranche has repayments to date once one is made
                repaid.setdefault(facility, {})[tranche] = _exact(repayments, d)
    collateral: dict[str, dict[str, Reported]] = {}
    for facility, name, value, effective, seq in connection.execute(text(
            f"SELECT facility_id, name, value, effective, seq FROM (SELECT e.facility_id, v.key AS name,"
            f" {d.value_text} AS value, e.effective, e.seq, row_number() OVER (PARTITION BY e.facility_id, v.key"
            f"  ORDER BY e.effective DESC, e.seq DESC) AS latest"
            f" FROM {rows} e, {d.values} WHERE e.type = 'borrowing_base_report' AND e.effective <= :day) reports"
            f" WHERE latest = 1"), on):
        collateral.setdefault(facility, {})[name] = Reported(_money(value), _where(facility, seq),
                                                             _day(effective))
    contingents: dict[str, list[Contingent]] = {}
    for facility, contingent_id, kind, value, effective, seq in connection.execute(text(
            f"WITH issued AS (SELECT facility_id, seq, effective, {d.name.format(f='id')} AS id,"
            f"  {d.name.format(f='kind')} AS kind, CAST({d.get.format(f='amount')} AS TEXT) AS amount FROM {rows} e"
            f"  WHERE type = 'contingent_issued' AND effective <= :day),"
            f" closed AS (SELECT facility_id, seq, effective, {d.name.format(f='id')} AS id FROM {rows} e"
            f"  WHERE type = 'contingent_closed' AND effective <= :day)"
            f" SELECT i.facility_id, i.id, i.kind, i.amount, i.effective, i.seq FROM issued i WHERE NOT EXISTS"
            f" (SELECT 1 FROM closed c WHERE c.facility_id = i.facility_id AND c.id = i.id"
            f"  AND (c.effective > i.effective OR (c.effective = i.effective AND c.seq > i.seq)))"
            f" ORDER BY i.facility_id, i.effective, i.seq"), on):
        contingents.setdefault(facility, []).append(
            Contingent(contingent_id, kind, _money(value), _day(effective), _where(facility, seq)))
    everyone = [row[0] for row in connection.execute(text("SELECT id FROM facilities ORDER BY id"))]
    ledgers = {facility: balances_ledger(day, loans.get(facility, {}), repaid.get(facility, {}),
                                         collateral.get(facility, {}), tuple(contingents.get(facility, ())))
               for facility in everyone if facility not in unexpressed}
    return DayBalances(day, ledgers, unexpressed)


_JSON = json.JSONDecoder(parse_float=Decimal)


def _money(value: str) -> Decimal:
    """A value as the body gives it (its JSON text: a quoted string, or a number's digits), read by the parser's own
    rule for money: the same Decimal the replay holds."""
    return parse_money(_JSON.decode(value))


def _exact(value, d: _Dialect) -> Decimal:
    """An aggregate's exact number: NUMERIC (PostgreSQL), or integer cents (SQLite)."""
    return Decimal(value) if d is _POSTGRESQL else Decimal(int(value)).scaleb(-2)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _where(facility: str, seq: int) -> str:
    """Where the replay says a value came from: the stored event, by its place in the record."""
    return f"store:{facility}/events: event {seq}"
