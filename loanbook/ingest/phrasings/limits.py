"""What a revolving tranche may borrow against its limits, as credit agreements phrase it:

- availability as the lesser of limits less what is outstanding: "make <Tranche> Advances ... that do not result in
  the sum of (i) <loans> plus (ii) <letters of credit> exceeding the lesser of (A) <limit> and (B) <limit>", or
  "make revolving loans ("<Tranche>") ... not to exceed the lesser of ... (1) <limit>, less the sum of (w) <usage>,
  plus (x) ..., and (1) <limit>, less the sum of ...": what every limit subtracts is the usage; what one limit
  alone subtracts is part of that limit; or "<Tranche> outstanding at any time shall not exceed the lesser of (a)
  <limit> and (b) <limit>", the tranche's loans alone;
- an overadvance as a share of a maximum: "notwithstanding that an Overadvance exists ..., so long as (A) with
  respect to any such <Tranche>, (i) ... the outstanding <usage> does not exceed the <base> by more than 10% of the
  <maximum>, and (ii) ... the sum of the outstanding <usage> and the <other usage> does not exceed the <maximum>".

A name is a tranche's or a contingent kind's (by its label's words), or a figure the document defines; loans a
tranche's label says it includes ("(Swing Loans ... included)") are the tranche's own. Where the register has an
interpretation of the clause one of whose readings is the capacity read, the capacity names it.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..terms import ClauseText, Facility, Proposal, W, percent, proposer, uncited
from .definitions import operands
from .naming import defined_figure, named, tranche_named, words

_NESTED = r"\((?![A-Za-z0-9]{1,4}\))(?!\s*[\"“])[^()]*(?:\([^()]*\)[^()]*)*\)"  # but "(A)", "(iv)", ("X")


def _flat(text: str) -> str:
    """The clause as one line: tables drawn with pipes read as their cells, parentheses of more than a marker out."""
    text = re.sub(r"\[\[/?TABLE\]\]|\|(?:\s*-{3,}\s*\|)+|\|", " ", text)
    text = " ".join(text.split())
    previous = None
    while previous != text:
        previous, text = text, re.sub(_NESTED, " ", text)
    return " ".join(text.split()).replace(" ,", ",").replace(" .", ".")


def _tranche(facility: Facility, phrase: str) -> dict | None:
    entry = tranche_named(facility, phrase)
    return entry if entry is not None and entry.get("type") == "revolving" else None


def _part_of_tranche(tranche: dict, phrase: str) -> bool:
    """Loans the tranche's label says it includes: "US Swing Loans" of "US Revolving Loans (Swing Loans and
    Protective Advances included)"."""
    label = str(tranche.get("label", ""))
    inside = re.search(r"\(([^()]*\bincluded)\)\s*$", label)
    return inside is not None and bool(words(phrase) - words(uncited(label))) and \
        words(phrase) - words(uncited(label)) <= words(inside.group(1))


def _usage(facility: Facility, tranche: dict, phrase: str) -> str | None:
    """The figure an item of usage names: the tranche's loans, a contingent kind's figure, a defined figure."""
    cleaned = re.sub(r"^(?:\s*(?:the|principal|amount|of|outstanding|aggregate|all|dollar\s+equivalent)\b)+", "",
                     phrase.strip(), flags=re.I)
    cleaned = re.sub(r"\s+(?:outstanding\s+)?(?:at\s+such\s+time|then\s+in\s+effect)\s*$", "", cleaned, flags=re.I)
    cleaned = re.sub(r"\s+outstanding\s*$", "", cleaned, flags=re.I)
    contingent = named(facility, "contingents", cleaned)
    if contingent is not None:
        return str(contingent["figure"])
    name = facility.name(cleaned)
    if name is not None:
        return name
    if tranche_named(facility, cleaned) is tranche or _part_of_tranche(tranche, cleaned):
        return str(tranche["figure"])
    return None


def _capacity(clause: ClauseText, facility: Facility, formula: str) -> object:
    """The capacity, or the register's interpretation of the clause that has it as one of its readings."""
    for item in facility.interpretations:
        values = [" ".join(str(r.get("value")).split()) for r in item.get("readings") or []]
        if item.get("clause") == clause.clause_id and formula in values:
            return {"interpretation": str(item["id"])}
    return formula


def _defined_sum(facility: Facility, names: list[str]) -> str | None:
    """The figure the document defines as the sum of exactly these names ("US Revolver Usage" means the sum of
    ...), if one does."""
    for m in re.finditer(r"[\"“]\s*(?P<term>[A-Z][^\"”]{2,60}?)\s*[\"”]\s+means,?\s+(?:as\s+of\s+any\s+date\s+of\s+"
                         r"determination,\s+)?the\s+sum\s+of\s+(?P<parts>.+?)\.\s*(?:\n|$)", facility.text, re.S):
        found = operands(m["parts"], facility)
        if found is not None and sorted(found) == sorted(names):
            return facility.name(m["term"])
    return None


