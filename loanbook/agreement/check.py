"""The fidelity check: the terms say what the text says, and exactly one version is in force each day.

Every amount, percentage, ratio, threshold, day count and date in a clause's text must be used by its
terms, or be declared `not_encoded` with a reason (so a folder can be honest about what it leaves out
and still pass); every number in the terms must appear in the text, be declared an assumption with a
reason, or come from an interpretation of the register. A clause whose text defines a computed figure
but that carries no terms is a difference. A sweep over every day from a clause's first version to the
end of the record finds gaps and overlaps, of versions and of the dated schedules inside their terms.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel

from ..core.dates import parse_iso_date
from ..core.periods import period_ends
from .formula import BinOp, Call, Formula, Neg, Node, Num
from .kinds import BorrowingBase, PricingGrid
from .kinds_covenants import Covenant
from .kinds_eligibility import Eligibility
from .kinds_pricing import LevelGrid
from .model import Agreement, Clause, ClauseVersion
from .quantity import Schedule, StepDown

MONTHS = ("january february march april may june july august september october november december").split()
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
_AMOUNT = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{2})?")
_BARE_AMOUNT = re.compile(r"(?<![\d$.,])(\d{1,3}(?:,\d{3})+)(\.\d{2})?(?![\d,]*\d)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
_POINTS = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s+percentage points?\b")
_FRACTION = re.compile(r"([0-9]+)\s*[/\u2044]\s*([0-9]+)(?:\s+of\s+([0-9]+(?:\.[0-9]+)?))?\s?%")
_TABLE_ROW = re.compile(r"(?m)^\s*(?:[IVX]{1,4}|[0-9]{1,2})\s+([0-9]{1,3}\.[0-9]{2})\s*$")
_LONG_DATE = re.compile(_MONTH + r"\s+(\d{1,2}),\s+(\d{4})(?!\d)")
_TRUNCATED_DATE = re.compile(_MONTH + r"\s+(\d{1,2}),\s+(\d{1,3})(?![\d,])")
_SHORT_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?![\d/])")
_RATIO = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?::|to)\s*(1(?:\.0+)?)(?![\d.])")
_THRESHOLD = re.compile(r"(?:[<>≤≥]=?|greater than|less than|at least|not (?:more|less) than|exceeds?|"
                        r"below|above)\s*(?:or equal to\s*)?(\d+\.\d+)(?![\d.])")
_DAYS = re.compile(r"(?<![\d.])(\d{1,4})\)?\s+(?:calendar\s+|[Bb]usiness\s+|[Bb]anking\s+)?[Dd]ays\b")
_COUNT = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                    r"fifteen|twenty|thirty|forty|forty-five|sixty|ninety)\s+\(([0-9]{1,3})\)", re.I)
_BASIS_POINTS = re.compile(r"\bbasis\s+points?\b|\bbps\b", re.I)
_DEFINES = re.compile(r"\b(means|shall be)\b.{0,200}?\b(the lesser of|the greater of|the sum of|multiplied by|"
                      r"times|plus|minus|less)\b", re.S)


@dataclass(frozen=True)
class Finding:
    severity: str  # difference | resolved | note
    clause: str
    message: str

    def as_dict(self) -> dict:
        return {"severity": self.severity, "clause": self.clause, "message": self.message}


@dataclass(frozen=True)
class TextFigure:
    kind: str  # amount | percent | date | truncated_date | ratio | days
    value: object
    written: str


def text_figures(text: str) -> list[TextFigure]:
    """The amounts, percentages, ratios, thresholds, day counts and dates a clause's text states."""
    found = []
    for m in _AMOUNT.finditer(text):
        found.append(TextFigure("amount", Decimal(m.group(1).replace(",", "") + (m.group(2) or "")), m.group(0)))
    for m in _BARE_AMOUNT.finditer(text):
        found.append(TextFigure("amount", Decimal(m.group(1).replace(",", "") + (m.group(2) or "")), m.group(0)))
    fractions = [(m.start(), m.end()) for m in _FRACTION.finditer(text)]
    for m in _FRACTION.finditer(text):  # "1/2 of 1%" and "1/2%" are 0.5%
        found.append(TextFigure("percent", Decimal(m.group(1)) / Decimal(m.group(2)) * Decimal(m.group(3) or 1),
                                m.group(0)))
    for m in _PERCENT.finditer(text):
        if not any(a <= m.start() < b for a, b in fractions):
            found.append(TextFigure("percent", Decimal(m.group(1)), m.group(0)))
    for m in _POINTS.finditer(text):
        found.append(TextFigure("percent", Decimal(m.group(1)), m.group(0)))
    for m in _TABLE_ROW.finditer(text):  # a row of a table: a level and its figure
        found.append(TextFigure("table", Decimal(m.group(1)), m.group(0).strip()))
    for m in _RATIO.finditer(text):
        found.append(TextFigure("ratio", Decimal(m.group(1)) / Decimal(m.group(2)), m.group(0)))
    for m in _THRESHOLD.finditer(text):
        found.append(TextFigure("ratio", Decimal(m.group(1)), m.group(0)))
    for m in _DAYS.finditer(text):
        found.append(TextFigure("days", Decimal(m.group(1)), m.group(0)))
    for m in _COUNT.finditer(text):
        found.append(TextFigure("count", Decimal(m.group(1)), m.group(0)))
    for m in _LONG_DATE.finditer(text):
        try:
            found.append(TextFigure("date", date(int(m.group(3)), MONTHS.index(m.group(1).lower()) + 1,
                                                 int(m.group(2))), m.group(0)))
        except ValueError:
            found.append(TextFigure("impossible_date", None, m.group(0)))
    for m in _TRUNCATED_DATE.finditer(text):
        found.append(TextFigure("truncated_date", None, m.group(0)))
    for m in _SHORT_DATE.finditer(text):
        year = int(m.group(3))
        year = year + (2000 if year < 50 else 1900) if year < 100 else year
        try:
            found.append(TextFigure("date", date(year, int(m.group(1)), int(m.group(2))), m.group(0)))
        except ValueError:
            found.append(TextFigure("impossible_date", None, m.group(0)))
    return found


