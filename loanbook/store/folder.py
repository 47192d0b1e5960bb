"""A facility folder opened as known at a moment: the reading of the record `Store.facility` makes of a stored
facility, made of a folder on disk.

The events are read against the agreement as now known (a correction names events the record holds now), then
replayed with the agreement as known at the moment. An events file given instead replaces the folder's
events.yaml; the folder's own is read only from inside the folder. The agreement as now known is read first and
the events only when the replay is asked for, so that a caller refuses terms that fail `loanbook check` before
anything is replayed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..agreement.load import load_agreement
from ..agreement.model import Agreement
from ..core.files import contained
from ..engine.facility import Facility
from ..events.parse import parse_events
from ..market import shipped_prime_series

EVENTS_FILE = "events.yaml"

# The agreement with the readings chosen, as known at a moment (None: as now known).
AgreementAt = Callable[[datetime | None], Agreement]
# A facility folder's loader: (folder, readings chosen, known at) -> the agreement (agreement/load.py's).
FolderLoader = Callable[[Path, dict[str, str], datetime | None], Agreement]


@dataclass(frozen=True)
class OpenedFacility:
    """A facility opened for a question: its agreement as now known, and what the replay and the check need."""

    as_written: Agreement                   # as now known, with the readings chosen: what the check is asked of
    read: AgreementAt                       # the same agreement as known at a moment
    default: Callable[[], Agreement] | None  # with the register's default readings, where others are chosen
    events: Callable[[], Path | None]       # the events file (None: the facility has none), found when replayed

    def replay(self, known_at: datetime | None = None) -> Facility:
        """The facility's replay as known at `known_at` (None: now)."""
        found = self.events()
        history = parse_events(found, self.as_written) if found is not None else ()
        agreement = self.as_written if known_at is None else self.read(known_at)
        return Facility(agreement, history, shipped_prime_series(), known_at=known_at)


def open_folder(folder: Path, choices: dict[str, str], *, events: Path | None = None,
                load: FolderLoader = load_agreement) -> OpenedFacility:
    """A facility folder with the readings chosen; `events` replaces its events.yaml. `load`: the loader (a
    caller may keep what it loaded)."""
    def own_events() -> Path | None:
        own = contained(folder, folder / EVENTS_FILE, what=EVENTS_FILE)
        return own if own.exists() else None

    return OpenedFacility(load(folder, choices, None), lambda moment: load(folder, choices, moment),
                          (lambda: load(folder, {}, None)) if choices else None,
                          (lambda: events) if events is not None else own_events)


def open_with_events(read: Callable[[dict[str, str], datetime | None], Agreement], choices: dict[str, str],
                     events: Path) -> OpenedFacility:
    """A facility whose agreement is read elsewhere (a stored one: `read` is the store's), with the events of a
    file in place of its record."""
    return OpenedFacility(read(choices, None), lambda moment: read(choices, moment),
                          (lambda: read({}, None)) if choices else None, lambda: events)
