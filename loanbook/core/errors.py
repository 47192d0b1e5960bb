"""Errors are values with a source: every problem names the file, the position and the field."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located precisely enough for a person to fix it."""

    file: str
    position: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.position:
            where += f": {self.position}"
        if self.field:
            where += f": field '{self.field}'"
        return f"{where}: {self.message}"


class InputError(Exception):
    """An input refused whole; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def one_line(self) -> str:
        first = str(self.problems[0])
        more = len(self.problems) - 1
        return first if more == 0 else f"{first} (and {more} more problem{'s' if more > 1 else ''})"


class RecordError(Exception):
    """A question the record cannot answer (a clause before its first version, a day with no price)."""