def _formula_numbers(node: Node) -> list[Decimal]:
    """The figures a formula states; a bare 0 (as in max(0, ...)) is structure, not a figure of the text."""
    if isinstance(node, Num):
        return [] if node.value == 0 and not node.percent else [node.value * 100 if node.percent else node.value]
    if isinstance(node, BinOp):
        return _formula_numbers(node.left) + _formula_numbers(node.right)
    if isinstance(node, Neg):
        return _formula_numbers(node.operand)
    if isinstance(node, Call):
        return [n for arg in node.args for n in _formula_numbers(arg)]
    return []


def terms_figures(version: ClauseVersion) -> list[tuple[str, object]]:
    """(field path, value) for every number and date in a version's terms, formulas included."""
    found: list[tuple[str, object]] = []

    def walk(node, path):
        if isinstance(node, BaseModel):
            for name, info in type(node).model_fields.items():
                walk(getattr(node, name), f"{path}.{info.alias or name}")
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, Formula):
            found.extend((path, n) for n in _formula_numbers(node.tree))
        elif isinstance(node, Schedule):
            for i, entry in enumerate(node.entries):
                found.append((f"{path}.schedule[{i}].from", entry.start))
                if entry.end is not None:
                    found.append((f"{path}.schedule[{i}].to", entry.end))
                walk(entry.value, f"{path}.schedule[{i}].value")
        elif isinstance(node, StepDown):
            found.extend((f"{path}.step_down.{name}", getattr(node, name))
                         for name in ("start", "step", "every_months", "first_step", "floor"))
        elif isinstance(node, str) and path.endswith(".day_basis") and node in _YEARS:
            found.append((path, _YEARS[node]))  # "a year of 360 days" is a figure of the text
        elif isinstance(node, bool) or node is None or isinstance(node, str):
            return
        elif isinstance(node, (Decimal, int, date)):
            found.append((path, node))

    for i, block in enumerate(version.terms):
        walk(block, f"terms[{i}]")
    return found


