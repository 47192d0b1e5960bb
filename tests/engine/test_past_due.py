"""Past due: what is unpaid after the day it fell due (a fee installment, a computed fee, scheduled principal,
principal at maturity), in `status --json` as `past_due` (what, amount, due, days past due, clause). An amount
due today is not past due yet."""
import json
from decimal import Decimal as D

from typer.testing import CliRunner

from conftest import RICHEY, SEED
from loanbook.cli import app

runner = CliRunner()


def past_due(facility, day) -> list[dict]:
    result = runner.invoke(app, ["status", "--facility", str(facility), "--as-of", day, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["past_due"]


def test_the_seeds_last_installment_and_its_principal_after_maturity():
    rows = {row["what"]: row for row in past_due(SEED, "2003-01-15")}
    # the Base Fee's last installment of 40,000.00 was due 2002-12-31 (A.3), unpaid: 15 days on 2003-01-15
    fee = rows["extension_fee base installment"]
    assert (D(fee["amount"]), fee["due"], fee["days_past_due"], fee["clause"]) == (D("40000.00"), "2002-12-31", 15,
                                                                                     "amendment-10.a-3")
    # the term ended 2002-12-31 (Schedule Item 32): the principal still outstanding is past due since then
    assert D(rows["advances principal at maturity"]["amount"]) == D("1170000.00")
    assert D(rows["term_loan principal at maturity"]["amount"]) == D("1500000.00")
    assert rows["term_loan principal at maturity"]["clause"] == "schedule.item-32"


def test_due_today_is_not_past_due_tomorrow_it_is():
    assert not [r for r in past_due(SEED, "2002-12-31") if r["due"] == "2002-12-31"]
    rows = [r for r in past_due(SEED, "2003-01-01") if r["due"] == "2002-12-31"]
    assert rows and all(r["days_past_due"] == 1 for r in rows)


def test_a_late_principal_installment_until_it_is_paid():
    """Richey's June 30, 1997 installment of Line B principal was repaid three days late, on July 3."""
    late = [r for r in past_due(RICHEY, "1997-07-02") if r["what"] == "line_b principal installment"]
    assert [(D(r["amount"]), r["due"], r["days_past_due"]) for r in late] == [(D("2000000.00"), "1997-06-30", 2)]
    assert not [r for r in past_due(RICHEY, "1997-07-03") if r["what"] == "line_b principal installment"]


def test_a_computed_fee_unpaid_after_its_period_is_past_due():
    """Richey's Commitment Fee is due on the last day of each quarter (Section 3.4) and the illustrative record
    pays none: the quarter ended 1997-06-30 is 2 days past due on 1997-07-02."""
    rows = [r for r in past_due(RICHEY, "1997-07-02") if r["what"].startswith("Commitment Fee from 1997-04-01")]
    assert [(r["due"], r["days_past_due"], r["clause"]) for r in rows] == [("1997-06-30", 2, "section-3.4")]
