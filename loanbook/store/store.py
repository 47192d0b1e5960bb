"""The store: facilities imported from their folders, and each facility's append-only record.

A facility is imported whole (every file of its folder, byte for byte, and its events.yaml as the first
rows of its record) after the same checks `loanbook check` and every command make; it is exported back
to the same files. Events are appended all or nothing: a batch is parsed against the facility and the
record so far, replayed with it, and only then written, in one transaction that holds the facility's
lock, so two writers never interleave and a refused batch leaves no trace. Nothing is updated or deleted.

Replays are kept in a cache by (facility, readings, known-at) with the record head they were built to;
a request after an append extends the cached replay by the new rows instead of replaying everything.
"""
from __future__ import annotations

import getpass
import os
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ..agreement import gate
from ..agreement.gate import Outcome
from ..agreement.load import load_agreement
from ..agreement.model import Agreement
from ..core import yamlform
from ..core.cache import Bounded, KeyedLocks
from ..core.errors import InputError, Problem, RecordError
from ..core.files import MAX_YAML_BYTES, StoredFiles, contained, read_bytes, utf8
from ..core.types import FACILITY_ID, FACILITY_ID_RULE
from ..core.yamlio import load_yaml
from ..engine.facility import Facility
from ..events.parse import events_from
from ..market import shipped_prime_series
from . import schema
from .balances import DayBalances, balances_on
from .chain import event_hash, files_hash, sha256
from .database import connect, default_url, upgrade
from .errors import NotStored
from .folder import EVENTS_FILE
from .records import EventRow, body_text, body_value

MAX_FILES = 2_000
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_BATCH = 50_000  # events in one append



@dataclass(frozen=True)
class StoredFacility:
    id: str
    name: str
    imported_at: datetime
    imported_from: str
    events: int
    head_hash: str


@dataclass(frozen=True)
class Recorded:
    """What an append wrote: the events' keys, their places in the record, and when they were recorded."""

    facility: str
    keys: tuple[str, ...]
    first_seq: int
    last_seq: int
    recorded_at: datetime


@dataclass(frozen=True)
class Verification:
    facility: str
    events: int
    head_hash: str
    problem: str | None = None    # None: the chain holds
    seq: int | None = None        # the first event that breaks it

    @property
    def ok(self) -> bool:
        return self.problem is None