_YEARS = {"actual/360": Decimal(360), "actual/365": Decimal(365)}


def _same(a: object, b: object) -> bool:
    if isinstance(a, date) or isinstance(b, date):
        return a == b
    return Decimal(a) == Decimal(b)  # type: ignore[arg-type]


def _assumed(value: object, version: ClauseVersion) -> bool:
    for assumption in version.assumptions:
        try:
            declared = parse_iso_date(assumption.value) if isinstance(value, date) else Decimal(assumption.value)
        except (ValueError, ArithmeticError):
            continue
        if _same(declared, value):
            return True
    return False


def _normal(text: str) -> str:
    return " ".join(text.split())


def check_version(agreement: Agreement, version: ClauseVersion) -> list[Finding]:
    findings: list[Finding] = []
    clause = version.clause_id
    where = f"{version.document_id}"
    if version.op == "delete":
        return findings
    if version.text is None:
        findings.append(Finding("note", clause, f"{where}: text not in record; terms from {version.source}"))
        return findings
    doc = agreement.document(version.document_id)
    if doc.text is not None and _normal(version.text) not in _normal(doc.text):
        findings.append(Finding("difference", clause, f"{where}: the clause text is not found verbatim in "
                                                      f"{doc.title}'s text"))
    figures = text_figures(version.text)
    terms = terms_figures(version)
    used_declarations: set[str] = set()
    for figure in figures:
        excused = _not_encoded(figure, version)
        if excused is not None:
            used_declarations.add(excused)
            continue
        if figure.kind == "truncated_date":
            resolving = [i for i in agreement.register.items if i.clause == clause and figure.written in i.resolves]
            if resolving:
                interpretation = resolving[0]
                findings.append(Finding("resolved", clause,
                                        f"{where}: {figure.written!r} (a truncated date) is resolved by "
                                        f"{interpretation.id} as {interpretation.reading().text}"))
            else:
                findings.append(Finding("difference", clause, f"{where}: {figure.written!r} is a truncated date "
                                                              "and no interpretation resolves it"))
            continue
        if figure.kind == "impossible_date":
            findings.append(Finding("difference", clause, f"{where}: the text gives {figure.written!r}, which is not "
                                                          "a real date; declare it not_encoded or resolve it"))
            continue
        if not any(_same(figure.value, value) for _, value in terms):
            findings.append(Finding("difference", clause, f"{where}: the text gives {figure.written!r}, "
                                                          "which the terms do not use"))
    for declaration in version.not_encoded:
        if declaration.text in used_declarations:
            findings.append(Finding("note", clause, f"{where}: {declaration.text!r} not encoded: "
                                                    f"{_normal(declaration.reason)}"))
        else:
            findings.append(Finding("difference", clause, f"{where}: not_encoded names {declaration.text!r}, which "
                                                          "the text does not give as a figure"))
    text_values = [f.value for f in figures if f.value is not None]
    for path, value in terms:
        if any(_same(value, t) for t in text_values) or _assumed(value, version):
            continue
        if _from_interpretation(path, version):
            continue
        findings.append(Finding("difference", clause, f"{where}: the terms set {path} = {value}, which the text "
                                                      "does not state and no assumption declares"))
    for assumption in version.assumptions:  # one no term uses is stale (a 0 is structure, never listed: exempt)
        if _is_zero(assumption.value):
            continue
        if not any(_assumed(value, replace(version, assumptions=(assumption,))) for _, value in terms):
            findings.append(Finding("difference", clause, f"{where}: the assumption {assumption.value!r} is used by no "
                                                          "number of the terms: remove it, or restore the figure it "
                                                          "stood for"))
    findings += [Finding("difference", clause, f"{where}: {message}") for message in _unmarked_basis_points(version)]
    if not version.terms and not version.not_encoded and _DEFINES.search(version.text):
        findings.append(Finding("difference", clause, f"{where}: the text defines a computed figure, but the clause "
                                                      "carries no terms (encode it, or declare it not_encoded)"))
    return findings


def _is_zero(text: str) -> bool:
    try:
        return Decimal(text) == 0
    except ArithmeticError:
        return False


