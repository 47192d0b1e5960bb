"""A synthetic loan book for benchmarks and tests: every facility's borrower aging (one row per open invoice or
credit, docs/eligibility.md) and every facility's eligibility rules as one row of parameters.

Realistic in shape, not in detail: each facility has a few large debtors and many small ones (long-tailed
amounts), most invoices current and a long tail of old ones, some slow-paying debtors, about 3% credits, 2%
foreign debtors (half insured), 1% affiliates, 1% disputed invoices, a few government, bill-and-hold,
consignment and progress-billed invoices, and some debtors the borrower owes (contra). Invoice ids are unique
within a facility.

Vectorized numpy, deterministic for (facilities, invoices, seed, as_of): the rows come in blocks of
`CHUNK_ROWS`, block k drawn from its own generator seeded with (seed, k), so a book of 10^8 rows streams to
Parquet without being held in memory.

    write_book("/tmp/book", facilities=1_000, invoices=10_000_000, seed=1, as_of=date(2024, 3, 31))
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MONEY = pa.decimal128(18, 2)
PERCENT = pa.decimal128(9, 4)
FLAGS = ("affiliate", "foreign", "insured", "government", "assigned", "disputed", "bill_and_hold", "consignment",
         "progress_billing")
INVOICES = pa.schema([("facility_id", pa.string()), ("debtor_id", pa.string()), ("debtor_name", pa.string()),
                      ("invoice_id", pa.string()), ("invoice_date", pa.date32()), ("due_date", pa.date32()),
                      ("amount", MONEY), *((flag, pa.bool_()) for flag in FLAGS), ("payable_to_debtor", MONEY)])
RULE_FLAGS = ("affiliates", "foreign", "government", "disputed", "bill_and_hold", "consignment", "progress_billing",
              "contra")
RULE_DAYS = ("aging_invoice_days", "aging_due_days", "credit_invoice_days", "credit_due_days", "cross_invoice_days",
             "cross_due_days")
RULE_PERCENTS = ("cross_percent", "concentration_percent", "dilution_percent", "advance_percent")
PARAMS = pa.schema([("facility_id", pa.string()), *((name, pa.bool_()) for name in RULE_FLAGS),
                    *((name, pa.int32()) for name in RULE_DAYS), *((name, PERCENT) for name in RULE_PERCENTS)])

CHUNK_ROWS = 1_000_000          # rows per block (and per Parquet row group)
MAX_CENTS = 2_500_000_000       # 25,000,000.00: no single invoice above it
EPOCH = dt.date(1970, 1, 1)

# Days from invoice on the as-of date: most current, a long tail (before slow payers' delay).
AGE_BUCKETS = np.array([[0, 30], [31, 60], [61, 90], [91, 120], [121, 180], [181, 400]], dtype=np.int64)
AGE_SHARES = np.array([0.62, 0.19, 0.09, 0.05, 0.035, 0.015])

_FIRST = ("Acme", "Apex", "Atlas", "Beacon", "Birch", "Cardinal", "Cedar", "Summit", "Delta", "Eagle", "Empire",
          "Falcon", "Frontier", "Granite", "Harbor", "Heritage", "Horizon", "Keystone", "Lakeside", "Liberty",
          "Maple", "Meridian", "Midwest", "Northern", "Oak", "Pacific", "Pinnacle", "Pioneer", "Prairie", "Redwood",
          "Ridge", "River", "Sierra", "Southern", "Sterling", "Sun", "Tri-State", "Union", "Valley", "Western")
_SECOND = ("Supply", "Foods", "Steel", "Logistics", "Packaging", "Plastics", "Electric", "Machine", "Textiles",
           "Chemicals", "Paper", "Building Products", "Distribution", "Health", "Auto Parts", "Lumber", "Energy",
           "Farms", "Retail", "Wholesale", "Marine", "Aerospace", "Pharma", "Printing", "Tool", "Glass", "Metals",
           "Beverage", "Furniture", "Hardware", "Instruments", "Components", "Industries", "Systems", "Materials",
           "Rubber", "Fabrication", "Seating", "Controls", "Products")
_SUFFIX = ("Inc.", "LLC", "Corp.", "Co.", "Ltd.", "Group", "Holdings", "& Sons")
_NAMES = pa.array([f"{a} {b} {c}" for a in _FIRST for b in _SECOND for c in _SUFFIX], pa.string())
_NAME_STEP = 7919               # prime, coprime to len(_NAMES): distinct names for a facility's first 12,800 debtors


def facility_ids(facilities: int) -> list[str]:
    width = max(5, len(str(facilities)))
    return [f"F{i:0{width}d}" for i in range(1, facilities + 1)]


class _Layout:
    """What is fixed for the whole book before any row: facility sizes and debtors, each debtor's traits."""

    def __init__(self, facilities: int, invoices: int, seed: int):
        if facilities < 1 or invoices < facilities:
            raise ValueError("need at least one facility and at least one invoice per facility")
        rng = np.random.default_rng([seed, 1])
        # Facility sizes: long-tailed weights, at least `least` invoices each, summing exactly to `invoices`.
        least = min(20, invoices // facilities)
        weights = rng.lognormal(0.0, 0.7, facilities)
        share = weights / weights.sum() * (invoices - least * facilities)
        sizes = np.floor(share).astype(np.int64)
        short = invoices - least * facilities - int(sizes.sum())
        sizes[np.argsort(sizes - share, kind="stable")[:short]] += 1
        self.sizes = sizes + least
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        # Debtors: one for every 10 to 40 invoices, at least 2; a Zipf-like exponent (debtor i draws rows in
        # proportion to about (i + 1)**-skew) and a typical invoice amount per facility.
        per_debtor = rng.uniform(10, 40, facilities)
        self.debtors = np.clip(np.round(self.sizes / per_debtor), 2, np.maximum(self.sizes, 2)).astype(np.int64)
        self.skew = rng.uniform(0.7, 1.15, facilities)
        self.log_amount = rng.normal(np.log(1800.0), 0.5, facilities)
        self.debtor_starts = np.concatenate([[0], np.cumsum(self.debtors)[:-1]]).astype(np.int64)
        n = int(self.debtors.sum())
        # Each debtor's traits, drawn once for the book: the same debtor looks the same in every block.
        u = rng.random((8, n), dtype=np.float32)
        self.affiliate = u[0] < 0.01
        self.foreign = u[1] < 0.02
        self.insured = self.foreign & (u[2] < 0.5)
        self.government = u[3] < 0.01
        self.assigned = self.government & (u[2] >= 0.5)
        self.contra = u[4] < 0.03
        slow = u[5] < 0.07                                     # slow payers: everything 30 to 100 days older
        self.delay = np.where(slow, 30 + (u[6] * 70).astype(np.int64), 0).astype(np.int64)
        self.terms = np.array([30, 30, 30, 30, 45, 60, 15, 10], dtype=np.int64)[(u[7] * 8).astype(np.int64)]
        index = np.arange(n, dtype=np.int64) - np.repeat(self.debtor_starts, self.debtors)
        self.rank = index                                      # 0 is the facility's largest debtor
        # Large debtors buy in larger amounts: x2 for the first, x1.5, x1.33, ... towards x1 for the tail.
        self.scale = (1.0 + 1.0 / (1.0 + index)).astype(np.float64)
        facility_of = np.repeat(np.arange(facilities, dtype=np.int64), self.debtors)
        self.name = ((index * _NAME_STEP + facility_of * 131) % len(_NAMES)).astype(np.int64)
        self.facility_ids = pa.array(facility_ids(facilities), pa.string())
        width = max(6, len(str(int(self.debtors.max()))))
        self.debtor_ids = pa.array([f"D{i:0{width}d}" for i in range(1, int(self.debtors.max()) + 1)], pa.string())
        self.invoice_digits = max(7, len(str(int(self.sizes.max()))))


def generate_invoices(facilities: int, invoices: int, seed: int, as_of: dt.date) -> Iterator[pa.Table]:
    """The book's invoices, `CHUNK_ROWS` rows at a time, facility by facility (schema `INVOICES`)."""
    layout = _Layout(facilities, invoices, seed)
    today = (as_of - EPOCH).days
    ends = layout.starts + layout.sizes
    for block, first in enumerate(range(0, invoices, CHUNK_ROWS)):
        last = min(first + CHUNK_ROWS, invoices)
        yield _block(layout, np.random.default_rng([seed, 2, block]), first, last, ends, today)


def _block(layout: _Layout, rng: np.random.Generator, first: int, last: int, ends: np.ndarray,
           today: int) -> pa.Table:
    n = last - first
    f0 = int(np.searchsorted(layout.starts, first, side="right")) - 1
    f1 = int(np.searchsorted(layout.starts, last - 1, side="right")) - 1
    span = np.arange(f0, f1 + 1)
    counts = np.minimum(ends[span], last) - np.maximum(layout.starts[span], first)
    f = np.repeat(span, counts)
    row = np.arange(first, last, dtype=np.int64) - layout.starts[f]         # within the facility, from 0

    u = rng.random((10, n), dtype=np.float32)
    ndebtors = layout.debtors[f]
    # Inverse of the distribution with density (x + 1)**-s on [0, n): the row's debtor is its floor.
    bend = 1.0 - layout.skew[f]
    x = (1.0 - u[0] * (1.0 - (ndebtors + 1.0) ** bend)) ** (1.0 / bend) - 1.0
    debtor = np.minimum(x.astype(np.int64), ndebtors - 1)
    d = layout.debtor_starts[f] + debtor                                    # the debtor, in the book

    bucket = np.minimum(np.searchsorted(np.cumsum(AGE_SHARES), u[1]), len(AGE_SHARES) - 1)
    low, high = AGE_BUCKETS[bucket, 0], AGE_BUCKETS[bucket, 1]
    age = low + (u[2] * (high - low + 1)).astype(np.int64) + layout.delay[d]
    invoice_date = today - age
    due_date = invoice_date + layout.terms[d]

    credit = u[3] < 0.03
    dollars = np.exp(layout.log_amount[f] + 1.1 * rng.standard_normal(n)) * layout.scale[d]
    dollars = np.where(credit, -0.3 * dollars, dollars)                     # credits: smaller, negative
    cents = np.clip(np.round(dollars * 100.0), -MAX_CENTS, MAX_CENTS).astype(np.int64)
    cents = np.where(cents == 0, 100, cents)
    owes = layout.contra[d] & (u[4] < 0.25)
    payable = np.where(owes, np.round(np.exp(layout.log_amount[f] + rng.standard_normal(n)) * 60.0), 0)
    payable = np.minimum(payable, MAX_CENTS).astype(np.int64)

    columns = {
        "facility_id": layout.facility_ids.take(pa.array(f)),
        "debtor_id": layout.debtor_ids.take(pa.array(debtor)),
        "debtor_name": _NAMES.take(pa.array(layout.name[d])),
        "invoice_id": _numbered("INV", row + 1, layout.invoice_digits),
        "invoice_date": _dates(invoice_date),
        "due_date": _dates(due_date),
        "amount": _money(cents),
        "affiliate": pa.array(layout.affiliate[d]),
        "foreign": pa.array(layout.foreign[d]),
        "insured": pa.array(layout.insured[d]),
        "government": pa.array(layout.government[d]),
        "assigned": pa.array(layout.assigned[d]),
        "disputed": pa.array(u[5] < 0.01),
        "bill_and_hold": pa.array(u[6] < 0.003),
        "consignment": pa.array(u[7] < 0.003),
        "progress_billing": pa.array(u[8] < 0.004),
        "payable_to_debtor": _money(payable),
    }
    return pa.Table.from_pydict(columns, schema=INVOICES)


def _numbered(prefix: str, numbers: np.ndarray, digits: int) -> pa.Array:
    """Fixed-width strings prefix + zero-padded number, built as one Arrow buffer (no Python string per row)."""
    head = prefix.encode()
    width = len(head) + digits
    n = len(numbers)
    text = np.empty((n, width), dtype=np.uint8)
    text[:, :len(head)] = np.frombuffer(head, dtype=np.uint8)
    rest = numbers.astype(np.int64)
    for column in range(width - 1, len(head) - 1, -1):
        rest, digit = np.divmod(rest, 10)
        text[:, column] = digit + 48
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def _money(cents: np.ndarray) -> pa.Array:
    """decimal128(18, 2) from int64 cents: the 128-bit unscaled value is the cents, sign-extended."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words)])


def _dates(days: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(pa.date32(), len(days), [None, pa.py_buffer(days.astype(np.int32))])


def generate_params(facilities: int, seed: int) -> pa.Table:
    """One row of eligibility rules per facility (schema `PARAMS`), varied as agreements vary: aging at 90 or
    120 days from invoice (some also 60 past due), credits past the aging limit added back, cross-aging at 50%
    in most, concentration 20-30%, advance 80-90%, a dilution reserve in some."""
    rng = np.random.default_rng([seed, 3])
    n = facilities
    u = rng.random((24, n))

    def pick(values, p, x):
        return np.asarray(values, dtype=object)[np.minimum(np.searchsorted(np.cumsum(p), x), len(values) - 1)]

    flags = {"affiliates": u[0] < 0.97, "foreign": u[1] < 0.9, "government": u[2] < 0.85, "disputed": u[3] < 0.92,
             "bill_and_hold": u[4] < 0.75, "consignment": u[5] < 0.75, "progress_billing": u[6] < 0.7,
             "contra": u[7] < 0.65}
    aging_invoice = pick([90, 120, None], [0.6, 0.32, 0.08], u[8])
    aging_due = np.where(u[9] < 0.3, 60, None)  # type: ignore[call-overload]
    aging_due = np.where((aging_invoice == None) & (u[9] < 0.6), 60, aging_due)  # type: ignore[call-overload]  # noqa: E711, E501
    has_credit = u[10] < 0.75
    credit_from_invoice = has_credit & (u[11] < 0.8)
    credit_invoice = np.where(credit_from_invoice, np.where(aging_invoice == None, 90, aging_invoice), None)  # type: ignore[call-overload]  # noqa: E711, E501
    credit_due = np.where(has_credit & ~credit_from_invoice, 60, None)  # type: ignore[call-overload]
    has_cross = u[12] < 0.8
    cross_percent = np.where(has_cross, pick(["50", "50", "50", "50", "25", "35", "33.3333"], [1 / 7] * 7, u[13]),
                             None)
    cross_from_invoice = u[14] < 0.8
    cross_invoice = np.where(has_cross & cross_from_invoice, 90, None)  # type: ignore[call-overload]
    cross_due = np.where(has_cross & ~cross_from_invoice, 60, None)  # type: ignore[call-overload]
    concentration = np.where(u[15] < 0.9, pick(["20", "25", "25", "30", "22.5"], [0.2] * 5, u[16]), None)  # type: ignore[call-overload]
    dilution = np.where(u[17] < 0.35, pick(["1", "2", "2.5", "3", "4.125"], [0.2] * 5, u[18]), None)  # type: ignore[call-overload]
    advance = np.where(u[19] < 0.9, pick(["80", "85", "85", "90", "82.5", "87.5"], [1 / 6] * 6, u[20]), None)  # type: ignore[call-overload]

    def days(values):
        return pa.array([None if v is None else int(v) for v in values], pa.int32())

    def percents(values):
        return pa.array([None if v is None else Decimal(v) for v in values], PERCENT)

    columns = {"facility_id": pa.array(facility_ids(n), pa.string()),
               **{name: pa.array(flags[name]) for name in RULE_FLAGS},
               "aging_invoice_days": days(aging_invoice), "aging_due_days": days(aging_due),
               "credit_invoice_days": days(credit_invoice), "credit_due_days": days(credit_due),
               "cross_invoice_days": days(cross_invoice), "cross_due_days": days(cross_due),
               "cross_percent": percents(cross_percent), "concentration_percent": percents(concentration),
               "dilution_percent": percents(dilution), "advance_percent": percents(advance)}
    return pa.Table.from_pydict(columns, schema=PARAMS)


def write_book(path_dir, facilities: int, invoices: int, seed: int, as_of: dt.date) -> tuple[Path, Path]:
    """`invoices.parquet` (streamed, one row group per block) and `params.parquet` in `path_dir`; each file is
    written under a temporary name and renamed, so a file there is always whole."""
    directory = Path(path_dir)
    directory.mkdir(parents=True, exist_ok=True)
    invoices_path, params_path = directory / "invoices.parquet", directory / "params.parquet"
    partial = directory / "invoices.parquet.partial"
    with pq.ParquetWriter(partial, INVOICES, compression="snappy") as writer:
        for table in generate_invoices(facilities, invoices, seed, as_of):
            writer.write_table(table, row_group_size=CHUNK_ROWS)
    os.replace(partial, invoices_path)
    partial = directory / "params.parquet.partial"
    pq.write_table(generate_params(facilities, seed), partial)
    os.replace(partial, params_path)
    return invoices_path, params_path