def who() -> str:
    """The person at the command line, for `recorded_by`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


class Store:
    def __init__(self, url: str | None = None, *, migrate: bool = True, cache_size: int = 64):
        self.url = url or default_url()
        self.db = connect(self.url)
        _OPEN.add(self)
        if migrate:
            upgrade(self.db)
        self.prime = shipped_prime_series()
        self._replays = Bounded(cache_size)      # (facility, readings, None) -> (head_seq, Facility)
        self._views = Bounded(16)                # (facility, readings, known_at) -> (head_seq, Facility): past views
        self._agreements = Bounded(cache_size)   # (facility, readings, known_at) -> Agreement
        self._building = KeyedLocks()

    def close(self) -> None:
        self.db.dispose()

    @contextmanager
    def reading(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A reading transaction; with `snapshot`, every statement sees the database as at the first (SQLite's
        reads always do; PostgreSQL's READ COMMITTED would not)."""
        with self.db.connect() as connection:
            if snapshot and self.db.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction that writes: on SQLite it holds the write lock from its start."""
        with self.db.connect() as connection:
            connection.execution_options(writing=True)
            with connection.begin():
                yield connection

    # --- facilities ---------------------------------------------------------------------------------

    def facilities(self) -> list[StoredFacility]:
        with self.reading() as connection:
            rows = connection.execute(select(schema.facilities).order_by(schema.facilities.c.id)).all()
        return [_stored(row) for row in rows]

    def get(self, facility_id: str) -> StoredFacility | None:
        with self.reading() as connection:
            row = connection.execute(select(schema.facilities).where(schema.facilities.c.id == facility_id)).first()
        return _stored(row) if row else None

    def import_folder(self, folder: Path | str, *, facility_id: str | None = None, by: str | None = None
                      ) -> StoredFacility:
        """Store a facility folder, after every check a command would make on it; refused whole otherwise."""
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError([Problem(str(folder), None, None, "no such facility folder")])
        files = _folder_files(folder)
        # checked from the very bytes that are stored, so what is stored is what was checked; its YAML files' forms
        # (core/yamlform.py) kept with them, for a book's run to read instead of parsing them again
        forms = yamlform.Forms()
        agreement = load_agreement(StoredFiles(str(folder), files, forms))
        facility_id = facility_id or agreement.facility_id
        _check_id(facility_id, str(folder))
        rows: list = []
        if EVENTS_FILE in files:
            label = str(folder / EVENTS_FILE)
            located = load_yaml(Path(label), text=utf8(files[EVENTS_FILE], label))
            data = located.data or []
            if not isinstance(data, list):
                raise InputError([Problem(label, None, None, "expected a list of events")])
            rows = data
        events = events_from(rows, agreement, str(folder / EVENTS_FILE))
        Facility(agreement, events, self.prime).history_checked()  # the history must replay, as every command would
        digests = {path: sha256(content) for path, content in files.items()}
        start = files_hash(facility_id, digests, len(events))
        now = datetime.now(UTC)
        # each imported event was recorded when its file says, or else now, by this import
        stored_rows = _chained([(event, raw) for event, raw in zip(events, rows)], start, 1,
                               lambda event: event.recorded_at or now, by or who())
        with self.writing() as connection:
            if connection.execute(select(schema.facilities.c.id).where(schema.facilities.c.id == facility_id)).first():
                raise InputError([Problem(str(folder), None, "id", f"the store already has a facility "
                                                                   f"{facility_id!r}; give another with --id")])
            connection.execute(insert(schema.facilities).values(
                id=facility_id, name=agreement.name, imported_at=now, imported_from=str(folder.resolve()),
                files_hash=start, imported_events=len(stored_rows), head_seq=len(stored_rows),
                head_hash=stored_rows[-1].hash if stored_rows else start))
            connection.execute(insert(schema.facility_files), [
                {"facility_id": facility_id, "path": path, "content": content, "sha256": digests[path]}
                for path, content in sorted(files.items())])
            if stored_rows:
                connection.execute(insert(schema.events), [_columns(facility_id, row) for row in stored_rows])
            _put_forms(connection, forms.take())
        stored = self.get(facility_id)
        assert stored is not None
        return stored

    def export(self, facility_id: str, folder: Path | str) -> list[str]:
        """Write the facility's files to a new (or empty) folder: its files as imported, with the events
        appended since added to events.yaml. Returns the paths written."""
        folder = Path(folder)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise InputError([Problem(str(folder), None, None, "export writes to a new or empty folder")])
        if not self.verify(facility_id).ok:
            raise RecordError(f"{facility_id}: the record does not verify (loanbook verify); nothing is exported")
        with self.reading(snapshot=True) as connection:
            info = self._facility_row(connection, facility_id)
            files = self._files(connection, facility_id)
            appended = self._event_rows(connection, facility_id, after=info.imported_events, through=info.events)
        if appended:
            files[EVENTS_FILE] = _appended(files.get(EVENTS_FILE, b""), appended)
        for path, content in files.items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return sorted(files)

    # --- answers --------------------------------------------------------------------------------------

    def agreement(self, facility_id: str, choices: dict[str, str] | None = None,
                  known_at: datetime | None = None) -> Agreement:
        with self.reading() as connection:
            return self._agreement(connection, facility_id, choices or {}, known_at)

    def facility(self, facility_id: str, *, choices: dict[str, str] | None = None,
                 known_at: datetime | None = None, agreement: Agreement | None = None) -> Facility:
        """The facility's replay as known at a time (now: None), from the cache when it is current: a question
        costs one read of the record's head unless the record has grown. `agreement`: the facility's agreement
        as now known, when the caller has read it already (a portfolio run: its files never change)."""
        key = (facility_id, tuple(sorted((choices or {}).items())), known_at)
        cached = self._cache_of(key).get(key)
        if cached is not None and cached[0] == self._head(facility_id):
            return cached[1]
        with self._building.hold(key):  # many requests at once for a replay not cached: one builds it
            with self.reading() as connection:
                return self._replay(connection, facility_id, choices or {}, known_at, agreement)

    def _head(self, facility_id: str) -> int:
        """The record's head, read on its own (no transaction around one statement)."""
        with self.db.connect() as connection:
            if self.db.dialect.name == "postgresql":  # one round trip instead of three; SQLite's BEGIN is free
                connection.execution_options(isolation_level="AUTOCOMMIT")
            head = connection.execute(select(schema.facilities.c.head_seq).where(
                schema.facilities.c.id == facility_id)).scalar()
        if head is None:
            raise NotStored(facility_id)
        return head

    def files(self, facility_id: str) -> StoredFiles:
        """The facility's files as imported."""
        with self.reading() as connection:
            self._facility_row(connection, facility_id)
            return StoredFiles(facility_id, self._files(connection, facility_id))

    def every_facility_files(self) -> dict[str, StoredFiles]:
        """Every facility's files as imported, read in one query (a book at once), with the forms of their YAML
        files that this code reads (core/yamlform.py)."""
        found: dict[str, dict[str, bytes]] = {}
        with self.reading(snapshot=True) as connection:
            for facility_id in connection.execute(select(schema.facilities.c.id)).scalars():
                found[facility_id] = {}
            f = schema.facility_files.c
            for facility_id, path, content in connection.execute(select(f.facility_id, f.path, f.content)).all():
                found[facility_id][path] = bytes(content)
            y = schema.yaml_forms.c
            forms = yamlform.Forms({sha: form for sha, form in connection.execute(select(y.sha256, y.form).where(
                y.code == yamlform.code()))})
        return {facility_id: StoredFiles(facility_id, files, forms) for facility_id, files in sorted(found.items())}

    def keep_forms(self, made: dict[str, str]) -> None:
        """Keep the forms a run made for YAML files it found none for (new reading code, or a damaged form), so the
        next run reads them. Only a cache: a store that cannot be written to (a reader's role) is left as it is."""
        if not made:
            return
        try:
            with self.writing() as connection:
                _put_forms(connection, made)
        except SQLAlchemyError:
            pass

    def check_outcomes(self) -> dict[str, Outcome]:
        """Every kept `loanbook check` outcome of this code, by the fingerprint of the files checked (one query for
        a book: agreement/gate.py)."""
        c = schema.check_outcomes.c
        with self.reading() as connection:
            return {fingerprint: Outcome(differences, first) for fingerprint, differences, first in connection.execute(
                select(c.fingerprint, c.differences, c.first).where(c.code == gate.code()))}

    def keep_outcomes(self, made: dict[str, Outcome]) -> None:
        """Keep the outcomes a run checked (by fingerprint), for the next run. Only a cache, as the forms are."""
        if not made:
            return
        table = schema.check_outcomes
        try:
            with self.writing() as connection:
                dialect = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
                statement = dialect(table)
                connection.execute(statement.on_conflict_do_update(
                    index_elements=[table.c.fingerprint, table.c.code],
                    set_={"differences": statement.excluded.differences, "first": statement.excluded.first}),
                    [{"fingerprint": fingerprint, "code": gate.code(), "differences": o.differences, "first": o.first}
                     for fingerprint, o in sorted(made.items())])
        except SQLAlchemyError:
            pass

    def balances_on(self, day: date) -> DayBalances:
        """Every facility's balances at the end of a day from one aggregate over the events table, where its record
        allows (`balances.py`)."""
        with self.reading(snapshot=True) as connection:
            return balances_on(connection, day)

    def event_rows(self, facility_id: str, *, after: int = 0, limit: int | None = None) -> list[EventRow]:
        """The record's rows in order: those after a place in it, at most `limit` of them (a page)."""
        with self.reading() as connection:
            self._facility_row(connection, facility_id)
            return self._event_rows(connection, facility_id, after, limit=limit)

    # --- appending ------------------------------------------------------------------------------------

    def record(self, facility_id: str, rows: list, *, by: str, source: str, line_of=None) -> Recorded:
        """Append events to a facility's record, all or nothing."""
        with self.writing() as connection:
            recorded, replay = self.append(connection, facility_id, rows, by=by, source=source, line_of=line_of)
        self.remember(facility_id, replay)
        return recorded

    def locked(self, connection: Connection, facility_id: str) -> Facility:
        """Lock the facility's record for the rest of the caller's writing transaction; its replay as it is."""
        self._facility_row(connection, facility_id, lock=True)
        return self._replay(connection, facility_id, {}, None)

    def append(self, connection: Connection, facility_id: str, rows: list, *, by: str, source: str,
               line_of=None) -> tuple[Recorded, Facility]:
        """Append inside the caller's writing transaction (which may write more, like an idempotency key or a
        decision). The facility's row is locked first, so appends to one facility happen one at a time.
        Returns what was written and the replay with it; the caller puts that in the cache once committed."""
        info = self._facility_row(connection, facility_id, lock=True)
        if not isinstance(rows, list) or not rows:
            raise InputError([Problem(source, None, None, "no events to record: give a list of one or more")])
        if len(rows) > MAX_BATCH:
            raise InputError([Problem(source, None, None, f"{len(rows):,} events in one append; the limit is "
                                                          f"{MAX_BATCH:,}")])
        stamped = [i for i, row in enumerate(rows) if isinstance(row, dict) and "recorded_at" in row]
        if stamped:
            raise InputError([Problem(source, f"event {i + 1}", "recorded_at",
                                      "the store sets when an event is recorded; leave recorded_at out", i)
                              for i in stamped])
        current = self._replay(connection, facility_id, {}, None)
        now = datetime.now(UTC)
        last = connection.execute(select(schema.events.c.recorded_at).where(
            schema.events.c.facility_id == facility_id, schema.events.c.seq == info.events)).scalar()
        if last is not None and last > now:
            now = last  # the clock went back: a later row is never recorded before an earlier one
        parsed = events_from(rows, current.agreement, source, prior=current.events,
                             line_of=line_of or (lambda path: None))
        _no_certificate_twice(connection, facility_id, rows, source)
        parsed = tuple(e.model_copy(update={"recorded_at": now}) for e in parsed)
        current.extended(parsed).history_checked()  # refuses a history that cannot have happened, naming the
        # request's events
        chained = _chained(list(zip(parsed, rows)), info.head_hash, info.events + 1, lambda _e: now, by)
        # the replay kept is the one any process reads from the store: its events named by their place there
        stored = events_from([row.as_given() for row in chained], current.agreement, f"store:{facility_id}/events",
                             prior=current.events, first=info.events + 1)
        _same_keys(stored, chained)
        replay = current.extended(stored)
        connection.execute(insert(schema.events), [_columns(facility_id, row) for row in chained])
        connection.execute(update(schema.facilities).where(schema.facilities.c.id == facility_id).values(
            head_seq=chained[-1].seq, head_hash=chained[-1].hash))
        recorded = Recorded(facility_id, tuple(e.key for e in parsed), chained[0].seq, chained[-1].seq, now)
        return recorded, replay

    def remember(self, facility_id: str, replay: Facility) -> None:
        """Keep the replay an append built (the record as now known), once its transaction has committed."""
        self._replays.put((facility_id, (), None), (len(replay.events), replay))

    # --- tamper evidence ------------------------------------------------------------------------------

    def verify(self, facility_id: str) -> Verification:
        """Recompute the chain from the stored files and rows; name the first place it breaks. Read in one
        snapshot, so an append committed meanwhile is either wholly seen or not at all."""
        with self.reading(snapshot=True) as connection:
            info = self._facility_row(connection, facility_id)
            file_rows = connection.execute(select(schema.facility_files).where(
                schema.facility_files.c.facility_id == facility_id)).all()
            rows = self._event_rows(connection, facility_id)
        digests = {f.path: sha256(f.content) for f in file_rows}
        changed = sorted(f.path for f in file_rows if digests[f.path] != f.sha256)
        start = files_hash(facility_id, digests, info.imported_events)

        def broken(problem: str, seq: int | None = None) -> Verification:
            return Verification(facility_id, len(rows), info.head_hash, problem, seq)

        if changed:
            return broken(f"the facility's files differ from those imported: {', '.join(changed)}")
        if start != info.files_hash:
            return broken("the facility's files, or the count of events imported with them, differ from those "
                          "imported")
        previous = start
        for expected, row in enumerate(rows, start=1):
            if row.seq != expected:
                return broken(f"event {expected} is missing (the next stored is event {row.seq})", expected)
            if row.prev_hash != previous:
                return broken(f"event {row.seq} does not follow event {row.seq - 1} in the chain", row.seq)
            if event_hash(previous, row.hashed()) != row.hash:
                return broken(f"event {row.seq} ({row.key}) was changed after it was recorded", row.seq)
            previous = row.hash
        if info.events != len(rows) or info.head_hash != previous:
            return broken(f"the record ends at event {len(rows)}, but the facility's head names event "
                          f"{info.events}: events were removed from the end", len(rows) + 1)
        return Verification(facility_id, len(rows), info.head_hash)

    # --- inside a transaction -------------------------------------------------------------------------

    def _facility_row(self, connection: Connection, facility_id: str, *, lock: bool = False):
        query = select(schema.facilities).where(schema.facilities.c.id == facility_id)
        row = connection.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotStored(facility_id)
        return _info(row)

    def _files(self, connection: Connection, facility_id: str) -> dict[str, bytes]:
        rows = connection.execute(select(schema.facility_files.c.path, schema.facility_files.c.content).where(
            schema.facility_files.c.facility_id == facility_id)).all()
        return {row.path: bytes(row.content) for row in rows}

    def _event_rows(self, connection: Connection, facility_id: str, after: int = 0,
                    through: int | None = None, *, limit: int | None = None) -> list[EventRow]:
        """The rows after one place in the record, up to another (the head a reader read: an append committed
        since is not half-seen), at most `limit` of them."""
        e = schema.events.c
        query = select(e.seq, e.key, e.type, e.effective, e.recorded_at, e.recorded_by, e.body, e.prev_hash, e.hash
                       ).where(e.facility_id == facility_id, e.seq > after)
        if through is not None:
            query = query.where(e.seq <= through)
        query = query.order_by(e.seq)
        if limit is not None:
            query = query.limit(limit)
        return [EventRow(*row) for row in connection.execute(query).all()]

    def _agreement(self, connection: Connection, facility_id: str, choices: dict[str, str],
                   known_at: datetime | None) -> Agreement:
        readings = tuple(sorted(choices.items()))
        full = self._agreements.get((facility_id, readings, None))
        if full is None:
            self._facility_row(connection, facility_id)
            files = StoredFiles(facility_id, self._files(connection, facility_id))
            full = load_agreement(files, choices)
            self._agreements.put((facility_id, readings, None), full)
        if known_at is None or all(d.recorded_at is None or d.recorded_at <= known_at for d in full.documents):
            return full
        earlier = self._agreements.get((facility_id, readings, known_at))
        if earlier is None:
            files = StoredFiles(facility_id, self._files(connection, facility_id))
            earlier = load_agreement(files, choices, known_at)
            self._agreements.put((facility_id, readings, known_at), earlier)
        return earlier

    def _replay(self, connection: Connection, facility_id: str, choices: dict[str, str],
                known_at: datetime | None, agreement: Agreement | None = None) -> Facility:
        info = self._facility_row(connection, facility_id)
        key = (facility_id, tuple(sorted(choices.items())), known_at)
        cached = self._cache_of(key).get(key)
        if cached is not None and cached[0] == info.events:
            return cached[1]
        now = agreement if agreement is not None and not choices else self._agreement(connection, facility_id,
                                                                                        choices, None)
        source = f"store:{facility_id}/events"
        if cached is not None and cached[0] < info.events:
            head, replay = cached
            rows = self._event_rows(connection, facility_id, after=head, through=info.events)
            new = events_from([row.as_given() for row in rows], now, source, prior=replay.events, first=head + 1)
            _same_keys(new, rows)
            replay = replay.extended(new)
        else:
            # events are read against the agreement as now known; the replay uses it as known then
            rows = self._event_rows(connection, facility_id, through=info.events)
            events = events_from([row.as_given() for row in rows], now, source)
            _same_keys(events, rows)
            then = now if known_at is None else self._agreement(connection, facility_id, choices, known_at)
            replay = Facility(then, events, self.prime, known_at)
        if not connection.get_execution_options().get("writing"):  # kept only from what is committed
            self._cache_of(key).put(key, (info.events, replay))
        return replay

    def _cache_of(self, key: tuple) -> Bounded:
        """Views as known at a past time are kept apart, so a reader asking many can never evict the current."""
        return self._replays if key[2] is None else self._views


