"""A borrowing base defined as a list of lines: '"X" means ... the sum of: (a) 85% of <collateral>; plus (b) the
lesser of (i) the product of 70% multiplied by the value of <collateral> and (ii) the product of 85% multiplied by
the <measure> ..., multiplied by the value of <collateral>, plus (c) ... less the <reserve> attributable to such
..., minus (d) the aggregate amount of <reserves> established by <party>'.

Each item opens a line (its letter, or the "- " or "(z)" of a letter the filing lost). Its collateral class is the
one the vocabulary's labels name by their words (naming.named), its rate the percentages the item writes, a
measure by its label. An item after "minus" is reserves: each reserve a measure or a defined figure. Every item
must be read whole, or nothing is proposed: a line without a rate, a class no label names, or a reserve the
vocabulary lacks leaves the whole definition to the reviewer.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..grammar import snake
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, percent, proposer
from .differences import reserve_against
from .naming import named, term_name, words

_DEFINES = re.compile(rf"^\s*{QUOTE}\s*(?P<term>[^\"”]{{2,60}}?)\s*{END_QUOTE}\s+means\b(?P<intro>[^:]{{0,300}}?)"
                      r"(?:sum\s+of|amount\s+of)\s*:", re.S | re.I)
_ITEM = re.compile(r"(?m)^[ \t]*(?:-|\([a-z]{1,2}\))(?=[ \t\n])")
_CONNECTOR = re.compile(r"[,;]?\s*\b(?P<word>plus|minus|less)\s*$", re.I)
_PROVISO = re.compile(r"[;,.]?\s*\bprovided\s*,?\s+however\b.*$", re.S | re.I)
_SIMPLE = re.compile(r"^(?:at\s+the\s+option\s+of\s+[^,]{1,60},\s+)?(?P<rate>\d+(?:\.\d+)?)\s?%\s+of\s+"
                     r"(?P<what>.+)$", re.S)
_LESSER = re.compile(r"^the\s+lesser\s+of\s+\(i\)\s+(?P<first>.+?),?\s+and\s+\(ii\)\s+(?P<second>.+)$", re.S)
_PRODUCT = re.compile(r"^the\s+product\s+of\s+(?P<rate>\d+(?:\.\d+)?)\s?%\s+multiplied\s+by\s+(?:the\s+"
                      r"(?P<measure>[A-Z][^,]{2,120}?),\s+multiplied\s+by\s+)?the\s+value\s+(?P<what>.+)$", re.S)
_LESS_WITHIN = re.compile(r",?\s+less\s+(?P<less>the\s+amount,\s+if\s+any,\s+of\s+the\s+(?P<name>[A-Z][\w ]{2,60}?)"
                          r"\s+attributable\s+to\s+such\s+[^,;]+)$", re.S)
_RESERVES = re.compile(r"^(?:without\s+duplication,\s+)?the\s+aggregate\s+amount\s+of\s+(?P<names>[^,]+(?:,\s+[^,]+)*?)"
                       r",\s+in\s+each\s+case\s+if\s+any,\s+established\s+by\s+(?P<by>[A-Z]\w+)", re.S)
_PARENTHESES = re.compile(r"\([^()]*\)")


def _flat(text: str) -> str:
    return " ".join(text.split())


@proposer
def borrowing_base_lines(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _DEFINES.match(clause.body)
    if m is None:
        return []
    body_end = len(clause.body)
    proviso = _PROVISO.search(clause.body, m.end())
    if proviso is not None:
        body_end = proviso.start()
    starts = [i.start() for i in _ITEM.finditer(clause.body, m.end(), body_end)]
    if len(starts) < 2:
        return []
    lines: list[dict] = []
    reserves: list[dict] = []
    within: dict[str, tuple[str, str, list[str]]] = {}  # a reserve taken off within lines: figure -> words, classes
    sign = "plus"
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else body_end
        marker = _ITEM.match(clause.body, start)
        assert marker is not None
        item = clause.body[marker.end():end].strip()
        connector = _CONNECTOR.search(item)
        if connector is None and n + 1 < len(starts):
            return []  # items not joined by plus, minus or less: not a list of lines
        text = _flat(item[:connector.start()] if connector else item).rstrip(";,.")
        if sign == "plus":
            less = _LESS_WITHIN.search(text)
            if less is not None:
                name = facility.name(less["name"])
                if name is None:
                    return []
                text = text[:less.start()]
            line = _line(text, facility)
            if line is None:
                return []
            lines.append(line)
            if less is not None and name is not None:
                within.setdefault(name, (_flat(less["less"]), less["name"], []))[2].append(str(line["collateral"]))
        else:
            deduction = _reserves(text, facility)
            if deduction is None:
                return []
            reserves.append(deduction)
        sign = connector["word"].lower() if connector else sign
    if len(lines) < 2 or len({line["collateral"] for line in lines}) != len(lines):
        return []
    term = _flat(m["term"])
    block: dict = {"kind": "borrowing_base", "id": term_name(term), "label": term.title() if term.isupper() else term,
                   "lines": lines}
    for _said, term_words, classes in within.values():
        against = reserve_against(facility, term_words)
        if against is not None and sorted(against) != sorted(classes):
            return []  # the reserve lowers the rate on other classes than the lines it is taken off: not its whole
    deductions = [{"id": f"{name}_deduction", "label": f"less {said} (in each line it is attributable to: the "
                   "parts add up to it, taken off once)", "amount": name} for name, (said, _, _) in within.items()]
    if deductions or reserves:
        block["reserves"] = deductions + reserves
    return [Proposal(block, [clause.span((m.start(), body_end))])]


def _line(text: str, facility: Facility) -> dict | None:
    """One line: "85% of <collateral>", or the lesser of two products of a rate and the same collateral's value."""
    simple = _SIMPLE.match(text)
    if simple is not None:
        collateral = named(facility, "collateral", _PARENTHESES.sub(" ", simple["what"]))
        rate = percent(Decimal(simple["rate"]))
    else:
        lesser = _LESSER.match(text)
        if lesser is None:
            return None
        products = [_PRODUCT.match(lesser[limb].strip()) for limb in ("first", "second")]
        if None in products:
            return None
        classes = [named(facility, "collateral", _PARENTHESES.sub(" ", p["what"])) for p in products if p]
        if None in classes or len({c["id"] for c in classes if c}) != 1:
            return None
        collateral = classes[0]
        rates = []
        for p in products:
            assert p is not None
            rate_words = f"{percent(Decimal(p['rate']))}%"
            if p["measure"]:
                measure = named(facility, "measures", p["measure"])
                if measure is None or measure.get("unit") != "percent":
                    return None
                rate_words += f" * {measure['id']}"
            rates.append(rate_words)
        rate = f"min({', '.join(rates)})"
    if collateral is None:
        return None
    label = _flat(_PARENTHESES.sub(" ", text)).replace(" ,", ",")  # the line's words, its asides left out
    return {"id": f"{re.sub(r'^eligible_', '', str(collateral['id']))}_line", "label": label,
            "collateral": collateral["id"], "rate": rate}


def _reserves(text: str, facility: Facility) -> dict | None:
    """A deduction of reserves: each reserve a measure (by its label's words) or a figure the document defines."""
    m = _RESERVES.match(text)
    if m is None:
        return None
    parts = [p for p in re.split(r",\s+(?:and\s+)?|\s+and\s+", m["names"]) if p.strip()]
    names = []
    for part in parts:
        measure = named(facility, "measures", part, ignore=words(f"established by {m['by']}"))
        if measure is not None and measure.get("unit") == "money":
            names.append(str(measure["id"]))
        elif snake(part) in facility.defined:  # a reserve the document defines
            names.append(snake(part))
        else:
            return None
    return {"id": f"{snake(m['by'])}_reserves", "label": _flat(m.group(0)), "amount": " + ".join(names)}
