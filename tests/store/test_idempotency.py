"""Idempotency keys in the store (SQLite and PostgreSQL): a retry answers as before and records nothing, a key
reused for another request is refused, a key is kept exactly when its write is, and a race on one key is answered
as the write that committed first."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from conftest import SEED
from loanbook.core.errors import InputError
from loanbook.store import idempotency, schema
from loanbook.store.idempotency import Answer, KeyReused, Written, once
from loanbook.store.users import add_user

ADVANCE = [{"date": "2002-12-30", "type": "advance", "amount": "1000.00"}]


@pytest.fixture
def agent(store):
    store.import_folder(SEED)
    return add_user(store, "hsbc-ops", "agent", ["iec-2002"])[0]


def appending(store, rows=ADVANCE):
    """A write that appends the rows, and the list of the times it ran."""
    ran: list[int] = []

    def write(connection) -> Written:
        recorded, replay = store.append(connection, "iec-2002", rows, by="test", source="request")
        ran.append(recorded.first_seq)
        return Written(201, {"first": recorded.first_seq}, replay)
    return write, ran


def test_a_retry_answers_as_before_and_records_nothing(store, agent):
    write, ran = appending(store)
    first = once(store, "iec-2002", agent.id, "k-1", "hash-1", write)
    again = once(store, "iec-2002", agent.id, "k-1", "hash-1", write)
    assert first == Answer(201, {"first": 28}, replayed=False)  # the seed's 27 events, then this one
    assert again == Answer(201, {"first": 28}, replayed=True)
    assert ran == [28] and store.get("iec-2002").events == 28


def test_a_key_used_for_another_request_is_refused(store, agent):
    write, ran = appending(store)
    once(store, "iec-2002", agent.id, "k-1", "hash-1", write)
    with pytest.raises(KeyReused, match="used for a different request"):
        once(store, "iec-2002", agent.id, "k-1", "hash-2", write)
    assert ran == [28] and store.get("iec-2002").events == 28


def test_no_key_writes_every_time(store, agent):
    write, ran = appending(store)
    assert once(store, "iec-2002", agent.id, None, "hash-1", write).replayed is False
    assert once(store, "iec-2002", agent.id, None, "hash-1", write).replayed is False
    assert ran == [28, 29] and store.get("iec-2002").events == 29


def test_a_refused_write_keeps_no_key(store, agent):
    """The key is kept in the write's transaction: a write refused keeps nothing, so the retry writes."""
    refused, _ = appending(store, [{**ADVANCE[0], "amount": "-1.00"}])
    with pytest.raises(InputError):
        once(store, "iec-2002", agent.id, "k-1", "hash-1", refused)
    write, ran = appending(store)
    assert once(store, "iec-2002", agent.id, "k-1", "hash-1", write).replayed is False
    assert ran == [28] and store.get("iec-2002").events == 28


def test_a_race_on_one_key_is_answered_as_the_first_to_commit(store, agent, monkeypatch):
    """Another request with the same key commits between this one's reading of the key and its keeping of it
    (another facility's lock does not hold it back): this write is undone, and answered as that one was."""
    with store.writing() as connection:
        connection.execute(insert(schema.idempotency).values(
            user_id=agent.id, key="k-1", request_hash="hash-1", status=201, response='{"first": 7}',
            created_at=datetime.now(UTC)))
    read = idempotency.kept_answer
    reads: list[str] = []

    def not_yet_committed(connection, user_id, key, request_hash):
        reads.append(key)
        return None if len(reads) == 1 else read(connection, user_id, key, request_hash)
    monkeypatch.setattr(idempotency, "kept_answer", not_yet_committed)
    write, ran = appending(store)
    assert once(store, "iec-2002", agent.id, "k-1", "hash-1", write) == Answer(201, {"first": 7}, replayed=True)
    assert ran == [28] and len(reads) == 2
    assert store.get("iec-2002").events == 27  # the write that lost the race was rolled back
