"""What the store refuses, as exceptions light enough for every command to catch without loading a database
driver (the command line answers most questions from a folder, never opening the store)."""
from __future__ import annotations


class NotStored(LookupError):
    """No facility of that id in the store."""

    def __init__(self, facility_id: str):
        super().__init__(f"no facility {facility_id!r} in the store")
        self.facility_id = facility_id


class Conflict(Exception):
    """A request that cannot be decided as asked (already decided, or no longer within the limit)."""
