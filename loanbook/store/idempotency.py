"""Idempotency keys: a write asked again with the same key answers as it did the first time and records nothing.

A client that loses an answer (a dropped connection, a killed server) cannot know whether its write was recorded;
it retries with the same key, and the store answers with what it kept for that key, so the advance is not made
twice. The same key (of the same user) for a different request is refused: it is a client's mistake, and
answering it with another request's answer would hide that.

The write and its key's answer are kept in one transaction that holds the facility's lock, so a key is kept
exactly when its write is. Two requests racing with one key on two facilities hold different locks: the second to
commit breaks the key's uniqueness, and is asked again, to be answered as the first was.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import localcontext

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from ..engine.facility import ENGINE_CONTEXT, Facility
from . import schema
from .store import Store


class KeyReused(Exception):
    """An Idempotency-Key its user gave before for a different request."""

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used for a different request")


@dataclass(frozen=True)
class KeptAnswer:
    """What a request with a key was answered, kept to answer its retries."""

    status: int
    response: str       # the answer's JSON
    request_hash: str   # the request's fingerprint: the same key for another request is refused


@dataclass(frozen=True)
class Written:
    """What a write made: its status and answer, and the replay to keep once committed (None: no new event)."""

    status: int
    answer: dict
    replay: Facility | None


@dataclass(frozen=True)
class Answer:
    """A write's answer; `replayed`: a retry, answered as before, and nothing was recorded."""

    status: int
    answer: dict
    replayed: bool


def once(store: Store, facility_id: str, user_id: str, key: str | None, request_hash: str,
         write: Callable[[Connection], Written]) -> Answer:
    """Run a write in one transaction that holds the facility's lock, keeping its answer under the user's key
    (none: the write runs every time). A key kept before answers as then, for the same request only (KeyReused)."""
    for attempt in range(2):
        try:
            with localcontext(ENGINE_CONTEXT), store.writing() as connection:
                store.locked(connection, facility_id)
                if key is not None:
                    kept = kept_answer(connection, user_id, key, request_hash)
                    if kept is not None:
                        return Answer(kept.status, json.loads(kept.response), replayed=True)
                written = write(connection)
                if key is not None:
                    keep_answer(connection, user_id, key,
                                KeptAnswer(written.status, json.dumps(written.answer), request_hash))
        except IntegrityError:
            if attempt:
                raise
            continue  # the same key, raced on another facility: answered as that one was
        if written.replay is not None:
            store.remember(facility_id, written.replay)
        return Answer(written.status, written.answer, replayed=False)
    raise AssertionError("unreachable")


def kept_answer(connection: Connection, user_id: str, key: str, request_hash: str) -> KeptAnswer | None:
    """The answer kept for the user's key, if any; KeyReused when it was kept for another request."""
    i = schema.idempotency.c
    row = connection.execute(select(i.status, i.response, i.request_hash).where(
        i.user_id == user_id, i.key == key)).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise KeyReused()
    return KeptAnswer(row.status, row.response, row.request_hash)


def keep_answer(connection: Connection, user_id: str, key: str, kept: KeptAnswer) -> None:
    """Keep a key's answer inside the write's transaction (a key already kept breaks its uniqueness)."""
    connection.execute(insert(schema.idempotency).values(
        user_id=user_id, key=key, request_hash=kept.request_hash, status=kept.status, response=kept.response,
        created_at=datetime.now(UTC)))
