"""What the database computes from an event's body when the row is written: the fields the book's aggregate
(balances.py) reads of every event, so that it groups columns instead of parsing 668,153 JSON texts per query.

Both databases store `loan` and `cents` (generated STORED columns: computed once, when the row is inserted), so
the aggregate sums columns; PostgreSQL stores `doc` too (jsonb: parsed once), while SQLite's aggregate reads the
body's text itself (its JSON functions parse text), so its `doc` is computed only if read. Each is SQL of one
database: the expressions below are the columns' definitions (schema.events and the migration that added them).

- `doc`: the body as the database's JSON (jsonb in PostgreSQL).
- `loan`: the body's `loan` (the tranche of an advance, a repayment or an opening balance).
- `cents`: the amount of an opening balance, an advance or a repayment in whole cents, where it is written plainly
  (1500000.00, not $1,500,000.00: at most 15 digits, then at most two places); else NULL, and the aggregate
  leaves that record to the replay. Integer cents are exact on both databases (SQLite has no exact decimal).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Computed, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeDecorator

PRINCIPAL_EVENTS = ("opening_balance", "advance", "repayment")
_PRINCIPAL = "type IN (" + ", ".join(f"'{t}'" for t in PRINCIPAL_EVENTS) + ")"

_PG_AMOUNT = "(CAST(body AS jsonb) ->> 'amount')"
_SQLITE_AMOUNT = "trim(body -> '$.amount', '\"')"


def _sqlite_cents(a: str) -> str:
    """SQLite's whole cents of an amount's text `a` where it is plain (digits, then at most one point and one or
    two places; at most 18 characters), else NULL."""
    plain = (f"{a} GLOB '[0-9]*' AND {a} NOT GLOB '*[^0-9.]*' AND length({a}) <= 18 AND (instr({a}, '.') = 0 OR"
             f" (length({a}) - instr({a}, '.') IN (1, 2) AND instr(substr({a}, instr({a}, '.') + 1), '.') = 0))")
    cents = (f"CAST(CASE WHEN instr({a}, '.') = 0 THEN {a} || '00' WHEN length({a}) - instr({a}, '.') = 1"
             f" THEN replace({a}, '.', '') || '0' ELSE replace({a}, '.', '') END AS INTEGER)")
    return f"CASE WHEN {plain} THEN {cents} END"


# (PostgreSQL, SQLite) for each generated column
DOC = ("CAST(body AS jsonb)", "json(body)")
LOAN = ("(CAST(body AS jsonb) ->> 'loan')", "(body ->> '$.loan')")
CENTS = (f"CASE WHEN {_PRINCIPAL} AND {_PG_AMOUNT} ~ '^[0-9]{{1,15}}(\\.[0-9]{{1,2}})?$'"
         f" THEN CAST(CAST({_PG_AMOUNT} AS NUMERIC) * 100 AS BIGINT) END",
         f"CASE WHEN {_PRINCIPAL} THEN {_sqlite_cents(_SQLITE_AMOUNT)} END")


class Document(TypeDecorator):
    """A JSON document: jsonb in PostgreSQL; its text in SQLite, whose JSON functions read text."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(Text())


class FromBody(ColumnElement):
    """A generated column's expression, written for each database: `sql` is (PostgreSQL, SQLite)."""

    inherit_cache = False  # only ever rendered in DDL

    def __init__(self, sql: tuple[str, str]):
        self.sql = sql


@compiles(FromBody, "postgresql")
def _postgresql(element: FromBody, compiler, **kw) -> str:
    return element.sql[0]


@compiles(FromBody)
def _sqlite(element: FromBody, compiler, **kw) -> str:
    return element.sql[1]


def columns(dialect: str | None = None) -> list:
    """The generated columns, as schema.events declares them and the migration adds them to `dialect`'s table."""
    return [Column("doc", Document, Computed(FromBody(DOC), persisted=True if dialect == "postgresql" else None)),
            Column("loan", Text, Computed(FromBody(LOAN), persisted=True)),
            Column("cents", BigInteger, Computed(FromBody(CENTS), persisted=True))]
