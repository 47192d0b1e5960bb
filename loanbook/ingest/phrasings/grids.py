"""A grid of levels in a table: '"Applicable Margin" means ... the margin set forth in the following table that
corresponds to the <measure>' over rows "Level | <bounds of the measure> | <a value a column>" (`level_grid`).

Read from the clause: the levels (their names, consecutive: I, II, III or 1, 2, 3), each level's bounds as the
words or symbols say ("equal to or greater than 4.00 to 1.00" is a lower bound that holds 4.00, "> 2.25:1.00" one
that does not, "less than 35%" an upper bound that does not), the measure (the bounds column's header, a measure of
the vocabulary by its label, reported by a certificate), the columns (each named by the term its header defines, or
by its header, "Applicable" left out: the column is the value that applies), their values in percent or basis
points as the text writes them, the certificate (the one document of the vocabulary the clause names; for a measure
"as determined by Agent", the Agent's determination of it, which applies when made), when a reported level takes
effect, and the levels an Event of Default or a late certificate forces. A forced window may start on a date a term
stands for, read from the term's definition elsewhere in the filing. Where the register has an interpretation of
the clause whose readings give the levels, the levels name it. What cannot be read is left out (a forced window from
a date the filing does not give); a grid the kind would refuse (a gap or an overlap between levels, a column without
a level's value, a table whose columns do not line up) proposes nothing.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import ValidationError

from ...agreement.check import located_figures
from ...agreement.kinds_pricing import LevelGrid
from ..grammar import snake
from ..tables import Table, tables
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, flat, proposer, uncited

_DEFINES = re.compile(rf"^\s*{QUOTE}\s*(?P<term>[^\"”]+?)\s*{END_QUOTE}\s+(?:means|shall\s+mean)\b")
_LEVEL_HEADER = re.compile(r"^(?:(?:applicable\s+)?(?:pricing\s+)?(?:level|tier|category))$", re.I)
_LEVEL_NAME = re.compile(r"^(?:(?:Pricing\s+)?(?:Level|Tier|Category)\s+)?(?P<name>[IVX]{1,5}|\d{1,2}|[A-F])\.?$")
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]

# A bound: its comparison and its number ("4.00 to 1.00", "2.25:1.00", "35%", "35% of the Maximum Revolver Amount")
_COMPARISONS = [
    (r"equal\s+to\s+or\s+greater\s+than|greater\s+than\s+or\s+equal\s+to|at\s+least|not\s+less\s+than|≥|>=",
     "lower", True),
    (r"equal\s+to\s+or\s+less\s+than|less\s+than\s+or\s+equal\s+to|at\s+most|not\s+(?:more|greater)\s+than|"
     r"up\s+to\s+and\s+including|≤|<=", "upper", True),
    (r"greater\s+than|more\s+than|in\s+excess\s+of|above|>", "lower", False),
    (r"less\s+than|below|<", "upper", False),
]
_NUMBER = (r"(?P<number>\d+(?:\.\d+)?)\s*(?:(?P<ratio>:\s*1(?:\.0+)?|to\s+1(?:\.0+)?)(?![\d.])|"
           r"(?P<percent>%|percent\b))?")
_OF_BASE = r"(?:\s+of\s+(?:the\s+)?(?P<base>(?-i:[A-Z]\w*(?:\s+(?:of\s+)?[A-Z]\w*)*)))?"
_BOUND = re.compile(r"\s*(?:" + "|".join(f"(?P<c{i}>{c})" for i, (c, _, _) in enumerate(_COMPARISONS)) + r")\s*"
                    + _NUMBER + _OF_BASE + r"\s*(?:,|;|\.|and\b|but\b)?", re.I)

_VALUE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>%|percent|percentage\s+points?|basis\s+points?|bps)?"
                    r"(?:\s+per\s+annum)?$", re.I)
_IN_POINTS = re.compile(r"\bbasis\s+points\b|\bbps\b", re.I)
_IN_PERCENT = re.compile(r"%|\bpercent", re.I)
_HEADER_TERM = re.compile(rf"\(\s*(?:the\s+)?{QUOTE}\s*(?P<term>[^\"”]+?)\s*{END_QUOTE}\s*\)")

_EFFECTIVE = [
    ("next_month_after_delivery", re.compile(r"first\s+day\s+of\s+the\s+(?:calendar\s+|fiscal\s+)?month\s+"
                                             r"(?:following|after)\s+(?:the\s+(?:date\s+of\s+)?)?(?:its\s+)?"
                                             r"deliver", re.I)),
    ("next_quarter_after_delivery", re.compile(r"first\s+day\s+of\s+the\s+(?:calendar\s+|fiscal\s+)?quarter\s+"
                                               r"(?:following|after)\s+(?:the\s+(?:date\s+of\s+)?)?(?:its\s+)?"
                                               r"deliver", re.I)),
    ("business_days_after_delivery", re.compile(r"(?P<days>\d{1,2}(?:st|nd|rd|th)?|[a-z]+)(?:\s+\(\d{1,2}"
                                                r"(?:st|nd|rd|th)?\))?\s+Business\s+Days?\s+(?:after|following)\s+"
                                                r"(?:the\s+(?:date\s+of\s+)?)?(?:its\s+)?deliver", re.I)),
    ("on_delivery", re.compile(r"(?:effective\s+)?(?:on|as\s+of)\s+the\s+date\s+of\s+(?:its\s+|such\s+)?delivery|"
                               r"upon\s+(?:its\s+|such\s+)?delivery", re.I)),
]
_WORD_DAYS_CARDINAL = {w: n for n, w in enumerate("one two three four five six seven eight nine ten".split(), start=1)}
_WORD_DAYS = _WORD_DAYS_CARDINAL | {
    w: n for n, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth".split(), start=1)}
_LEVEL_CITED = (rf"(?:row\s+styled\s+)?{QUOTE}?\s*(?:Pricing\s+)?(?:Level|Tier|Category)\s+"
                r"(?P<level>[IVX]{1,5}|\d{1,2}|[A-F])\b")
_DEFAULT_LEVEL = re.compile(r"Event\s+of\s+Default\s+(?:has\s+occurred\s+and\s+)?(?:is\s+continuing|exists|shall\s+"
                            r"have\s+occurred\s+and\s+be\s+continuing)[^.]{0,200}?" + _LEVEL_CITED, re.S)
_LATE_LEVEL = re.compile(r"fails?\s+to\s+(?:deliver|provide|furnish)\b[^.]{0,300}?" + _LEVEL_CITED, re.S)
_FORCED = re.compile(r"for\s+the\s+period\s+from\s+(?P<from>[^;]{1,60}?)\s+(?:through|to)\s+(?:and\s+including\s+)?"
                     r"(?P<to>[^;]{1,40}?\d{4}),\s+[^.]{0,160}?" + _LEVEL_CITED, re.S)
_LATE_STARTS = [
    ("first_of_next_month_after_due", re.compile(r"first\s+day\s+of\s+the\s+month\s+following\s+the\s+date\s+on\s+"
                                                 r"which\s+[^.]{0,60}?(?:required\s+to\s+be\s+delivered|due)", re.S)),
    ("period_start", re.compile(r"prior\s+to\s+the\s+commencement\s+of\s+(?:such|that|the)\s+[A-Z]?\w*\s*Period",
                                re.S)),
]


@proposer
def level_grid(clause: ClauseText, facility: Facility) -> list[Proposal]:
    defined = _DEFINES.match(clause.body)
    if defined is None:
        return []
    found = []
    for table in tables(clause.body):
        if table.header and _LEVEL_HEADER.match(" ".join(table.header[0].split())):
            proposal = _grid(clause, facility, " ".join(defined["term"].split()), table)
            if proposal is not None:
                found.append(proposal)
    return found


def _grid(clause: ClauseText, facility: Facility, term: str, table: Table) -> Proposal | None:
    if not table.aligned or len(table.rows) < 2 or len(table.header) < 3:
        return None
    names = [_level_name(row[0].text) for row in table.rows]
    if None in names or not _consecutive([n for n in names if n]):
        return None  # a level without a name, or a level missing from the sequence
    bounds_at = [i for i in range(1, len(table.header)) if all(_bounds(row[i].text) for row in table.rows)]
    if len(bounds_at) != 1:
        return None
    column = bounds_at[0]
    measure = _measure(facility, table.header[column])
    if measure is None or not measure.get("period"):
        return None  # no measure of the vocabulary, or one no certificate reports
    levels = []
    for name, row in zip(names, table.rows):
        level = _level(str(name), row[column].text, measure)
        if level is None:
            return None
        levels.append(level)
    values = []
    for i in range(1, len(table.header)):
        if i == column:
            continue
        value = _column(table.header[i], [row[i].text for row in table.rows], [str(n) for n in names], clause.body)
        if value is None:
            return None
        values.append(value)
    if len({v["id"] for v in values}) != len(values):
        return None
    takes = _takes_effect(clause.body)
    certificate = _certificate(facility, clause.body)
    determination = _determination(facility, clause.body, measure)
    if certificate is None and determination is not None:  # the measure is the Agent's to determine, not reported
        certificate = determination
        takes = {"takes_effect": "on_delivery"} if takes is None and _REDETERMINED.search(clause.body) else takes
    if takes is None or certificate is None:
        return None
    base = re.sub(r"^applicable\s+", "", term, flags=re.I)
    block: dict[str, Any] = {"kind": "level_grid", "id": snake(base) if base.lower().endswith("level") else
                             f"{snake(base)}_level",
                             "label": term if term.lower().endswith("level") else f"{term} level",
                             "measure": measure["id"], "certificate": certificate}
    known = {str(n) for n in names}
    reading = _levels_interpretation(facility, clause.clause_id, known)
    block["levels"] = {"interpretation": reading[0]} if reading else levels
    block["values"] = values
    assumed = takes.pop("assumed", None)
    block.update(takes)
    spans = [clause.span((table.start, table.end))]
    forced = []
    defined_dates: list[dict] = []
    for m in _FORCED.finditer(clause.body):  # a window from a date the filing does not give is left out
        start, end = clause.dates_in(m.start("from"), m.end("from")), clause.dates_in(m.start("to"), m.end("to"))
        if not start:
            day = defined_date(m["from"], facility.text)
            start = [day[0]] if day else []
            defined_dates += [day[1]] if day else []
        if m["level"] in known and len(start) == 1 and len(end) == 1:
            forced.append({"level": m["level"], "from": start[0], "to": end[0]})
            spans.append(clause.span(m))
    if forced:
        block["forced"] = forced
    for key, pattern in (("while_default", _DEFAULT_LEVEL), ("while_late", _LATE_LEVEL)):
        said = pattern.search(clause.body)
        if said is None:
            continue
        if said["level"] not in known:
            return None
        block[key] = said["level"] if key == "while_default" else {"level": said["level"], "starts": _late_starts(
            clause.body[said.start():said.end() + 300])}
        spans.append(clause.span(said))
    try:  # the kind's own rules: levels that cover every value once, a value for each level of each column
        LevelGrid.model_validate(block | {"levels": reading[1]} if reading else block)
    except ValidationError:
        return None
    return Proposal(block, spans, ([assumed] if assumed else []) + defined_dates)


def _level_name(cell: str) -> str | None:
    m = _LEVEL_NAME.match(" ".join(cell.split()))
    return m["name"] if m else None


def _consecutive(names: list[str]) -> bool:
    if all(n in _ROMAN for n in names):
        order = [_ROMAN.index(n) for n in names]
    elif all(n.isdigit() for n in names):
        order = [int(n) for n in names]
    elif all(len(n) == 1 and n.isalpha() for n in names):
        order = [ord(n) for n in names]
    else:
        return False
    return order == list(range(order[0], order[0] + len(order)))


def _bounds(cell: str) -> list[re.Match] | None:
    """The bounds a cell states, every word of it read (a measure's name before them aside); None otherwise."""
    words = " ".join(cell.split())
    first = _BOUND.search(words)
    if first is None or re.search(r"\d", words[:first.start()]):
        return None
    found, at = [], first.start()
    while at < len(words):
        m = _BOUND.match(words, at)
        if m is None:
            return None
        found.append(m)
        at = m.end()
    return found


def _measure(facility: Facility, header: str) -> dict | None:
    said = flat(header)
    matches = [m for m in facility.entries("measures") if flat(uncited(str(m.get("label", "")))) == said]
    return matches[0] if len(matches) == 1 else None


def _level(name: str, cell: str, measure: dict) -> dict | None:
    level: dict[str, Any] = {"level": name}
    words = " ".join(cell.split())
    prefix = words[:_BOUND.search(words).start()].strip()  # type: ignore[union-attr]
    if prefix and flat(prefix) != flat(uncited(str(measure.get("label", "")))):
        return None  # words before the bounds that are not the measure's name
    for m in _bounds(cell) or []:
        i = next(n for n in range(len(_COMPARISONS)) if m[f"c{n}"])
        side, inclusive = _COMPARISONS[i][1], _COMPARISONS[i][2]
        if side in level:
            return None  # two lower (or two upper) bounds: not a level
        if (m["percent"] is not None) != (measure.get("unit") == "percent") or (m["ratio"] and
                                                                                 measure.get("unit") != "number"):
            return None  # a percentage bound on a measure that is no percentage, or the reverse
        if m["base"] and flat(m["base"]) not in flat(str(measure.get("label", ""))):
            return None  # a percentage of something the measure is not a percentage of
        level[side] = m["number"]
        if side == "lower" and not inclusive:
            level["lower_inclusive"] = False
        if side == "upper" and inclusive:
            level["upper_inclusive"] = True
    ordered = {"level": name}
    for key in ("lower", "lower_inclusive", "upper", "upper_inclusive"):
        if key in level:
            ordered[key] = level[key]
    return ordered


def _column(header: str, cells: list[str], names: list[str], body: str) -> dict | None:
    """A column of values: its name, and each level's value as the text writes it, in percent or basis points."""
    words = " ".join(header.split())
    defined = _HEADER_TERM.search(words)
    label = " ".join(defined["term"].split()) if defined else re.sub(r"\s*\((?:in\s+)?(?:%|bps|basis\s+points|percent|"
                                                                     r"per\s+annum)\)$", "", words, flags=re.I)
    if not re.fullmatch(r"[A-Z][\w-]*(?:\s+(?:of|for|on|[A-Z][\w-]*))*", label):
        return None
    points = bool(_IN_POINTS.search(words)) or bool(re.search(r"\(expressed\s+in\s+basis\s+points\)", body, re.I))
    percent = bool(_IN_PERCENT.search(words))
    by_level, units = {}, set()
    for name, cell in zip(names, cells):
        m = _VALUE.match(" ".join(cell.split()))
        if m is None:
            return None
        unit = (m["unit"] or "").lower()
        units.add("points" if _IN_POINTS.fullmatch(unit) else "percent" if unit else
                  "points" if points and not percent else "percent" if percent and not points else "")
        by_level[name] = m["number"]
    if len(units) != 1 or "" in units:
        return None  # a column whose values' unit the text does not say, or says two ways
    column: dict[str, Any] = {"id": snake(re.sub(r"^applicable\s+", "", label, flags=re.I)), "label": label}
    if units == {"points"}:
        column["basis_points"] = True
    column["by_level"] = by_level
    return column


def _takes_effect(body: str) -> dict | None:
    found = [(rule, m) for rule, pattern in _EFFECTIVE for m in [pattern.search(body)] if m]
    if len(found) != 1:
        return None  # none, or two rules: not guessed
    rule, m = found[0]
    if rule == "business_days_after_delivery":
        days = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", m["days"].lower())
        if not days.isdigit() and days not in _WORD_DAYS:
            return None
        count = int(days) if days.isdigit() else _WORD_DAYS[days]
        said = {"takes_effect": rule, "business_days": count}
        if days != m["days"].lower() or days in _WORD_DAYS and days not in _WORD_DAYS_CARDINAL:
            said["assumed"] = {"value": str(count), "reason": f'"{" ".join(m.group(0).split())}": the day is counted '
                                                              f'as {count} Business Days after delivery'}
        return said
    return {"takes_effect": rule}


def _certificate(facility: Facility, body: str) -> str | None:
    said = flat(body)
    named = [d["id"] for d in facility.entries("documents") if flat(uncited(str(d.get("label", "")))) in said]
    return named[0] if len(named) == 1 else None


_DETERMINED_BY = re.compile(r"\bas\s+determined\s+by\s+(?:the\s+)?(?P<who>Agent|Lender|Bank)\b")
_REDETERMINED = re.compile(r"\bre-?determined\s+on\s+the\s+first\s+(?:date|day)\s+of\s+each\s+(?:calendar\s+)?"
                           r"(?:quarter|month)\s+by\s+(?:the\s+)?(?:Agent|Lender|Bank)\b")


def _determination(facility: Facility, body: str, measure: dict) -> str | None:
    """Where the measure is "as determined by Agent", no borrower's certificate reports it: the document of the
    vocabulary that is the Agent's determination of that measure ("the Agent's determination of Average Revolver
    Usage for the quarter"), if there is exactly one."""
    said = _DETERMINED_BY.search(body)
    if said is None:
        return None
    of = flat(uncited(str(measure.get("label", ""))))
    named = [d["id"] for d in facility.entries("documents") for label in [flat(str(d.get("label", "")))]
             if re.match(rf"(?:the\s+)?{said['who'].lower()}s?\s+determination\s+of\s+", label) and of in label]
    return named[0] if len(named) == 1 else None


def defined_date(words: str, text: str) -> tuple[date, dict] | None:
    """The date a term the filing defines as one stands for ("the First Amendment Effective Date", defined '"First
    Amendment Effective Date" means December 14, 2021.'), with the assumption that cites the definition."""
    term = re.sub(r"^the\s+", "", " ".join(words.split()))
    if not re.fullmatch(r"[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*\s+Date", term):
        return None
    m = re.search(rf"{QUOTE}\s*{_words(term)}\s*{END_QUOTE}\s+means\s+(?P<date>[A-Z][a-z]+\s+\d{{1,2}},\s+\d{{4}})\.",
                  text)
    days = [f.figure.value for f in located_figures(m["date"]) if isinstance(f.figure.value, date)] if m else []
    if len(days) != 1:
        return None
    return days[0], {"value": days[0].isoformat(), "reason": f'"{term}" means {" ".join(m["date"].split())} (its '  # type: ignore[index]
                                                             f'definition)'}


def _levels_interpretation(facility: Facility, clause_id: str, known: set[str]) -> tuple[str, list] | None:
    """The register's interpretation of the clause whose readings each give the levels (all of them, by name),
    with the reading in force: it settles bounds the text leaves open."""
    def gives_levels(value: object) -> bool:
        return isinstance(value, list) and {str(v.get("level")) for v in value if isinstance(v, dict)} == known
    found = facility.interpretation(clause_id, gives_levels)
    if found is None:
        return None
    item = next(i for i in facility.interpretations if i.get("id") == found)
    in_force = next((r for r in item.get("readings") or [] if r.get("id") == item.get("in_force")), None)
    return (found, in_force["value"]) if in_force else None


def _late_starts(sentence: str) -> str:
    return next((rule for rule, pattern in _LATE_STARTS if pattern.search(sentence)), "day_after_due")


# --- the names of what a grid or a definition gives, for the clauses that use them ----------------------------------

_TERM_DEFINED = re.compile(rf"\(\s*(?:the\s+|each,?\s+|an?\s+)?{QUOTE}\s*(?P<a>[A-Z][^\"”]{{0,80}}?)\s*{END_QUOTE}"
                           rf"|{QUOTE}\s*(?P<b>[A-Z][^\"”\n]{{0,80}}?)\s*{END_QUOTE}\s+(?:means|shall\s+mean)\b")


def _plain(words: str) -> str:
    return flat(re.sub(r"-\s+", "-", words))


def figure_of(words: str, facility: Facility) -> str | None:
    """The name a formula uses for a figure the text speaks of ("the Applicable Commitment Fee Rate", "the US Base
    Rate"): the vocabulary's or a defined figure's name, else a term the filing defines, named as a grid names its
    column ("Applicable" left out); None for words that are neither."""
    words = re.sub(r"^the\s+", "", " ".join(words.split()), flags=re.I)
    as_column = snake(re.sub(r"^applicable\s+", "", re.sub(r"-\s+", "-", words), flags=re.I))
    if _by_level(words, facility.text):
        return as_column  # a grid's column defined on its own: named as the grid names it
    named = facility.name(words)
    if named is not None:
        return named
    wanted = _plain(words)
    for m in _TERM_DEFINED.finditer(facility.text):
        if _plain(m["a"] or m["b"]) == wanted:
            return as_column
    return None


def _words(words: str) -> str:
    return r"\s+".join(re.escape(w) for w in words.split())


def _by_level(words: str, text: str) -> bool:
    """Whether the filing defines `words` as the value a level gives ('"Applicable Commitment Fee Rate" means, for
    each Pricing Period, the rate set forth below ... opposite the Applicable Pricing Level', '... the applicable
    percentage set forth in the following table that corresponds to the Average Revolver Usage'): a grid's column,
    named as the grid names it though the filing defines the term."""
    m = re.search(rf"{QUOTE}\s*{_words(words)}\s*{END_QUOTE}\s+(?:means|shall\s+mean)\b(?P<said>[^.]{{0,300}})",
                  text, re.I)
    return m is not None and _GIVEN_BY_LEVEL.search(m["said"]) is not None


_GIVEN_BY_LEVEL = re.compile(r"\bset\s+forth\s+(?:below\b[^.]*\bopposite\s+the\s+(?:applicable\s+)?"
                             r"(?:pricing\s+)?level\b|in\s+the\s+following\s+table\s+that\s+corresponds\s+to\b)", re.I)