_OPEN: weakref.WeakSet[Store] = weakref.WeakSet()


def _forget_connections() -> None:
    """In a forked process (a portfolio run's workers): the parent's pooled connections are the parent's; the
    child opens its own when it reads."""
    for store in list(_OPEN):
        store.db.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections)


@dataclass(frozen=True)
class _Info:
    """A facility's row: what a reader or writer of its record needs."""

    id: str
    files_hash: str
    imported_events: int
    events: int         # the record's head: its last event's place
    head_hash: str


def _info(row) -> _Info:
    return _Info(row.id, row.files_hash, row.imported_events, row.head_seq, row.head_hash)


def _same_keys(events: tuple, rows: list[EventRow]) -> None:
    """Every event read back has the key it was recorded with: a correction names events by key, so a key
    that drifted would silently point a correction at another event."""
    for event, row in zip(events, rows):
        if event.key != row.key:
            raise RecordError(f"event {row.seq} of the record was recorded with the key {row.key!r} but reads as "
                              f"{event.key!r}; the record cannot be read safely (report this)")


def _stored(row) -> StoredFacility:
    return StoredFacility(row.id, row.name, row.imported_at, row.imported_from, row.head_seq, row.head_hash)


def _check_id(facility_id: str, where: str) -> None:
    if not re.fullmatch(FACILITY_ID, facility_id):
        raise InputError([Problem(where, None, "id", FACILITY_ID_RULE + f"; got {facility_id!r}")])


