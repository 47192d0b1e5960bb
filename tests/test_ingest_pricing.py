"""Proposers of price and fees on synthetic clauses, written in other words, numbers and order than the examples:
each expected block is worked by hand from the text beside it, and each near-miss proposes nothing."""
from __future__ import annotations

from datetime import date

from loanbook.ingest import phrasings  # noqa: F401  (registers the proposers)
from loanbook.ingest.terms import Facility, clause_text, propose


def _facility(text: str, vocabulary: dict | None = None, interpretations: list | None = None) -> Facility:
    return Facility(vocabulary or {}, interpretations or [], [], "doc", date(2024, 1, 2), frozenset(), text)


def _proposed(body: str, clause_id: str = "section-4.3", text: str | None = None, **facility) -> list[dict]:
    """The blocks proposed for one clause whose text is `body`, in a filing whose whole text is `text` (the clause
    alone by default)."""
    whole = body if text is None else text
    base = whole.index(body)
    return [p.block for p in propose(clause_text(clause_id, "", body, base), _facility(whole, **facility))]


# --- the default rate and the fees it raises ------------------------------------------------------------------

FEE_CLAUSE = ("(f) Standby Fee. The Company shall pay the Bank a standby fee (the \"Standby L/C Fee\") on the undrawn "
              "amount of each standby letter of credit.")
DEFAULT_CLAUSE = ("(g) Default Interest. During the continuation of an Event of Default, at the election of the Bank, "
                  "the Loans shall bear interest at a per annum rate equal to three percentage points above the per "
                  "annum rate otherwise applicable, and the Standby L/C Fee shall be increased by three percentage "
                  "points above the per annum rate otherwise applicable.")


def test_a_default_margin_raises_the_fee_the_filing_defines():
    # "three percentage points above the per annum rate otherwise applicable" is a margin of 3; the same three
    # points on "the Standby L/C Fee", which clause (f) defines, names that fee (standby_l_c_fee, its name)
    blocks = _proposed(DEFAULT_CLAUSE, text=FEE_CLAUSE + "\n\n" + DEFAULT_CLAUSE)
    assert blocks == [{"kind": "default_rate", "margin": "3", "fees": ["standby_l_c_fee"]}]


def test_a_default_margin_on_a_fee_the_filing_does_not_define_proposes_nothing():
    # the fee's defining clause is not in the filing: which fee is raised cannot be named, so nothing is proposed
    assert _proposed(DEFAULT_CLAUSE) == []
