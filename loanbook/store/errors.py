"""What the store refuses, as exceptions light enough for every command to catch without loading a database
driver (the command line answers most questions from a folder, never opening the store)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..engine.results import Reason


class NotStored(LookupError):
    """No facility of that id in the store."""

    def __init__(self, facility_id: str):
        super().__init__(f"no facility {facility_id!r} in the store")
        self.facility_id = facility_id


class Conflict(Exception):
    """A request that cannot be decided as asked (already decided, or no longer within the limit)."""


class NoLongerAllowed(Conflict):
    """An approval the record no longer allows: the engine's reasons, put in words at the edge
    (`projection.conflict_text`); str() gives their codes."""

    def __init__(self, reasons: tuple[Reason, ...]):
        super().__init__("the record no longer allows this advance: " + "; ".join(r.code for r in reasons))
        self.reasons = reasons
