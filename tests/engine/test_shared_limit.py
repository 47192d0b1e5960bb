"""Two loan types sharing one limit (tests/fixtures/harbor, Section 1.1): Base Rate Loans and Term SOFR Loans,
each with its availability clause, both measured as base_rate_loans + sofr_loans + letters_of_credit against
the Availability Limit, the lesser of the Commitment (10,000,000.00) and the Borrowing Base (80% of Eligible
Receivables). A breach of that limit is one breach, of the combined usage, naming both tranches."""
from datetime import date
from decimal import Decimal as D

from conftest import FIXTURES, decimals, facility
from loanbook.agreement.load import load_agreement
from loanbook.projection import status_answer

HARBOR = FIXTURES / "harbor"


def harbor(*later: dict):
    return facility(load_agreement(HARBOR), [
        {"date": "2024-01-02", "type": "index_rate", "index": "prime", "rate": "8.50"},
        {"date": "2024-01-02", "type": "index_rate", "index": "federal_funds", "rate": "5.33"},
        {"date": "2024-01-02", "type": "index_rate", "index": "term_sofr", "rate": "5.30"},
        {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"eligible_receivables": "5000000.00"}},
        {"date": "2024-01-02", "type": "advance", "loan": "sofr_loans", "amount": "3500000.00"}, *later])


def test_one_breach_of_the_shared_limit_with_the_combined_usage():
    # Eligible Receivables fall to 4,000,000.00: Borrowing Base 80% x 4,000,000.00 = 3,200,000.00, the limit
    # min(10,000,000.00, 3,200,000.00) = 3,200,000.00; usage 0.00 + 3,500,000.00 + 500,000.00 (a letter of credit)
    # = 4,000,000.00 > 3,200,000.00
    engine = harbor({"date": "2024-02-01", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-1",
                     "amount": "500000.00", "expires": "2024-12-31"},
                    {"date": "2024-02-01", "type": "borrowing_base_report",
                     "values": {"eligible_receivables": "4000000.00"}})
    status = decimals(status_answer(engine, date(2024, 2, 1)))
    [breach] = status["breaches"]
    assert (breach["rule"], breach["tranche"], breach["tranches"], breach["amount"], breach["limit"]) == (
        "availability", None, ["base_rate_loans", "sofr_loans"], D("4000000.00"), D("3200000.00"))
    assert breach["message"] == (
        "the combined usage of base_rate_loans and sofr_loans, 4,000,000.00 (of which base_rate_loans 0.00, "
        "sofr_loans 3,500,000.00), exceeds their shared capacity 3,200,000.00 on 2024-02-01")


def test_within_the_shared_limit_nothing_is_breached_and_both_availabilities_agree():
    engine = harbor({"date": "2024-02-01", "type": "advance", "loan": "base_rate_loans", "amount": "400000.00"})
    status = engine.status(date(2024, 2, 1))
    assert status.breaches == ()
    # 4,000,000.00 - (400,000.00 + 3,500,000.00) = 100,000.00 for either type of loan
    assert [(a.tranche, a.availability.value) for a in status.availabilities] == [
        ("base_rate_loans", D("100000.00")), ("sofr_loans", D("100000.00"))]


def test_a_limit_of_one_tranche_names_that_tranche():
    """The seed's Advances have their own limit: a breach still names its one tranche (tranches: [advances])."""
    from conftest import SEED, folder_facility

    engine = folder_facility(SEED, load_agreement(SEED))
    for day in engine.ledger.days:
        for breach in decimals(status_answer(engine, day))["breaches"]:
            if breach["rule"] in ("overadvance_limit", "availability"):
                assert breach["tranches"] == [breach["tranche"]]
