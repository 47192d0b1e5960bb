"""Event rows as the store keeps them: the body as given (canonical JSON, numbers as their exact text) and
the columns the store adds (its place, its key, when and by whom it was recorded).

Bodies are written by `body_text` and read by `body_value`, which give back exactly what the YAML loader
gave: strings, integers, Decimals (never floats), booleans, lists and mappings.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


def body_text(value, *, ascii_only: bool = False) -> str:
    """Canonical JSON: keys sorted, no spaces, a Decimal written as its exact digits (`ascii_only`: every
    other character escaped, for a YAML file)."""
    if value is None or isinstance(value, bool) or isinstance(value, int):
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot store the number {value}")
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=ascii_only)
    if isinstance(value, (date, datetime)):
        return json.dumps(value.isoformat())
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(body_text(v, ascii_only=ascii_only) for v in value) + "]"
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("an event's field names are text")
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=ascii_only)}:{body_text(value[k], ascii_only=ascii_only)}"
                              for k in sorted(value)) + "}"
    raise ValueError(f"cannot store a {type(value).__name__} in an event")


def body_value(text: str):
    return json.loads(text, parse_float=Decimal)


@dataclass(frozen=True)
class EventRow:
    """One stored event, all its columns."""

    seq: int
    key: str
    type: str
    effective: date
    recorded_at: datetime | None
    recorded_by: str
    body: str
    prev_hash: str
    hash: str

    def as_given(self) -> dict:
        """The event as the engine reads it: its body, with the time the store recorded it (if the body has
        none: an imported event without one counts from the end of its day)."""
        row = body_value(self.body)
        if self.recorded_at is not None and "recorded_at" not in row:
            row["recorded_at"] = self.recorded_at.isoformat()
        return row

    def hashed(self) -> dict:
        return {"seq": self.seq, "key": self.key, "type": self.type, "effective": self.effective.isoformat(),
                "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
                "recorded_by": self.recorded_by, "body": self.body}
