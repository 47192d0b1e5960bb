"""The day basis a filing states for interest or for fees, read where the filing states it: in the clause itself, or
in a clause of computation elsewhere ("All interest and fees ... shall be computed on the basis of a 360 day year
...; provided, that interest computed by reference to the Base Rate shall be computed on the basis of a 365 or 366
day year").

Each day basis written in the filing ("a 360 day year", "a year of 365 or 366 days") governs the words before it,
back to the end of the sentence or the semicolon before: that stretch says what it is for (fees, interest, interest
on something named). A stretch that names the rate or the fee asked about wins over one that speaks of all fees or
all interest; two stretches that say different things about the same question leave it unanswered, never guessed.

For fees, a day basis the sentence writes after another, in words that say what they are for ("All interest and
fees ... a 360 day year ..., other than for Base Rate Loans which shall be calculated on the basis of 365 or 366 day
year"), governs those words only: the exception is said of Base Rate Loans, not of the fees the sentence began with.
Words that say nothing of what they are for ("or, if the Agent so elects, a 365 day year") keep the whole sentence.
Interest keeps the whole sentence always: whether a rate's loans are the loans an exception names is not the
sentence's to say.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..agreement.check import located_figures
from .terms import W, flat

_STRETCH_START = re.compile(r"[.;:]\s+|\n\s*\n")
_SAYS_WHAT_FOR = re.compile(r"\b(?:(?i:interest|fees?)|[A-Z][\w-]*\s+(?:Loans?|Rate))\b")


@dataclass(frozen=True)
class DayBasis:
    basis: str  # actual/360, actual/365 or actual/actual
    years: tuple[Decimal, ...]  # as written: (360,), (365, 366)
    said: str  # the stretch that states it, spacing made single
    start: int  # its span in the filing
    end: int


def stated(text: str, after_the_one_before: bool = False) -> list[DayBasis]:
    """Every day basis the text writes, each with the stretch of words it governs (`after_the_one_before`: for a
    basis written after another in the sentence, in words that say what they are for, those words only)."""
    found: list[DayBasis] = []
    figures = [f for f in located_figures(text) if f.figure.kind == "day_basis" and isinstance(f.figure.value,
                                                                                                  Decimal)]
    n, written_before = 0, 0
    while n < len(figures):
        group = [figures[n]]
        while n + len(group) < len(figures) and figures[n + len(group)].start - group[-1].end < 12:
            group.append(figures[n + len(group)])  # "365 or 366": one basis
        n += len(group)
        years = tuple(sorted({f.figure.value for f in group if isinstance(f.figure.value, Decimal)}))
        basis = {(Decimal(360),): "actual/360", (Decimal(365),): "actual/365",
                 (Decimal(365), Decimal(366)): "actual/actual"}.get(years)
        starts = [m.end() for m in _STRETCH_START.finditer(text, 0, group[0].start)]
        start = max(starts, default=0)
        if after_the_one_before and written_before > start and _SAYS_WHAT_FOR.search(text, written_before,
                                                                                     group[0].start):
            start = written_before
        end = written_before = group[-1].end
        if basis is None:
            continue
        found.append(DayBasis(basis, years, " ".join(text[start:end].split()), start, end))
    return found


def for_fees(text: str, fee: str) -> DayBasis | None:
    """The day basis of the fee named `fee` ("Unused Line Fee"): a stretch naming it, else one speaking of fees."""
    return _one(stated(text, after_the_one_before=True),
                [lambda s: bool(re.search(W(fee), s, re.I)), lambda s: bool(re.search(r"\bfees?\b", s, re.I))])


def for_interest(text: str, rate_words: list[str]) -> DayBasis | None:
    """The day basis of interest on loans at a rate, `rate_words` naming them ("US Revolving Loans", "US Base Rate",
    "Base Rate Margin"): the stretches that name one of them, if any, all saying the same (a rate defined with a
    day basis for each of its prongs says two, and is left unanswered); else the stretches that speak of interest
    in general, unless another speaks of interest at a rate whose name is part of one of them ("the Base Rate"
    beside "US Base Rate"): then which applies is unsaid."""
    rate_words = [w for w in rate_words if not re.search(r"\d", w)]  # a margin of 2.50% names nothing
    every = stated(text)
    named = [d for d in every if any(flat(w) in flat(d.said) for w in rate_words)]
    if named:
        return named[0] if len({d.basis for d in named}) == 1 else None
    near = [r for d in every for r in [_rate_named(d.said)] if r and any(flat(r) in flat(w) for w in rate_words)]
    if near:
        return None
    general = [d for d in every if re.search(r"\binterest\b", d.said, re.I) and _rate_named(d.said) is None]
    return general[0] if general and len({d.basis for d in general}) == 1 else None


def _rate_named(stretch: str) -> str | None:
    """The rate or the loans a stretch is about ("interest computed by reference to the Base Rate", "Each Term SOFR
    Loan shall bear interest ..."), if it names one."""
    m = re.search(r"\b(?:by\s+reference\s+to|on|based\s+on|at|[Ee]ach|[Aa]ll|[Aa]ny)\s+(?:the\s+)?"
                  r"(?P<rate>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*\s+(?:Rate|Loans?))\b", stretch)
    return m["rate"] if m else None


def _one(every: list[DayBasis], tests) -> DayBasis | None:
    for test in tests:
        chosen = [d for d in every if test(d.said)]
        if chosen:
            return chosen[0] if len({d.basis for d in chosen}) == 1 else None
    return None


def assumption(basis: DayBasis, clause_start: int, clause_end: int) -> list[dict]:
    """The day basis's years as the check's assumptions, when the clause itself does not write them."""
    if clause_start <= basis.start and basis.end <= clause_end:
        return []
    phrase = re.search(r"(?:a\s+)?(?:year\s+of\s+)?\d{3}(?:\s*(?:-|or|/)\s*\d{3})?[-\s]+days?(?:[-\s]+year)?",
                       basis.said)
    quoted = phrase.group(0) if phrase else basis.said
    return [{"value": str(year), "reason": f'"{quoted}" (the filing\'s clause on computation: "{basis.said[:80]}'
                                           f'{"..." if len(basis.said) > 80 else ""}")'} for year in basis.years]
