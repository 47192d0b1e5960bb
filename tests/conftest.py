"""Shared helpers: the seed agreement, and facilities built from event lists written in the tests."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter

from loanbook.agreement.load import load_agreement
from loanbook.engine.facility import Facility
from loanbook.events.types import Event
from loanbook.market import shipped_prime_series

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "iec-2002"
ACME = Path(__file__).resolve().parent / "fixtures" / "acme"
_EVENT = TypeAdapter(Event)


@pytest.fixture(scope="session")
def seed():
    return load_agreement(SEED)


def make_events(rows: list[dict]) -> tuple:
    """Events as the parser would make them, from dicts written in a test (file order kept)."""
    return tuple(_EVENT.validate_python(row).model_copy(update={"source_file": "test", "index": i})
                 for i, row in enumerate(rows))


def facility(agreement, rows: list[dict], known_at=None) -> Facility:
    return Facility(agreement, make_events(rows), shipped_prime_series(), known_at=known_at)