def _unmarked_basis_points(version: ClauseVersion) -> list[str]:
    """A grid column read as percentages whose values look like basis points (every one but 0 is 5 or more) in a text
    that gives basis points: without `basis_points: true`, 100.00 basis points would be read as 100%."""
    if version.text is None or not _BASIS_POINTS.search(version.text):
        return []
    percents = {f.value for f in text_figures(version.text) if f.kind == "percent"}  # "6.00%": a percentage
    return [f"the text gives basis points, and {column.id} reads "
            f"{', '.join(f'{v}' for v in column.by_level.values())} as percentages: if they are basis points, "
            "say basis_points: true"
            for block in version.terms if isinstance(block, LevelGrid)
            for column in block.values
            if column.unit == "percent" and not column.basis_points and _like_basis_points(column.by_level.values())
            and not percents & set(column.by_level.values())]


def _like_basis_points(values) -> bool:
    nonzero = [v for v in values if v]
    return bool(nonzero) and min(nonzero) >= 5


def _not_encoded(figure: TextFigure, version: ClauseVersion) -> str | None:
    for declaration in version.not_encoded:
        if _normal(declaration.text) and (_normal(declaration.text) in _normal(figure.written)
                                          or _normal(figure.written) in _normal(declaration.text)):
            return declaration.text
    return None


def _from_interpretation(path: str, version: ClauseVersion) -> bool:
    # substitute() records paths like "[0].initial_term_end"; terms_figures writes "terms[0].initial_term_end"
    return any(path == f"terms{used_path}" or path.startswith(f"terms{used_path}.")
               for used_path, _ in version.interpretations_used)


def sweep(agreement: Agreement, clause: Clause) -> list[Finding]:
    """Every day from the first version to the end of the record: exactly one version in force, and inside it
    exactly one entry of each dated schedule and one pricing row per tranche. Days are taken in runs between
    the dates where something starts or ends (nothing changes inside a run), so a long record costs no more
    than a short one."""
    if not clause.versions:
        return []
    first, end = clause.versions[0].effective, max(agreement.record_end, clause.versions[-1].effective)
    windows = {id(v): _windows(v) for v in clause.versions}
    cuts = {first, end + timedelta(days=1)} | {v.effective for v in clause.versions}
    for found in windows.values():
        for _, spans in found:
            for start, stop in spans:
                cuts |= {start} | ({stop + timedelta(days=1)} if stop is not None else set())
    runs = sorted(c for c in cuts if first <= c <= end + timedelta(days=1))
    two_versions: list[tuple[date, date]] = []
    window_trouble: dict[tuple[ClauseVersion, str], list[tuple[date, date]]] = {}
    for lo, after in zip(runs, runs[1:]):
        run = (lo, after - timedelta(days=1))
        latest = max(v.effective for v in clause.versions if v.effective <= lo)
        live = [v for v in clause.versions if v.effective == latest]
        if len(live) > 1:
            two_versions.append(run)
        elif live[0].op != "delete":
            for what in _window_trouble(windows[id(live[0])], lo):
                window_trouble.setdefault((live[0], what), []).append(run)
    findings = []
    if two_versions:
        count = sum((stop - start).days + 1 for start, stop in two_versions)
        findings.append(Finding("difference", clause.id, f"two versions in force on {count} day(s), first "
                                                         f"{two_versions[0][0]}"))
    for (version, what), bad in window_trouble.items():
        for start, stop in _joined(bad):
            if version.text is None:
                findings.append(Finding("note", clause.id, f"{version.document_id}: {what} from {start} to {stop} "
                                                           "(the record has no terms for those days)"))
            else:
                findings.append(Finding("difference", clause.id,
                                        f"{version.document_id}: {what} from {start} to {stop}"))
    return findings