# --- "... that do not result in the sum of (i) ... plus (ii) ... exceeding the lesser of (A) ... and (B) ..." ----

_MAKE = re.compile(r"\bmake\s+(?P<loans>[A-Z][\w ]{2,40}?\s+(?:Advances|Loans))\b")
_SUM_BELOW_LESSER = re.compile(r"(?:result\s+in|cause)\s+the\s+sum\s+of\s+(?P<usage>.+?)\s+(?:exceeding|to\s+exceed)\s+"
                               r"the\s+lesser\s+of\s+(?P<limits>.+?)\.(?:\s|$)", re.S | re.I)
_ROMAN = re.compile(r"\(\s*(?:i|ii|iii|iv|v)\s*\)\s+")
_LETTERED = re.compile(r"\(\s*[A-Za-z]\s*\)\s+")
_OUTSTANDING_BELOW = re.compile(r"(?P<loans>[A-Z][\w ]{2,40}?(?:Loans|Advances))\s+outstanding\s+(?:at\s+any\s+"
                                r"(?:one\s+)?time\s+)?(?:shall|may)\s+not\s+exceed\s+the\s+lesser\s+of\s+"
                                r"(?P<limits>.+?)\.(?:\s|$)", re.S)


@proposer
def availability_below_lesser(clause: ClauseText, facility: Facility) -> list[Proposal]:
    text = _flat(clause.body)
    m = _SUM_BELOW_LESSER.search(text)
    make = _MAKE.search(text, 0, m.start()) if m else None
    alone = _OUTSTANDING_BELOW.search(text) if m is None else None  # "<Loans> outstanding shall not exceed ..."
    tranche = _tranche(facility, make["loans"] if make else alone["loans"] if alone else "")
    found = m or alone
    if found is None or tranche is None:
        return []
    items = [i for i in re.split(r"\s+plus\s+", _ROMAN.sub("", m["usage"]), flags=re.I) if i.strip()] if m else []
    limits = [i for i in re.split(r",?\s+and\s+(?=\(\s*[A-Za-z]\s*\))", found["limits"]) if i.strip()]
    usage = [_usage(facility, tranche, item) for item in items]
    capacity = [defined_figure(facility, _LETTERED.sub("", limit)) for limit in limits]
    if (m and not items) or len(limits) < 2 or None in usage or None in capacity:
        return []
    block = {"kind": "availability", "tranche": tranche["id"],
             "capacity": _capacity(clause, facility, f"min({', '.join(c for c in capacity if c)})")}
    if usage:  # else the tranche's loans alone, the default
        block["usage"] = " + ".join(u for u in usage if u)
    return [Proposal(block, [clause.span(_located(clause.body, found.group(0)))])]


def _located(body: str, flat_words: str) -> tuple[int, int]:
    """Where in the clause's own text a passage of its flattened text runs, from its first words to its last, or
    the whole clause. Flattening only takes text out, so the passage ends no sooner than its flattened length
    after its start: the first place its last words end past that is its end."""
    said = flat_words.split()
    start = re.search(W(" ".join(re.escape(w) for w in said[:4])), body)
    if start is None:
        return (0, len(body))
    last = re.compile(W(" ".join(re.escape(w) for w in said[-3:])))
    end = next((e for e in last.finditer(body, start.start()) if e.end() >= start.start() + len(flat_words)), None)
    return (start.start(), end.end()) if end is not None else (0, len(body))


# --- "make revolving loans ("X") ... not to exceed the lesser of ... (1) <limit>, less the sum of ..." ----------

_LOANS_DEFINED = re.compile(r"\bto\s+make\s+revolving\s+loans\b[^(]{0,80}\(\s*[\"“]\s*(?P<loans>[A-Z][^\"”]{2,60}?)\s*"
                            r"[\"”]\s*\).{0,200}?\bnot\s+to\s+exceed\s+the\s+lesser\s+of\s*:?\s*", re.S)
_PER_LENDER = re.compile(r"\(i\)\s+such\s+Lender['’]s\s+[\w ]{2,60}?Commitment,\s+and\s+\(ii\)\s+such\s+"
                         r"Lender['’]s\s+Pro\s+Rata\s+Share\s+of\s+an\s+amount\s+equal\s+to\s+the\s+"
                         r"(?:lesser|least)\s+of\s*:\s*")
_MARK = r"(?:-\s+|\([A-Z]\)\s+)?"
_LIMB = re.compile(rf"{_MARK}{W('the amount equal to')}\s+\(1\)\s+(?P<limit>[^,]+?),?\s+less\s+(?:\(2\)\s+)?"
                   rf"(?:-\s+)?{W('the sum of')}\s+(?P<less>.+?)"
                   rf"(?P<end>,\s+and\s+(?={_MARK}{W('the amount equal to')}\s+\(1\))|\.(?:\s|$))")


