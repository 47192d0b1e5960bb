"""Every facility's balances at the end of a day from a few queries over the events table, instead of parsing and
replaying each record in Python: the book's inputs in bulk.

A record whose events are all balance events (opening balances, advances, repayments, borrowing base reports of
values, contingents opened and closed), none correcting another, is fully said by three aggregates over its rows
up to the day, as its replay (`engine/ledger.py`) would leave them:

- principal by tranche: opening balances and advances less repayments, and repayments to date (exact: sums of
  integer cents, the `cents` column the database computes from each body: event_fields.py);
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
from .event_fields import PRINCIPAL_EVENTS

BALANCE_EVENTS = ("opening_balance", "advance", "repayment", "borrowing_base_report", "contingent_issued",
                  "contingent_closed")
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
    a field as JSON, `name(f)` a text field as text; `values` and `value_text` each key of a report's `values` and
    its value; `contains` a test of the body's text. A principal amount is the `cents` column (event_fields.py)."""

    doc: str
    get: str
    name: str
    values: str      # FROM-clause item v: each key of the body's `values` mapping ...
    value_text: str  # ... and its value as JSON text (a number's exact digits, or a quoted string)
    contains: str    # whether the body's text contains {t}
    settings: tuple[str, ...] = ()  # for this transaction's queries


_SQLITE = _Dialect(
    doc="body",  # SQLite's JSON functions read the text itself
    get="(j -> '$.{f}')",
    name="(j ->> '$.{f}')",
    values="json_each(e.j, '$.values') v",
    value_text="(e.j -> v.fullkey)",
    contains="instr(body, '{t}') > 0",
)
_POSTGRESQL = _Dialect(
    doc="doc",  # jsonb, computed from the body when the row was written (event_fields.py)
    get="(j -> '{f}')",
    name="(j ->> '{f}')",
    values="jsonb_each(e.j -> 'values') v",
    value_text="CAST(v.value AS TEXT)",
    contains="strpos(body, '{t}') > 0",
    # a few scans of the whole table, each short: compiling them to machine code (JIT) took longer than running
    # them (the reports' query: 0.87 s of 0.99 s on 668,153 events); memory enough to group by hashing, not sorting
    settings=("SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'"),
)


def balances_on(connection: Connection, day: date) -> DayBalances:
    """Every stored facility's balances at the end of `day` (one reading transaction: one state of the store)."""
    d = _POSTGRESQL if connection.dialect.name == "postgresql" else _SQLITE
    for setting in d.settings:
        connection.execute(text(setting))
    on = {"day": day if d is _POSTGRESQL else day.isoformat()}  # SQLite keeps a date as its ISO text
    rows = f"(SELECT facility_id, seq, type, effective, {d.doc} AS j FROM events)"
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
            f"SELECT facility_id, loan, sum(CASE WHEN type = 'repayment' THEN -cents ELSE cents END),"
            f" sum(CASE WHEN type = 'repayment' THEN cents ELSE 0 END), count(*) - count(cents),"
            f" sum(CASE WHEN type = 'repayment' THEN 1 ELSE 0 END) FROM events"
            f" WHERE type IN {_IN(PRINCIPAL_EVENTS)} AND effective <= :day GROUP BY facility_id, loan"), on):
        if unread:
            unexpressed.setdefault(facility, "an amount not written plainly")
        if facility not in unexpressed:
            loans.setdefault(facility, {})[tranche] = _dollars(principal)
            if repayments_made:  # as the replay: a tranche has repayments to date once one is made
                repaid.setdefault(facility, {})[tranche] = _dollars(repayments)
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


def _dollars(cents) -> Decimal:
    """A sum of the `cents` column (an integer; NUMERIC in PostgreSQL, whose sum of BIGINT is) as dollars."""
    return Decimal(int(cents)).scaleb(-2)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _where(facility: str, seq: int) -> str:
    """Where the replay says a value came from: the stored event, by its place in the record."""
    return f"store:{facility}/events: event {seq}"
