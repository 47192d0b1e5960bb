"""A facility that fails its fidelity check computes nothing.

A folder whose terms contradict its text (terms say 9,750,000, the text 1,750,000) used to compute from the
terms with a warning on stderr that nobody reads. Every command that computes now asks `require` first: a
facility that fails `loanbook check` is refused, naming its first difference and how many there are, unless
the caller asks for an unchecked answer, which then says so (`checked: false`).

The check's outcome is kept by the fingerprint of the files the agreement was read from and the code that
checks it, in memory and in a small file of the user's cache: a checked facility pays nothing on the next
command, and a changed file or a new version of loanbook checks again. A store's book keeps them in the store
instead (`kept_outcome`, the check_outcomes table), read in one query for the whole book.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .check import Finding
    from .model import Agreement

CACHE_ENV = "LOANBOOK_CACHE"  # a folder for the check's outcomes (default: the user's cache folder)


@dataclass(frozen=True)
class Outcome:
    """What `loanbook check` says of an agreement: how many differences, and the first of them."""

    differences: int
    first: str | None  # "clause: message"

    @property
    def passed(self) -> bool:
        return self.differences == 0


class FailsCheck(Exception):
    """An agreement that fails its fidelity check, asked to compute without --unchecked."""

    def __init__(self, facility: str, outcome: Outcome):
        self.facility, self.outcome = facility, outcome
        super().__init__(f"{facility} fails `loanbook check` ({outcome.differences} difference(s)); the first: "
                         f"{outcome.first}. Nothing is computed from terms that contradict their text: correct "
                         f"them (loanbook check --facility {facility}), or ask for an unchecked answer "
                         "(--unchecked)")


def require(agreement: Agreement, facility: str, *, unchecked: bool,
            default: Callable[[], Agreement] | None = None) -> bool:
    """True when the agreement passes its check; False when it does not and `unchecked` is asked; otherwise
    FailsCheck. `default`: the agreement with the register's default readings, where `agreement` was read
    with others (the check reads the terms as `loanbook check` does)."""
    result = outcome(agreement, default)
    if result.passed:
        return True
    if unchecked:
        return False
    raise FailsCheck(facility, result)


def outcome(agreement: Agreement, default: Callable[[], Agreement] | None = None) -> Outcome:
    """The check's outcome, from the cache when these files were checked by this code before."""
    key = _key(agreement.fingerprint) if agreement.fingerprint else None
    if key is not None and key in _MEMORY:
        return _MEMORY[key]
    found = _read(key) if key is not None else None
    if found is None:
        found = checked(default() if default else agreement)
        if key is not None:
            _write(key, found)
    if key is not None:
        _MEMORY[key] = found
    return found


def checked(agreement: Agreement) -> Outcome:
    """The check run now, whatever is kept."""
    findings = [f for f in fidelity_check(agreement) if f.severity == "difference"]
    return Outcome(len(findings), f"{findings[0].clause}: {findings[0].message}" if findings else None)


def kept_outcome(agreement: Agreement, kept: Mapping[str, Outcome]) -> tuple[Outcome, bool]:
    """The check's outcome from `kept` (a store's, by fingerprint, for this code: `code()`), or checked now; True
    when checked now, to be kept. A store's book reads its outcomes in one query, not a file per facility."""
    if agreement.fingerprint and agreement.fingerprint in kept:
        return kept[agreement.fingerprint], False
    return checked(agreement), bool(agreement.fingerprint)


def unchecked_line(facility: str, result: Outcome) -> str:
    """The first line of a human answer computed unchecked."""
    return (f"UNCHECKED: {facility} fails `loanbook check` ({result.differences} difference(s); the first: "
            f"{result.first}): these figures are computed from its terms as written, not as the text says")


_MEMORY: dict[str, Outcome] = {}


def fidelity_check(agreement: Agreement) -> list[Finding]:
    """The check itself, loaded when a facility's outcome is not kept yet (its reader compiles many patterns)."""
    from .check import fidelity_check as check

    return check(agreement)


@cache
def code() -> str:
    """A digest of the code that reads and checks an agreement: a new version checks every facility again."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for folder in ("agreement", "core"):
        for source in sorted((package / folder).glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _key(fingerprint: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{code()}".encode()).hexdigest()


def _folder() -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else _user_folder()


@cache
def _user_folder() -> Path:
    """The user's cache folder, found once (a book's run asks for every facility's outcome)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("loanbook")) / "checks"


def _read(key: str) -> Outcome | None:
    try:
        data = json.loads((_folder() / f"{key}.json").read_text())
        return Outcome(int(data["differences"]), data["first"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no cache, or a broken one: check again


def _write(key: str, result: Outcome) -> None:
    """Kept if it can be (a read-only home folder only costs the next command a check)."""
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{key}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps({"differences": result.differences, "first": result.first}))
        os.replace(temporary, folder / f"{key}.json")
    except OSError:
        pass
