"""A rate defined as the greatest of its limbs: '"US Base Rate" means, for any day, the greatest of (a) the Floor,
(b) the Federal Funds Rate in effect on such day plus 1/2%, (c) Term SOFR (... an Interest Period of 1 month ...),
plus 1 percentage point, and (d) the rate of interest announced ... as its "prime rate"'.

Each limb is read alone, and each must be one of: a term the filing defines as a rate ("Floor" means a rate of
interest equal to 0%: the percentage, cited as an assumption), an index of the vocabulary by its label, plus a
percentage or not, where an interest period the limb states is part of the index's label ("one-month Term SOFR"), or
the rate a bank announces "as its 'prime rate'" (the index so labelled). A limb that is none of these, labels out of
order, or a proviso that switches a limb off on a condition the engine cannot test beyond its index being
published, leave the definition unproposed. Text in angle brackets is what a conformed copy strikes ("<the LIBOR
Rate>"): the amendment deletes it, so it is not read.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ...agreement.check import located_figures
from ..grammar import snake
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, flat, percent, proposer, uncited
from .definitions import defined_label

_GREATEST = re.compile(rf"^\s*{QUOTE}\s*(?P<term>[^\"”]+?)\s*{END_QUOTE}\s+means\s*,?\s+(?:for\s+any\s+day\s*,\s+)?"
                       r"the\s+(?:greatest|highest)\s+of\s+(?P<limbs>\(\s*a\s*\).+)$", re.S)
_STRUCK = re.compile(r"<(?=[^\s\d<>])[^<>]{1,400}?>")
_LABEL = re.compile(r"\(\s*(?P<letter>[a-z])\s*\)")
_PROVISO = re.compile(r",?\s+(?:provided\b|with\s+the\s+understanding\s+that)\b.*$", re.S)
_NUMBERS = {"1": "one", "3": "three", "6": "six", "12": "twelve"}
_INDEX = re.compile(r"^(?:the\s+)?(?P<index>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)(?:\s+in\s+effect\s+on\s+such\s+day)?"
                    r"(?:\s*\((?P<said>[^()]*)\))?(?:\s*,?\s+plus\s+(?P<plus>.+?))?$", re.S)
_ANNOUNCED = re.compile(rf"^(?:the\s+)?rate\s+of\s+interest\s+(?:publicly\s+)?announced\b.{{0,200}}?\bas\s+its\s+"
                        rf"{QUOTE}(?P<name>[^\"”’]+){END_QUOTE}(?:\s+in\s+effect\s+on\s+such\s+day)?$", re.S)
_PERIOD = re.compile(r"\bInterest\s+Period\s+of\s+(?P<n>\d{1,2}|one|three|six|twelve)\s+months?\b", re.I)


@proposer
def greatest_of(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _GREATEST.match(clause.body)
    if m is None:
        return []
    limbs = _limbs(_STRUCK.sub(" ", m["limbs"]))
    if limbs is None:
        return []
    values, assumptions = [], []
    for limb in limbs:
        read = _limb(limb, facility)
        if read is None:
            return []
        values.append(read[0])
        assumptions += read[1]
    term = " ".join(m["term"].split())
    figure = {"id": snake(term), "label": defined_label(term), "unit": "percent", "value": f"max({', '.join(values)})"}
    return [Proposal({"kind": "definitions", "figures": [figure]}, [clause.span(m)], assumptions)]


def _limbs(said: str) -> list[str] | None:
    """The limbs in their order, each without its label, the "and" before the last or a proviso on it; None where
    the labels do not run (a), (b), (c) ... (a label out of order is a cross-reference: "this clause (c)")."""
    starts, expected = [], "a"
    for m in _LABEL.finditer(said):
        if m["letter"] == expected:
            starts.append(m)
            expected = chr(ord(expected) + 1)
    if len(starts) < 2:
        return None
    limbs = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(said)
        words = said[m.end():end]
        proviso = _PROVISO.search(words)
        if proviso is not None:
            if not _harmless(" ".join(proviso.group(0).split()), words[:proviso.start()]):
                return None
            words = words[:proviso.start()]
        words = re.sub(r"(?:,?\s+and)?[\s,;]*$", "", words).rstrip(". ")
        limbs.append(" ".join(words.split()))
    return limbs


def _harmless(proviso: str, limb: str) -> bool:
    """A proviso that changes nothing the engine computes: an explanation of the rate ("with the understanding that
    the 'prime rate' is one of ... base rates"), or the limb switched off while its own index is not published (the
    engine reads the index as published)."""
    if proviso.lstrip(", ").startswith("with the understanding that"):
        return True
    off = re.match(r",?\s*provided\s+that\s+this\s+clause\s+\([a-z]\)\s+shall\s+not\s+be\s+applicable\s+during\s+any\s+"
                   r"period\s+in\s+which\s+(?P<index>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)\s+is\s+unavailable\s+or\s+"
                   r"unascertainable[\s,;]*(?:and\s*)?$", proviso)
    return off is not None and re.match(rf"\s*(?:the\s+)?{re.escape(off['index'])}\b", limb) is not None


def _limb(words: str, facility: Facility) -> tuple[str, list[dict]] | None:
    announced = _ANNOUNCED.match(words)
    if announced:
        index = _index(facility, announced["name"])
        return (index, []) if index else None
    m = _INDEX.match(words)
    if m is None:
        return None
    name = " ".join(m["index"].split())
    if m["said"] is not None:  # "(which rate shall be calculated based upon an Interest Period of 1 month ...)"
        period = _PERIOD.search(m["said"])
        if period is None:
            return None
        name = f"{_NUMBERS.get(period['n'], period['n'])}-month {name}"
    plus = None
    if m["plus"] is not None:
        figures = [f.figure.value for f in located_figures(m["plus"]) if f.figure.kind == "percent"]
        if len(figures) != 1 or not isinstance(figures[0], Decimal):
            return None
        plus = f"{percent(figures[0])}%"
    index = _index(facility, name)
    if index is not None:
        return (f"{index} + {plus}" if plus else index), []
    if plus is None and m["said"] is None:
        return _defined_rate(facility, name)
    return None


def _index(facility: Facility, words: str) -> str | None:
    said = flat(words)
    found = [str(e["id"]) for e in facility.entries("indices") if flat(uncited(str(e.get("label", "")))) == said]
    return found[0] if len(found) == 1 else None


def _defined_rate(facility: Facility, term: str) -> tuple[str, list[dict]] | None:
    """A term the filing defines as a fixed rate: '"Floor" means a rate of interest equal to 0%.'"""
    m = re.search(rf"{QUOTE}\s*{re.escape(term)}\s*{END_QUOTE}\s+means\s+", facility.text)
    if m is None:
        return None
    said = re.split(r"\.(?:\s|$)", " ".join(_STRUCK.sub(" ", facility.text[m.end():m.end() + 800]).split()))[0]
    rate = re.fullmatch(r"(?:a\s+)?rate\s+(?:of\s+interest\s+|per\s+annum\s+)?equal\s+to\s+(?P<rate>\d+(?:\.\d+)?\s?%)",
                        said)
    if rate is None:
        return None
    value = Decimal(rate["rate"].rstrip("% "))
    return f"{percent(value)}%", [{"value": percent(value), "reason": f'"{term}" means {said}'}]
