"""A second facility, written only from docs/agreement-format.md, works with every agreement command."""
from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from conftest import ACME, flat, folder_facility
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement
from loanbook.cli import app

runner = CliRunner()


def test_loads_checks_and_resolves():
    acme = load_agreement(ACME)
    assert passed(fidelity_check(acme))
    assert acme.clause_on("schedule.item-1", date(2024, 3, 31)).document_id == "loan-agreement"
    assert acme.clause_on("schedule.item-1", date(2024, 4, 1)).document_id == "amendment-1"


def test_figures():
    acme = load_agreement(ACME)
    engine = folder_facility(ACME, acme)
    status = flat(engine.status(date(2024, 1, 31)))
    # 80% x 1,000,000 = 800,000 < Maximum Limit 1,000,000; availability 800,000 - 500,000 = 300,000.
    assert status["borrowing_capacity"] == Decimal("800000.00")
    assert status["availability"] == Decimal("300000.00")
    # 500,000 x (8.50% + 2.0%) / 365 x 30 days (1/2 to 1/31) = 4,315.068... -> 4,315.07 (Actual/365, I-1)
    assert status["interest_accrued_unpaid"] == Decimal("4315.07")
    # After Amendment 1 the Maximum Limit is 1,200,000; capacity is still 80% of the base.
    assert flat(engine.status(date(2024, 4, 1)))["maximum_limit"] == Decimal("1200000.00")


def test_commands():
    for args in (["conformed", "--as-of", "2024-05-01"], ["conformed", "--as-of", "2024-05-01", "--format", "html"],
                 ["history", "--clause", "schedule.item-1"], ["check"]):
        result = runner.invoke(app, [*args, "--facility", str(ACME)])
        assert result.exit_code == 0, result.output
    assert "Maximum Limit of $1,200,000" in runner.invoke(app, ["conformed", "--as-of", "2024-05-01", "--facility",
                                                                 str(ACME)]).output
