"""Column types that keep money exact and times in UTC on both databases.

SQLite has no exact decimal type (SQLAlchemy's Numeric there goes through a float), so money is kept
as its decimal text; PostgreSQL keeps NUMERIC. SQLite keeps no time zone, so times are written in UTC
and read back as UTC.
"""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator


class Money(TypeDecorator):
    """An amount in dollars and cents: NUMERIC(20, 2) in PostgreSQL, its decimal text in SQLite."""

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(20, 2, asdecimal=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal) or value != value.quantize(Decimal("0.01")):
            raise TypeError(f"money is a Decimal in cents, got {value!r}")
        return value if dialect.name == "postgresql" else f"{value:.2f}"

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value) if isinstance(value, str) else value


class UTCTime(TypeDecorator):
    """A moment, always with its zone: written in UTC, read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise TypeError(f"a stored time carries its zone, got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
