"""Who may do what: users, their role and their facilities, and the tokens and passwords they present.

A token is shown once, when the user is added (or rotated); the store keeps only its argon2 hash. A token
names its user (`lb_<user id>_<secret>`), so checking one reads one row; a token verified once is
remembered (by its SHA-256, never the token) with the hash it matched, so a busy client is not slowed by
argon2 on every request, yet a rotated token or a revoked user is refused at once: the row read on every
request no longer holds that hash, or is no longer active. A password (for the web app's log-in) is
optional and kept as an argon2 hash too. The secret in a user's calendar feed URL is kept as its SHA-256.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Row, delete, insert, select, update

from ..core.cache import KeyedLocks
from ..core.errors import InputError, Problem
from . import schema
from .store import NotStored, Store

ROLES = ("agent", "lender", "borrower")
_HASHER = PasswordHasher()
MIN_PASSWORD = 10  # characters


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    facilities: dict[str, str | None] = field(default_factory=dict)  # facility -> the lender's party

    def may_read(self, facility_id: str) -> bool:
        return facility_id in self.facilities

    def party(self, facility_id: str) -> str | None:
        return self.facilities.get(facility_id)

    def parties_seen(self, facility_id: str) -> frozenset[str] | None:
        """The Lenders whose shares the user may see: the Agent every Lender's (None), a lender its own, the
        borrower none (the split is the Lenders' business)."""
        if self.role == "agent":
            return None
        party = self.party(facility_id)
        return frozenset({party} if self.role == "lender" and party else ())

    def lenders_seen(self, facility_id: str, rows: list[dict]) -> list[dict]:
        """The rows of the Lenders' shares the user may see (`parties_seen`)."""
        seen = self.parties_seen(facility_id)
        return [row for row in rows if seen is None or row["party"] in seen]

    def shown(self, facility: dict) -> dict:
        """A stored facility as the user may see it: where it was imported from is the Agent's business."""
        return facility if self.role == "agent" else {k: v for k, v in facility.items() if k != "imported_from"}

    def may_skip_check(self) -> bool:
        """Only the Agent may ask for figures from terms that fail `loanbook check` (`unchecked`)."""
        return self.role == "agent"

    def refusal_to_record(self, rows: list) -> str | None:
        """Why the user may not record these events, or None: a borrower records its borrowing base reports only
        (`borrower_refusals`); whether the user may record at all is the route's to say."""
        return borrower_refusals(rows) if self.role == "borrower" else None


def add_user(store: Store, name: str, role: str, facilities: list[str], party: str | None = None
             ) -> tuple[User, str]:
    """Add a user; returns the user and the token (shown once, never stored)."""
    problems = []
    if not name or len(name) > 120 or not name.isprintable():
        problems.append(Problem("users add", None, "NAME", "a user's name is 1 to 120 printable characters"))
    if role not in ROLES:
        problems.append(Problem("users add", None, "--role", f"unknown role {role!r}; one of: {', '.join(ROLES)}"))
    if not facilities:
        problems.append(Problem("users add", None, "--facility", "name at least one facility"))
    parties: dict[str, str | None] = {}
    for facility_id in facilities:
        try:
            agreement = store.agreement(facility_id)
        except NotStored as exc:
            problems.append(Problem("users add", None, "--facility", str(exc)))
            continue
        lenders = [lender.party for lender in agreement.lenders]
        if role == "lender":
            if party not in lenders:
                problems.append(Problem("users add", None, "--party",
                                        f"a lender names its party in {facility_id}: one of {', '.join(lenders)}"))
            parties[facility_id] = party
        else:
            parties[facility_id] = None
    if role != "lender" and party is not None:
        problems.append(Problem("users add", None, "--party", "only a lender has a party"))
    if problems:
        raise InputError(problems)
    user_id = secrets.token_hex(8)
    token = _new_token(user_id)
    with store.writing() as connection:
        if connection.execute(select(schema.users.c.id).where(schema.users.c.name == name)).first():
            raise InputError([Problem("users add", None, "NAME", f"a user named {name!r} already exists")])
        connection.execute(insert(schema.users).values(id=user_id, name=name, role=role,
                                                       token_hash=_HASHER.hash(token),
                                                       created_at=datetime.now(UTC), active=True))
        connection.execute(insert(schema.user_facilities), [
            {"user_id": user_id, "facility_id": f, "party": p} for f, p in parties.items()])
    return User(user_id, name, role, parties), token


def list_users(store: Store) -> list[User]:
    with store.reading() as connection:
        users = connection.execute(select(schema.users).order_by(schema.users.c.name)).all()
        links = connection.execute(select(schema.user_facilities)).all()
    held: dict[str, dict[str, str | None]] = {}
    for link in links:
        held.setdefault(link.user_id, {})[link.facility_id] = link.party
    return [User(u.id, u.name, u.role, held.get(u.id, {})) for u in users if u.active]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _new_token(user_id: str) -> str:
    return f"lb_{user_id}_{secrets.token_urlsafe(32)}"


def user_by_id(connection: Connection, user_id: str) -> tuple[Row, User] | None:
    """An active user's row and the user, with its facilities; None for a user revoked or unknown."""
    row = connection.execute(select(schema.users).where(schema.users.c.id == user_id)).first()
    if row is None or not row.active:
        return None
    links = connection.execute(select(schema.user_facilities).where(
        schema.user_facilities.c.user_id == user_id)).all()
    return row, User(row.id, row.name, row.role, {link.facility_id: link.party for link in links})


def _active_row(connection: Connection, name: str, what: str):
    row = connection.execute(select(schema.users).where(schema.users.c.name == name)).first()
    if row is None or not row.active:
        raise InputError([Problem(what, None, "NAME", f"no active user named {name!r}")])
    return row


def set_password(store: Store, name: str, password: str) -> None:
    """Set a user's password for the web app's log-in (argon2; the password itself is never kept)."""
    if len(password) < MIN_PASSWORD or len(password) > 1000 or not password.isprintable():
        raise InputError([Problem("users passwd", None, "password",
                                  f"a password is {MIN_PASSWORD} to 1000 printable characters")])
    with store.writing() as connection:
        row = _active_row(connection, name, "users passwd")
        connection.execute(update(schema.users).where(schema.users.c.id == row.id)
                           .values(password_hash=_HASHER.hash(password)))


def revoke(store: Store, name: str) -> None:
    """Shut a user out at once: its token and password are refused from the next request, its sessions end."""
    with store.writing() as connection:
        row = _active_row(connection, name, "users revoke")
        connection.execute(update(schema.users).where(schema.users.c.id == row.id).values(active=False))
        connection.execute(delete(schema.web_sessions).where(schema.web_sessions.c.user_id == row.id))


def rotate(store: Store, name: str) -> str:
    """A new token for a user (returned, shown once); the old one is refused from the next request, and the
    user's web sessions end (one may have been opened with the old token)."""
    with store.writing() as connection:
        row = _active_row(connection, name, "users rotate")
        token = _new_token(row.id)
        connection.execute(update(schema.users).where(schema.users.c.id == row.id)
                           .values(token_hash=_HASHER.hash(token)))
        connection.execute(delete(schema.web_sessions).where(schema.web_sessions.c.user_id == row.id))
    return token


def new_calendar_secret(store: Store, user_id: str) -> str:
    """A new secret for the user's calendar feed (returned, shown once); the feed's old URL is refused from the
    next request. The store keeps the secret's SHA-256 only: a random 256-bit secret needs no slow hash, and a
    calendar app polling the feed costs one row read."""
    secret = secrets.token_urlsafe(32)
    with store.writing() as connection:
        if user_by_id(connection, user_id) is None:
            raise InputError([Problem("calendar", None, "user", f"no active user with id {user_id!r}")])
        connection.execute(update(schema.users).where(schema.users.c.id == user_id)
                           .values(calendar_hash=_digest(secret), calendar_made_at=datetime.now(UTC)))
    return secret


def calendar_made_at(store: Store, user_id: str) -> datetime | None:
    """When the user's calendar feed secret was made, or None if it has none."""
    with store.reading() as connection:
        return connection.execute(select(schema.users.c.calendar_made_at)
                                  .where(schema.users.c.id == user_id)).scalar()


def by_calendar_secret(store: Store, user_id: str, secret: str) -> User | None:
    """The active user whose calendar feed this secret opens, or None (unknown, revoked, no feed, or wrong)."""
    if not secret or len(secret) > 200:
        return None
    with store.reading() as connection:
        found = user_by_id(connection, user_id)
    if found is None or found[0].calendar_hash is None:
        return None
    return found[1] if hmac.compare_digest(found[0].calendar_hash, _digest(secret)) else None


def by_password(store: Store, name: str, password: str) -> User | None:
    """The user whose name and password these are, or None (unknown, revoked, no password set, or wrong)."""
    with store.reading() as connection:
        row = connection.execute(select(schema.users.c.id).where(schema.users.c.name == name)).first()
        found = user_by_id(connection, row.id) if row is not None else None
    if found is None or found[0].password_hash is None:
        _HASHER.hash(password)  # as slow as a wrong password, so timing does not say which names exist
        return None
    try:
        _HASHER.verify(found[0].password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return found[1]


class Authenticator:
    """Token -> User: one row read per request; argon2 only for a token not seen with the row's hash."""

    def __init__(self, store: Store):
        self.store = store
        self._seen: dict[str, str] = {}  # the token's SHA-256 -> the argon2 hash it was verified against
        self._lock = threading.Lock()
        self._verifying = KeyedLocks()

    def user(self, token: str) -> User | None:
        parts = token.split("_")
        if len(parts) < 3 or parts[0] != "lb" or len(token) > 200:
            return None
        with self.store.reading() as connection:
            found = user_by_id(connection, parts[1])
        if found is None:
            return None
        row, user = found
        digest = _digest(token)
        with self._lock:
            if self._seen.get(digest) == row.token_hash:
                return user
        with self._verifying.hold(digest):  # a token's first requests at once: one argon2 verification
            with self._lock:
                if self._seen.get(digest) == row.token_hash:
                    return user
            try:
                _HASHER.verify(row.token_hash, token)
            except (VerificationError, InvalidHashError):
                return None
            with self._lock:
                if len(self._seen) > 10_000:
                    self._seen.clear()
                self._seen[digest] = row.token_hash
        return user


def borrower_refusals(rows: list) -> str | None:
    """Why a borrower may not record these events, or None. A borrower reports its borrowing base: collateral
    values, nothing else. Corrections (`supersedes`, voidings) and measures (reserves the Agent sets) are the
    Agent's, so a report can neither withdraw another event nor change a reserve."""
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or row.get("type") != "borrowing_base_report":
            kind = row.get("type") if isinstance(row, dict) else None
            return f"event {i}: a borrower records borrowing base reports only, not {kind}"
        for name in ("supersedes", "measures"):
            if name in row:
                return f"event {i}: a borrower's report gives no {name}: corrections and measures are the Agent's"
    return None