def _no_certificate_twice(connection: Connection, facility_id: str, rows: list, source: str) -> None:
    """A borrowing base report computed from an aging (its evidence names the aging's SHA-256) is refused while
    the same aging's report for the same day and values stands in the record (not voided or superseded):
    recording it again would be a second report of one certificate, from the command line or the API alike."""
    new = [(i, row) for i, row in enumerate(rows) if row.get("type") == "borrowing_base_report"
           and isinstance(row.get("evidence"), dict) and row["evidence"].get("aging_sha256")]
    if not new:
        return
    stored = connection.execute(select(schema.events.c.seq, schema.events.c.key, schema.events.c.type,
                                       schema.events.c.body).where(schema.events.c.facility_id == facility_id)).all()
    bodies = [(row, body_value(row.body)) for row in stored]
    replaced = {body.get("supersedes") for _, body in bodies}
    for i, row in new:
        for old, body in bodies:
            if old.type != "borrowing_base_report" or old.key in replaced:
                continue
            if (body.get("date") == row.get("date") and body.get("values") == row.get("values")
                    and (body.get("evidence") or {}).get("aging_sha256") == row["evidence"]["aging_sha256"]):
                raise InputError([Problem(source, f"event {i + 1}", "evidence",
                                          f"this aging's report for {row.get('date')} is already recorded, as event "
                                          f"{old.seq} ({old.key}) of {facility_id}: nothing appended", i)])


