"""Shared helpers: the example facilities, and facilities built from event lists written in the tests."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from loanbook.agreement.load import load_agreement
from loanbook.engine.facility import Facility
from loanbook.events.parse import events_from, parse_events
from loanbook.market import shipped_prime_series
from loanbook.projection import decision_json, status_json

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "iec-2002"
DNOW = ROOT / "examples" / "dnow-2022"
RICHEY = ROOT / "examples" / "richey-1995"
ACME = Path(__file__).resolve().parent / "fixtures" / "acme"
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture(scope="session")
def seed():
    return load_agreement(SEED)


def make_events(agreement, rows: list[dict]) -> tuple:
    """Events as the parser makes them, from dicts written in a test (file order kept)."""
    return events_from(rows, agreement, "test")


def facility(agreement, rows: list[dict], known_at=None) -> Facility:
    return Facility(agreement, make_events(agreement, rows), shipped_prime_series(), known_at=known_at)


def folder_facility(folder: Path, agreement) -> Facility:
    """A facility on its own folder's events.yaml (the agreement may be loaded with other readings)."""
    return Facility(agreement, parse_events(folder / "events.yaml", agreement), shipped_prime_series())


def decimals(value):
    """JSON as a script reads it, with every number string turned back into a Decimal."""
    if isinstance(value, str) and _NUMBER.match(value):
        return Decimal(value)
    if isinstance(value, dict):
        return {k: decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decimals(v) for v in value]
    return value


def flat(status) -> dict:
    """A status as `status --json` gives it, numbers as Decimals."""
    return decimals(status_json(status))


def decide(engine: Facility, day, amount, tranche=None) -> dict:
    return decimals(decision_json(engine.advance(day, amount, tranche)))
