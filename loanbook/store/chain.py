"""The hash chain over a facility's record: tamper evidence for rows changed outside loanbook.

The chain starts from the digest of the facility's files; each event's hash covers the hash before it and
every column of the event (its place, key, type, dates, who recorded it, its body). A row changed, a row
taken out, a file changed: each breaks the chain at a place `verify` names.
"""
from __future__ import annotations

import hashlib
import json

GENESIS = "loanbook/1"


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def files_hash(facility_id: str, digests: dict[str, str], imported_events: int) -> str:
    """The chain's start: the facility's id, every stored file's path and digest, and how many of the record's
    events came with the files (export writes the others after them)."""
    return sha256(_canonical({"chain": GENESIS, "facility": facility_id, "files": digests,
                              "imported_events": imported_events}))


def event_hash(prev_hash: str, hashed: dict) -> str:
    """An event row's hash: the hash before it and every stored column of the row (`EventRow.hashed`)."""
    return sha256(prev_hash + _canonical(hashed))