def _chained(pairs: list, prev_hash: str, first_seq: int, recorded_at, by: str) -> list[EventRow]:
    """Rows for parsed events and the rows they came from, each hashed onto the one before."""
    chained = []
    for seq, (event, raw) in enumerate(pairs, start=first_seq):
        moment = recorded_at(event)
        row = EventRow(seq=seq, key=event.key, type=raw["type"], effective=event.date,
                       recorded_at=moment.astimezone(UTC) if moment else None, recorded_by=by,
                       body=body_text(raw), prev_hash=prev_hash, hash="")
        row = EventRow(**{**row.__dict__, "hash": event_hash(prev_hash, row.hashed())})
        chained.append(row)
        prev_hash = row.hash
    return chained


def _put_forms(connection: Connection, made: dict[str, str]) -> None:
    """Forms by the SHA-256 of their text, for this code; one already there (damaged, or made by another writer
    meanwhile) is replaced."""
    if not made:
        return
    table = schema.yaml_forms
    dialect = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect(table)
    connection.execute(statement.on_conflict_do_update(index_elements=[table.c.sha256, table.c.code],
                                                       set_={"form": statement.excluded.form}),
                       [{"sha256": sha, "code": yamlform.code(), "form": form} for sha, form in sorted(made.items())])


def _columns(facility_id: str, row: EventRow) -> dict:
    return {"facility_id": facility_id, **row.__dict__}


