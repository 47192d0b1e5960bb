"""Cash collateral at payoff: the contingent obligations still open when the loans are paid (letters of credit
not yet drawn or expired) are covered in cash, at the percentage the agreement states for each kind.

Where the record holds no clause for a kind, 100% of its open amount is taken, and the figure says it is an
assumption: the payoff never leaves an open letter of credit uncovered in silence.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..agreement.kinds import CashCollateral
from ..agreement.model import Agreement
from ..core.money import HUNDRED, ZERO, cents
from .ledger import Snapshot


@dataclass(frozen=True)
class CollateralPart:
    """The cash one contingent kind needs: its open amount x the percentage, and where the percentage came from."""

    contingent: str
    open: Decimal
    percent: Decimal
    amount: Decimal
    source: str  # the clause version, or why the percentage is assumed


def cash_collateral(agreement: Agreement, snap: Snapshot, day: date) -> tuple[CollateralPart, ...]:
    blocks = agreement.terms_in_force(CashCollateral, day)
    parts = []
    for kind in agreement.vocabulary.contingents:
        open_amount = sum((c.amount for c in snap.open_contingents(kind.id)), start=ZERO)
        if open_amount == ZERO:
            continue
        found = [(v, b) for v, b in blocks if not b.contingents or kind.id in b.contingents]
        if found:
            version, block = found[-1]
            percent, source = block.percent, f"{version.clause_id} ({version.document_id})"
        else:
            percent = HUNDRED
            source = (f"assumed: the record holds no cash collateral clause for {kind.label}, so its whole open "
                      "amount")
        parts.append(CollateralPart(kind.id, open_amount, percent, cents(open_amount * percent / HUNDRED), source))
    return tuple(parts)
