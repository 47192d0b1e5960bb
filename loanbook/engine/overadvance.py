"""Overadvances (a cap in dated windows with a second ceiling: RULES.md 3) and breaches."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..agreement.kinds import WindowedCap
from ..agreement.model import Agreement, ClauseVersion
from ..core.errors import RecordError
from ..core.money import ZERO, money_human
from .capacity import Capacity
from .explain import Explanation, clause_ref, interpretation_ref, leaf
from .ledger import Snapshot


@dataclass(frozen=True)
class Overadvance:
    version: ClauseVersion
    terms: WindowedCap
    measure: Decimal  # what an Overadvance is measured against (I-2)
    overadvance: Decimal
    cap: Decimal
    term_loan_reserve: Decimal
    limit: Decimal
    breaches: tuple[dict, ...]
    explanations: dict[str, Explanation]

    def overadvance_if(self, advances: Decimal) -> Decimal:
        return max(ZERO, advances - self.measure)


def _interpretation_of(version: ClauseVersion, field: str) -> str | None:
    for path, interpretation_id in version.interpretations_used:
        if path.endswith("." + field):
            return interpretation_id
    return None


def overadvance_on(agreement: Agreement, snap: Snapshot, capacity: Capacity, day: date) -> Overadvance:
    version, terms = agreement.terms_on("windowed_cap", day)
    ref = clause_ref(agreement, version)
    window = next((w for w in terms.windows if w.start <= day and (w.end is None or day <= w.end)), None)
    if window is None:
        raise RecordError(f"{version.clause_id}: no overadvance cap window covers {day}")
    measure = capacity.borrowing_capacity if terms.measured_against == "borrowing_capacity" \
        else capacity.iec_borrowing_capacity
    overadvance = max(ZERO, snap.advances - measure)
    reserve = snap.term_loan_reserve
    limit = min(window.cap, reserve) if terms.second_ceiling == "term_loan_reserve" else window.cap

    interpretation_id = _interpretation_of(version, "measured_against")
    interpretation = interpretation_ref(agreement, interpretation_id) if interpretation_id else None
    measure_x = capacity.explanations[terms.measured_against]
    oa_x = Explanation("overadvance", overadvance, formula=f"max(0, advances_outstanding - {terms.measured_against})",
                       inputs=(capacity.explanations["advances_outstanding"], measure_x), clause=ref,
                       interpretation=interpretation)
    cap_x = Explanation("overadvance_cap", window.cap,
                        formula=f"the cap of the window {window.start} to {window.end or 'open-ended'}", clause=ref)
    reserve_x = leaf("term_loan_reserve", reserve, snap.reserve_source or "no term_loan_reserve event yet: 0")
    limit_x = Explanation("overadvance_limit", limit, formula="min(overadvance_cap, term_loan_reserve)"
                          if terms.second_ceiling else "overadvance_cap", inputs=(cap_x, reserve_x), clause=ref)
    breaches = []
    if overadvance > limit:
        breaches.append({"rule": "overadvance_limit", "clause": version.clause_id,
                         "amount": overadvance, "limit": limit,
                         "message": f"Overadvance {money_human(overadvance)} exceeds the overadvance limit "
                                    f"{money_human(limit)} (cap {money_human(window.cap)}, Term Loan Reserve "
                                    f"{money_human(reserve)}) on {day}"})
    if terms.total_ceiling == "maximum_limit" and snap.advances > capacity.maximum_limit:
        breaches.append({"rule": "maximum_limit", "clause": version.clause_id,
                         "amount": snap.advances, "limit": capacity.maximum_limit,
                         "message": f"Advances outstanding {money_human(snap.advances)} exceed the Maximum Limit "
                                    f"{money_human(capacity.maximum_limit)} on {day}"})
    return Overadvance(version, terms, measure, overadvance, window.cap, reserve, limit, tuple(breaches),
                       {"overadvance": oa_x, "overadvance_cap": cap_x, "overadvance_limit": limit_x,
                        "term_loan_reserve": reserve_x})