def _folder_files(folder: Path) -> dict[str, bytes]:
    """Every regular file under the folder (hidden ones left out), bounded in count and size."""
    files: dict[str, bytes] = {}
    total = 0
    for base, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(base) / name
            contained(folder, path, what="a file of the facility folder")
            if len(files) >= MAX_FILES:
                raise InputError([Problem(str(folder), None, None, f"more than {MAX_FILES:,} files")])
            content = read_bytes(path, limit=MAX_YAML_BYTES, what="file")
            total += len(content)
            if total > MAX_TOTAL_BYTES:
                raise InputError([Problem(str(folder), None, None, f"the folder's files add up to more than "
                                                                   f"{MAX_TOTAL_BYTES:,} bytes")])
            files[str(PurePosixPath(path.relative_to(folder)))] = content
    return files


def _appended(original: bytes, rows: list[EventRow]) -> bytes:
    """events.yaml with the events appended since import after the imported ones (each a one-line mapping
    with the time it was recorded, every non-ASCII character escaped, so YAML cannot fold a line break in a
    note); the whole list again if the original cannot simply be continued. Either is read back and compared
    before it is written."""
    lines = "".join(f"- {body_text(row.as_given(), ascii_only=True)}\n" for row in rows)
    text = original.decode("utf-8")
    loaded = load_yaml(Path(EVENTS_FILE), text=text).data if text.strip() else None
    before: list = loaded if isinstance(loaded, list) else []
    wanted = before + [body_value(body_text(r.as_given())) for r in rows]
    for candidate in ((text if not text or text.endswith("\n") else text + "\n")
                      + "# recorded in loanbook after import\n" + lines,
                      "".join(f"- {body_text(r, ascii_only=True)}\n" for r in before) + lines):
        if load_yaml(Path(EVENTS_FILE), text=candidate).data == wanted:
            return candidate.encode("utf-8")
    raise RecordError("the events cannot be written back to events.yaml exactly; nothing is exported")
