"""A synthetic loan book as folders (`loanbook portfolio generate`): one facility folder per borrower, written
in the facility format (docs/agreement-format.md) with its own eligibility terms, borrowing base and
availability, and a year of events; and the book's aging, one Parquet file with every facility's invoices
(`agings/aging-<day>.parquet`, from `generate.py`). Everything is invented; `portfolio run --book` reads it.
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from .generate import INVOICES, generate_invoices, generate_params

MAXIMUM_CREDIT = Decimal("50000000.00")


def write_facility_book(directory: Path, facilities: int, invoices: int, seed: int, as_of: date) -> Path:
    """The book under `directory`; returns the aging file. Each facility's loans are drawn around its own
    receivables (their gross in the aging), so most facilities have room and a few are over."""
    directory.mkdir(parents=True, exist_ok=True)
    agings = directory / "agings"
    agings.mkdir(exist_ok=True)
    target = agings / f"aging-{as_of.isoformat()}.parquet"
    partial = agings / "aging.parquet.partial"
    gross: dict[str, int] = {}
    with pq.ParquetWriter(partial, INVOICES, compression="snappy") as writer:
        for table in generate_invoices(facilities, invoices, seed, as_of):
            writer.write_table(table)
            sums = table.group_by("facility_id").aggregate([("amount", "sum")])
            for facility, amount in zip(sums.column("facility_id").to_pylist(),
                                        sums.column("amount_sum").to_pylist()):
                gross[facility] = gross.get(facility, 0) + int(amount)
    os.replace(partial, target)
    rng = np.random.default_rng([seed, 11])
    for row in generate_params(facilities, seed).to_pylist():
        folder = directory / row["facility_id"]
        (folder / "documents").mkdir(parents=True, exist_ok=True)
        (folder / "facility.yaml").write_text(_facility(row["facility_id"], as_of))
        (folder / "documents" / "agreement.yaml").write_text(_agreement(row, as_of))
        (folder / "events.yaml").write_text(_events(rng, as_of, max(gross.get(row["facility_id"], 0), 100_000)))
    return target


def _facility(facility_id: str, as_of: date) -> str:
    return f"""# Synthetic: written by loanbook portfolio generate.
id: {facility_id}
name: Borrower {facility_id} revolving facility (Synthetic Bank, Agent)
record_end: {as_of.isoformat()}
parties:
  - {{id: borrower, name: Borrower {facility_id}, roles: [debtor]}}
  - {{id: bank, name: Synthetic Bank, roles: [agent, lender]}}
lenders:
  - {{party: bank, share: "100"}}
vocabulary:
  tranches:
    - {{id: revolver, label: Revolving Loans, type: revolving, figure: revolving_loans}}
  collateral:
    - {{id: accounts, label: Eligible Accounts}}
  contingents:
    - {{id: letter_of_credit, label: Letters of Credit, figure: letters_of_credit}}
"""


def _agreement(row: dict, as_of: date) -> str:
    rules = [f"    {name}: true" for name in ("affiliates", "foreign", "government", "disputed", "bill_and_hold",
                                                 "consignment", "progress_billing", "contra") if row[name]]
    def older(invoice_days, due_days) -> str:
        parts = ([f"days_from_invoice: {invoice_days}"] if invoice_days is not None else []) + \
            ([f"days_past_due: {due_days}"] if due_days is not None else [])
        return "{" + ", ".join(parts) + "}"
    if row["aging_invoice_days"] is not None or row["aging_due_days"] is not None:
        rules.append(f"    aging: {older(row['aging_invoice_days'], row['aging_due_days'])}")
    if row["credit_invoice_days"] is not None or row["credit_due_days"] is not None:
        rules.append(f"    credit_balances: {older(row['credit_invoice_days'], row['credit_due_days'])}")
    if row["cross_percent"] is not None:
        days = older(row["cross_invoice_days"], row["cross_due_days"])[1:-1]
        rules.append(f'    cross_aging: {{percent: "{row["cross_percent"].normalize():f}", {days}}}')
    if row["concentration_percent"] is not None:
        rules.append(f'    concentration: {{percent: "{row["concentration_percent"].normalize():f}"}}')
    dilution = (f'\n        dilution_reserve: "{row["dilution_percent"].normalize():f}"'
                if row["dilution_percent"] is not None else "")
    rate = f'{row["advance_percent"].normalize():f}' if row["advance_percent"] is not None else "85"
    indented = "\n".join("      " + line for line in rules)
    start = as_of - timedelta(days=400)
    return f"""# Synthetic: written by loanbook portfolio generate.
id: agreement
kind: loan_agreement
title: Loan and Security Agreement
as_of: {start.isoformat()}
source: synthetic
operations:
  - op: insert
    clause: definitions.eligible-accounts
    title: Eligible Accounts
    source: synthetic
    terms:
      - kind: eligibility
        collateral: accounts
        label: Eligible Accounts
        rules:
{indented if rules else "          {}"}{dilution}
  - op: insert
    clause: section-2.1
    title: Borrowing Base and Availability
    source: synthetic
    terms:
      - kind: borrowing_base
        id: accounts_base
        label: Borrowing Base
        lines:
          - {{id: accounts_line, label: "{rate}% of Eligible Accounts", collateral: accounts, rate: "{rate}"}}
      - kind: availability
        tranche: revolver
        figures:
          - {{id: maximum_credit, label: Maximum Credit, value: "{MAXIMUM_CREDIT}"}}
          - id: line_cap
            label: Line Cap
            value: min(maximum_credit, accounts_base) - letters_of_credit
        capacity: line_cap
"""


def _events(rng: np.random.Generator, as_of: date, receivables: int) -> str:
    """A year of a revolver's life: an opening balance, weekly advances and repayments that keep the loans
    around the borrower's own level of use (10% to 36% of its receivables, of which about half are eligible
    and advanced against: most facilities have room, some are over), monthly borrowing base reports and a
    letter of credit or two, each amount drawn around the facility's receivables."""
    size = receivables
    start = as_of - timedelta(days=364)
    target = int(size * rng.uniform(0.10, 0.36))
    balance = int(size * rng.uniform(0.3, 0.6))
    lines = [f'- {{date: {start.isoformat()}, type: opening_balance, loan: revolver, amount: "{balance}.00"}}']
    lcs = 0
    for week in range(52):
        day = start + timedelta(days=7 * week + 1)
        if week % 4 == 0:
            reported = int(size * rng.uniform(0.8, 1.2))
            lines.append(f'- {{date: {day.isoformat()}, type: borrowing_base_report, '
                         f'values: {{accounts: "{reported}.00"}}}}')
        move = int(size * rng.uniform(0.0, 0.08))
        if balance < target and move:
            lines.append(f'- {{date: {day.isoformat()}, type: advance, loan: revolver, amount: "{move}.00"}}')
            balance += move
        elif move and balance > move:
            lines.append(f'- {{date: {day.isoformat()}, type: repayment, loan: revolver, amount: "{move}.00"}}')
            balance -= move
        if week in (10, 30) and rng.random() < 0.4:
            lcs += 1
            lines.append(f'- {{date: {day.isoformat()}, type: contingent_issued, kind: letter_of_credit, '
                         f'id: LC-{lcs}, amount: "{int(size * 0.02)}.00"}}')
    return "# Synthetic: written by loanbook portfolio generate.\n" + "\n".join(lines) + "\n"
