"""The tables. Rows of `events` are only ever inserted: a correction is a new row (`supersedes` in its body).

`facilities.head_seq` and `head_hash` close each facility's hash chain, so that a row deleted from the
end is noticed as surely as a row changed in the middle; the facility row is also what a writer locks.
"""
from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from . import event_fields
from .columns import Money, UTCTime

metadata = MetaData()

facilities = Table(
    "facilities", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("imported_at", UTCTime, nullable=False),
    Column("imported_from", Text, nullable=False),
    Column("files_hash", String(64), nullable=False),   # the digest of every stored file: the chain's start
    Column("imported_events", Integer, nullable=False),  # events.yaml's events: the first rows
    Column("head_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
)

facility_files = Table(
    "facility_files", metadata,
    Column("facility_id", String(64), ForeignKey("facilities.id"), primary_key=True),
    Column("path", String(512), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
)

# a stored YAML file as read (core/yamlform.py): derived from facility_files, never part of the record
yaml_forms = Table(
    "yaml_forms", metadata,
    Column("sha256", String(64), primary_key=True),       # of the file's text
    Column("code", String(64), primary_key=True),         # the reading code's digest (yamlform.code)
    Column("form", Text, nullable=False),
)

# an agreement's check outcome (agreement/gate.py): derived from facility_files, never part of the record
check_outcomes = Table(
    "check_outcomes", metadata,
    Column("fingerprint", String(64), primary_key=True),  # of the files the agreement was read from
    Column("code", String(64), primary_key=True),         # the checking code's digest (gate.code)
    Column("differences", Integer, nullable=False),
    Column("first", Text, nullable=True),                 # "clause: message" of the first difference
)

events = Table(
    "events", metadata,
    Column("facility_id", String(64), ForeignKey("facilities.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),            # 1, 2, ... in the order recorded
    Column("key", String(120), nullable=False),
    Column("type", String(40), nullable=False),
    Column("effective", Date, nullable=False),
    Column("recorded_at", UTCTime, nullable=True),       # null: an imported event without one (end of its day)
    Column("recorded_by", String(120), nullable=False),
    Column("body", Text, nullable=False),                 # the event as given, canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("facility_id", "key", name="uq_events_key"),
    *event_fields.columns(),  # doc, loan, cents: computed by the database from the body (event_fields.py)
)

users = Table(
    "users", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("token_hash", Text, nullable=False),            # argon2; the token itself is never kept
    Column("created_at", UTCTime, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("password_hash", Text, nullable=True),          # argon2; none until `loanbook users passwd`
    Column("calendar_hash", String(64), nullable=True),    # SHA-256 of the calendar feed's secret; none until made
    Column("calendar_made_at", UTCTime, nullable=True),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),       # SHA-256 of the cookie's value, never the value
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),            # the token every form of the session carries
    Column("created_at", UTCTime, nullable=False),
    Column("expires_at", UTCTime, nullable=False),
)

user_facilities = Table(
    "user_facilities", metadata,
    Column("user_id", String(32), ForeignKey("users.id"), primary_key=True),
    Column("facility_id", String(64), ForeignKey("facilities.id"), primary_key=True),
    Column("party", String(64), nullable=True),          # a lender's party in the facility
)

idempotency = Table(
    "idempotency", metadata,
    Column("user_id", String(32), ForeignKey("users.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", UTCTime, nullable=False),
)

advance_requests = Table(
    "advance_requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("facility_id", String(64), ForeignKey("facilities.id"), nullable=False, index=True),
    Column("tranche", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("amount", Money, nullable=False),
    Column("requested_by", String(120), nullable=False),
    Column("requested_at", UTCTime, nullable=False),
    Column("judgement", String(40), nullable=False),      # the engine's decision (Decision.decision)
    Column("reasons", Text, nullable=False),              # JSON: the engine's reasons, codes and facts (older: words)
    Column("status", String(16), nullable=False),         # pending | approved | declined
    Column("decided_by", String(120), nullable=True),
    Column("decided_at", UTCTime, nullable=True),
    Column("event_key", String(120), nullable=True),      # the advance event recorded on approval
)
