"""Borrowing Capacity and Availability (a lesser-of limit: RULES.md 2)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..agreement.kinds import LesserOfLimit
from ..agreement.model import Agreement, ClauseVersion
from ..core.money import HUNDRED, ZERO, cents
from .explain import Explanation, clause_ref, leaf
from .ledger import Snapshot

DEDUCTION_FIELDS = {"bankers_acceptance": "bankers_acceptances", "letter_of_guaranty": "letters_of_guaranty",
                    "letter_of_credit": "letters_of_credit"}


@dataclass(frozen=True)
class Capacity:
    version: ClauseVersion
    terms: LesserOfLimit
    maximum_limit: Decimal
    receivables_borrowing_base: Decimal
    advance_rate: Decimal
    iec_borrowing_capacity: Decimal
    deductions: dict[str, Decimal]  # by JSON name: bankers_acceptances, letters_of_guaranty, letters_of_credit
    borrowing_capacity: Decimal
    advances: Decimal
    availability: Decimal
    explanations: dict[str, Explanation]


def capacity_on(agreement: Agreement, snap: Snapshot, day: date) -> Capacity:
    version, terms = agreement.terms_on("lesser_of_limit", day)
    ref = clause_ref(agreement, version)
    base = snap.receivables_borrowing_base
    # IEC Borrowing Capacity is rounded half-up to the cent once, so every figure built on it is in cents.
    iec = cents(terms.advance_rate * base / HUNDRED)
    deductions = {name: ZERO for name in DEDUCTION_FIELDS.values()}
    deduction_inputs = []
    for kind in terms.deductions:
        open_items = snap.open_contingents(kind)
        total = sum((c.amount for c in open_items), start=ZERO)
        deductions[DEDUCTION_FIELDS[kind]] = total
        deduction_inputs.append(Explanation(
            DEDUCTION_FIELDS[kind], total, formula="sum of open " + kind.replace("_", " ") + "s" if open_items else None,
            inputs=tuple(leaf(c.id, c.amount, c.where) for c in open_items)))
    total_deductions = sum(deductions.values(), start=ZERO)
    lesser = min(terms.maximum_limit, iec)
    borrowing_capacity = lesser - total_deductions
    availability = max(ZERO, borrowing_capacity - snap.advances)

    base_x = leaf("receivables_borrowing_base", base, snap.base_source or "no borrowing base report yet: 0")
    rate_x = Explanation("advance_rate (%)", terms.advance_rate, clause=ref)
    iec_x = Explanation("iec_borrowing_capacity", iec,
                        formula="advance_rate x receivables_borrowing_base, rounded half-up to the cent",
                        inputs=(rate_x, base_x), clause=ref)
    max_x = Explanation("maximum_limit", terms.maximum_limit, clause=ref)
    bc_x = Explanation("borrowing_capacity", borrowing_capacity,
                       formula="min(maximum_limit, iec_borrowing_capacity) - (bankers_acceptances + "
                               "letters_of_guaranty + letters_of_credit)",
                       inputs=(max_x, iec_x, *deduction_inputs), clause=ref)
    adv_x = leaf("advances_outstanding", snap.advances, "replay of advances, repayments and opening balances")
    avail_x = Explanation("availability", availability, formula="max(0, borrowing_capacity - advances_outstanding)",
                          inputs=(bc_x, adv_x), clause=ref)
    return Capacity(version, terms, terms.maximum_limit, base, terms.advance_rate, iec, deductions,
                    borrowing_capacity, snap.advances, availability,
                    {"borrowing_capacity": bc_x, "iec_borrowing_capacity": iec_x, "availability": avail_x,
                     "advances_outstanding": adv_x, "maximum_limit": max_x})
