"""Errors are values with a source: every problem names the file, the position and the field."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SHOWN_PROBLEMS = 5       # a one-line error names this many problems, then counts the rest
MESSAGE_WIDTH = 400      # characters of one problem's text, at most


def printable(text: str, width: int = MESSAGE_WIDTH) -> str:
    """Text safe for one line of a terminal: control and line-breaking characters escaped, cut short."""
    out = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    joined = "".join(out)
    return joined if len(joined) <= width else joined[:width - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located precisely enough for a person to fix it."""

    file: str
    position: str | None
    field: str | None
    message: str
    event: int | None = None  # the event's place as data, 0 for "event 1" (where a request's event is in its body)

    def __str__(self) -> str:
        where = self.file
        if self.position:
            where += f": {self.position}"
        if self.field:
            where += f": field '{self.field}'"
        return printable(f"{where}: {self.message}")


class InputError(Exception):
    """An input refused whole; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def one_line(self, width: int = 1800) -> str:
        """The first few problems on one line, within `width` characters, and how many more there are."""
        shown: list[str] = []
        for problem in self.problems[:SHOWN_PROBLEMS]:
            text = str(problem)
            if shown and sum(len(s) + 3 for s in shown) + len(text) > width - 40:
                break
            shown.append(text[:width - 40])
        more = len(self.problems) - len(shown)
        line = " | ".join(shown)
        return line if more <= 0 else f"{line} | (and {more} more problem{'s' if more > 1 else ''})"


class RecordError(Exception):
    """A question the record cannot answer (a clause before its first version, a day with no price)."""
