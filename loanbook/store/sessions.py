"""The web app's sessions: a random cookie value names a row (by its SHA-256), which holds the user, the
session's CSRF token and when it expires. Kept in the store, so every server process answers the same
session, and a user revoked or rotated loses its sessions at once (`users.revoke`, `users.rotate`)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select

from . import schema
from .store import Store
from .users import User, user_by_id

SESSION_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: datetime


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def open_session(store: Store, user: User) -> tuple[str, Session]:
    """A new session for a user who has just proved who they are: the cookie's value (shown to the browser
    only) and the session."""
    value = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session = Session(user, secrets.token_urlsafe(32), now + SESSION_LIFETIME)
    with store.writing() as connection:
        connection.execute(delete(schema.web_sessions).where(schema.web_sessions.c.expires_at < now))
        connection.execute(insert(schema.web_sessions).values(id_hash=_digest(value), user_id=user.id,
                                                             csrf=session.csrf, created_at=now,
                                                             expires_at=session.expires_at))
    return value, session


def session_of(store: Store, value: str) -> Session | None:
    """The live session a cookie names, or None (unknown, expired, or its user revoked)."""
    if not value or len(value) > 200:
        return None
    with store.reading() as connection:
        row = connection.execute(select(schema.web_sessions).where(
            schema.web_sessions.c.id_hash == _digest(value))).first()
        if row is None or row.expires_at <= datetime.now(UTC):
            return None
        found = user_by_id(connection, row.user_id)
    return Session(found[1], row.csrf, row.expires_at) if found is not None else None


def close_session(store: Store, value: str) -> None:
    with store.writing() as connection:
        connection.execute(delete(schema.web_sessions).where(schema.web_sessions.c.id_hash == _digest(value)))