@proposer
def availability_limbs(clause: ClauseText, facility: Facility) -> list[Proposal]:
    text = _flat(clause.body)
    found = []
    for m in _LOANS_DEFINED.finditer(text):
        tranche = _tranche(facility, m["loans"])
        if tranche is None:
            continue
        at = m.end()
        per_lender = _PER_LENDER.match(text, at)
        at = per_lender.end() if per_lender else at
        limbs: list[tuple[str, list[str]]] = []
        while True:
            limb = _LIMB.match(text, at)
            if limb is None:
                break
            limit = defined_figure(facility, limb["limit"])
            items = [re.sub(r"^\([a-z]\)\s+", "", i) for i in re.split(r",?\s+plus\s+(?:-\s+)?", limb["less"])]
            read = [_usage(facility, tranche, item) for item in items]
            if limit is None or None in read:
                limbs = []
                break
            limbs.append((limit, [u for u in read if u]))
            at = limb.end()
            if limb["end"].startswith("."):
                break
        if len(limbs) < 2:
            continue
        common = [u for u in limbs[0][1] if all(u in less for _, less in limbs)]
        usage = list(dict.fromkeys([str(tranche["figure"])] + common))
        limits = []
        for limit, subtracted in limbs:
            extra = [u for u in subtracted if u not in common]
            limits.append(limit if not extra else f"{limit} - {extra[0]}" if len(extra) == 1
                          else f"{limit} - ({' + '.join(extra)})")
        block = {"kind": "availability", "tranche": tranche["id"],
                 "capacity": _capacity(clause, facility, f"min({', '.join(limits)})"),
                 "usage": _defined_sum(facility, usage) or " + ".join(usage)}
        found.append(Proposal(block, [clause.span(_located(clause.body, text[m.start():at]))]))
    return found


# --- an overadvance up to a share of a maximum -----------------------------------------------------------------

_SO_LONG_AS = re.compile(r"notwithstanding\s+that\s+an\s+Overadvance\s+exists\s+or\s+would\s+be\s+created\s+thereby,\s+"
                         r"so\s+long\s+as\s+")
_NAME = r"[A-Z][\w ]{2,60}?"
_SHARE_LIMB = re.compile(rf"\((?P<letter>[A-Z])\)\s+{W('with respect to any such')}\s+(?P<loans>{_NAME}),\s+"
                         rf"(?:\(i\)|-)\s+{W('after giving effect to any such')}\s+[\w ]{{2,40}}?,\s+"
                         rf"{W('the outstanding')}\s+(?P<usage>{_NAME})\s+{W('does not exceed the')}\s+"
                         rf"(?P<against>{_NAME})\s+{W('by more than')}\s+(?P<rate>\d+(?:\.\d+)?)\s?%\s+of\s+the\s+"
                         rf"(?P<of>{_NAME}),\s+and\s+\(ii\)\s+.{{0,80}}?{W('after giving effect to such')}\s+"
                         rf"[\w ]{{2,40}}?,\s+{W('the sum of the outstanding')}\s+(?P<mine>{_NAME})\s+and\s+the\s+"
                         rf"(?P<other>[A-Z][\w ]{{2,80}}?)\s+{W('does not exceed the')}\s+(?P<total>{_NAME})"
                         r"(?=\s+and\s+\([A-Z]\)|[.,;])")
_MAY_NOT_OBLIGED = re.compile(r"\bmay,?\s+but\s+(?:is|are|shall\s+be)\s+not\s+obligated\s+to\b")


@proposer
def overadvance_share(clause: ClauseText, facility: Facility) -> list[Proposal]:
    text = _flat(clause.body)
    opened = _SO_LONG_AS.search(text)
    if opened is None:
        return []
    found = []
    for m in _SHARE_LIMB.finditer(text, opened.end()):
        tranche = _tranche(facility, m["loans"])
        names = [defined_figure(facility, m[g]) for g in ("usage", "against", "of", "mine", "total")]
        other = defined_figure(facility, re.sub(r"^Dollar\s+Equivalent\s+of\s+the\s+", "", m["other"]))
        if tranche is None or None in names or other is None or names[0] != names[3]:
            continue
        _, against, maximum, _, total = names
        block = {"kind": "overadvance", "tranche": tranche["id"], "measured_against": against,
                 "cap": f"{percent(Decimal(m['rate']))}% * {maximum}", "total_ceiling": f"{total} - {other}",
                 "discretionary": _MAY_NOT_OBLIGED.search(text, 0, opened.start()) is not None}
        found.append(Proposal(block, [clause.span(_located(clause.body, m.group(0)))]))
    return found