def _joined(runs: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Runs of days in order, those that touch joined into one."""
    joined: list[tuple[date, date]] = []
    for start, stop in runs:
        if joined and joined[-1][1] + timedelta(days=1) == start:
            joined[-1] = (joined[-1][0], stop)
        else:
            joined.append((start, stop))
    return joined


def _schedules(node, path: str):
    """Every Schedule inside a block, with where it is."""
    if isinstance(node, Schedule):
        yield path, node
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            yield from _schedules(getattr(node, name), f"{path}.{info.alias or name}" if path else (info.alias or name))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _schedules(value, f"{path}[{i}]")


def _windows(version: ClauseVersion) -> list[tuple[str, list[tuple[date, date | None]]]]:
    """Every dated window set of a version that must cover each day it is in force exactly once: its schedules
    (a covenant's thresholds need only cover its test dates: see _covenant_trouble) and each tranche's pricing
    rows, as (what a gap or an overlap is called, the windows)."""
    found = []
    for block in version.terms:
        if isinstance(block, Covenant):
            continue
        for path, schedule in _schedules(block, block.kind):
            label = "cap window" if path.endswith(".cap") else f"{path} window"
            found.append((label, [(e.start, e.end) for e in schedule.entries]))
        if isinstance(block, PricingGrid):
            for loan_class in sorted(block.tranches):
                found.append((f"{loan_class} pricing row",
                              [(r.start, r.end) for r in block.rows if r.loan_class == loan_class]))
    return found


def _window_trouble(windows: list[tuple[str, list[tuple[date, date | None]]]], day: date) -> list[str]:
    """What is wrong with a version's dated windows on a day it is in force: none, or two, cover it."""
    trouble = []
    for label, spans in windows:
        covering = sum(1 for start, end in spans if start <= day and (end is None or day <= end))
        if covering != 1:
            trouble.append(f"{'no' if not covering else 'more than one'} {label}")
    return trouble


def _covenant_trouble(agreement: Agreement, clause: Clause) -> list[Finding]:
    """A covenant's schedule of thresholds has exactly one entry on each test date it is in force."""
    findings = []
    for version in clause.versions:
        last = (version.until - timedelta(days=1)) if version.until else agreement.record_end
        for block in version.terms_of(Covenant):
            if not isinstance(block.threshold, Schedule):
                continue
            for test_date in period_ends(block.first_test, block.every, last):
                if test_date < version.effective:
                    continue
                covering = [e for e in block.threshold.entries if e.covers(test_date)]
                if len(covering) != 1:
                    findings.append(Finding("difference", clause.id,
                                            f"{version.document_id}: {'no' if not covering else 'more than one'} "
                                            f"threshold of {block.id} for the test date {test_date}"))
    return findings


def fidelity_check(agreement: Agreement) -> list[Finding]:
    """Every finding over every clause; a `difference` fails the check."""
    findings: list[Finding] = []
    for clause in agreement.clauses.values():
        for version in clause.versions:
            findings += check_version(agreement, version)
        findings += sweep(agreement, clause)
        findings += _covenant_trouble(agreement, clause)
    return findings + _rates_applied_twice(agreement)


def _rates_applied_twice(agreement: Agreement) -> list[Finding]:
    """An eligibility definition that applies an advance rate to a class whose borrowing base line applies one
    too (other than 100%): 85% of 85%, which check would otherwise pass (docs/eligibility.md, The terms)."""
    found = []
    lines = [(version, line) for version, block in agreement.all_terms(BorrowingBase) for line in block.lines]
    for version, eligibility in agreement.all_terms(Eligibility):
        if eligibility.advance_rate is None:
            continue
        for line_version, line in lines:
            if line.collateral == eligibility.collateral and not (
                    isinstance(line.rate, Formula) and line.rate.constant == 1):
                rate = eligibility.advance_rate
                found.append(Finding("difference", version.clause_id, f"{version.document_id}: the eligibility of "
                                     f"{eligibility.collateral} applies an advance rate of {rate}%, and line "
                                     f"{line.id} ({line_version.clause_id}) applies its rate too: leave advance_rate "
                                     "out of the eligibility terms, or give the line a rate of 100"))
    return list(dict.fromkeys(found))  # a line kept by several versions is reported once


def passed(findings: list[Finding]) -> bool:
    return not any(f.severity == "difference" for f in findings)
