"""An index history as public rate services publish it: a CSV of a date column and a value column, "." for a day
with no value (FRED's SOFR, DPRIME or DFF download: `observation_date,SOFR` then `2023-01-03,4.30`).

Read whole and strictly: every problem is named by its line and column, and nothing is taken from a file with
one. The daily values become the series' changes (a value that repeats is no change), and the day of the last
row is how far the series is known: after it, an index question is an error, never a stale rate.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..core.dates import parse_iso_date
from ..core.errors import InputError, Problem
from ..core.files import read_text
from ..core.money import parse_percent

MAX_RATE_CSV_BYTES = 8 * 1024 * 1024  # SOFR daily since 2018 is about 40 kB
NO_VALUE = "."


@dataclass(frozen=True)
class RateHistory:
    changes: tuple[tuple[date, Decimal], ...]   # each day the rate became a new value, in percent
    known_through: date                         # the last day the file speaks for
    column: str                                 # the value column's name, as the file gives it


def read_rate_csv(path: Path) -> RateHistory:
    label = str(path)
    text = read_text(path, limit=MAX_RATE_CSV_BYTES, what="rate file").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or len(rows[0]) != 2:
        raise InputError([Problem(label, "line 1", None, "a rate file's first line names its two columns: the "
                                                        "date, then the rate (like observation_date,SOFR)")])
    column = rows[0][1].strip()
    problems: list[Problem] = []
    values: list[tuple[date, Decimal | None]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"line {number}"
        if len(row) != 2:
            problems.append(Problem(label, where, None, f"expected 2 cells (a date and a rate), got {len(row)}"))
            continue
        written_day, written_rate = (cell.strip() for cell in row)
        try:
            day = parse_iso_date(written_day, what="the date")
        except ValueError as exc:
            problems.append(Problem(label, where, rows[0][0].strip(), str(exc)))
            continue
        if values and day <= values[-1][0]:
            problems.append(Problem(label, where, rows[0][0].strip(), f"{day} does not come after {values[-1][0]}: "
                                                                     "the days go up, one row each"))
            continue
        if written_rate == NO_VALUE:
            values.append((day, None))
            continue
        try:
            values.append((day, parse_percent(written_rate, what=column or "the rate")))
        except ValueError as exc:
            problems.append(Problem(label, where, column, f"{exc} (a rate in percent, or \".\" for no value)"))
    if problems:
        raise InputError(problems)
    changes: list[tuple[date, Decimal]] = []
    for day, value in values:
        if value is not None and (not changes or changes[-1][1] != value):
            changes.append((day, value))
    if not changes:
        raise InputError([Problem(label, None, column, "the file gives no rate: every row is \".\" or there are no "
                                                       "rows")])
    return RateHistory(tuple(changes), values[-1][0], column)


def series_yaml(history: RateHistory, source: str) -> str:
    """The history as a facility's rate file (docs/agreement-format.md: `series: file`)."""
    lines = [f"source: {_quoted(source)}", f"known_through: {history.known_through.isoformat()}", "changes:"]
    lines += [f'  - {{from: {day.isoformat()}, rate: "{rate}"}}' for day, rate in history.changes]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def into_folder(folder: Path, index_id: str, history: RateHistory, source: str) -> Path:
    """Write the history as the rate file a facility folder declares for the index (`series: file`), replacing
    what was there; the folder is loaded again with it, and the old file is put back if it does not load."""
    import os

    from ..agreement.load import load_agreement
    from ..core.files import contained

    agreement = load_agreement(folder)
    index = agreement.vocabulary.get("indices", index_id)
    if index is None:
        raise InputError([Problem(str(folder / "facility.yaml"), None, "vocabulary.indices",
                                  str(agreement.vocabulary.unknown("indices", index_id)))])
    if index.series != "file" or index.file is None:
        raise InputError([Problem(str(folder / "facility.yaml"), None, f"vocabulary.indices.{index_id}",
                                  f"{index_id} is `series: {index.series}`: an imported history is a rate file, so "
                                  f"declare it `series: file, file: rates/{index_id}.yaml`")])
    target = contained(folder, folder / index.file, what="the index's rate file")
    before = target.read_bytes() if target.exists() else None
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(series_yaml(history, source), encoding="utf-8")
    os.replace(temporary, target)
    try:
        load_agreement(folder)
    except InputError:
        if before is None:
            target.unlink()
        else:
            target.write_bytes(before)
        raise
    return target


def index_events(index_id: str, history: RateHistory, source: str) -> list[dict]:
    """The history as `index_rate` events, for a facility kept in the store (its files do not change)."""
    return [{"date": day.isoformat(), "type": "index_rate", "index": index_id, "rate": str(rate),
             "note": f"imported from {source}"} for day, rate in history.changes]
