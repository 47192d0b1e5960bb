"""Interest on overdue amounts: a `default_rate` clause with `overdue: true` ("if any installment of principal ...
is not paid when due, it shall thereafter bear interest ... at a rate per annum equal to 2% above the rate
otherwise applicable to it"; "if any fee ... is not paid when due, it shall thereafter bear interest at the Prime
Rate plus 3.5%").

tests/fixtures/overdue, worked by hand. Prime is 8.50% throughout; the Term Loan (1,000,000.00 from 2024-01-02)
bears Prime + 1.5% = 10.00% on actual/360. Installments of 100,000.00 are due 2024-03-31 and 2024-06-30, the
balance of 800,000.00 on 2024-12-31 (the maturity). The closing fee of 10,000.00 is due 2024-02-15.

- The closing fee is paid on 2024-03-02: overdue from 2024-02-16 through 2024-03-01 (the day of payment does not
  accrue), 14 + 1 = 15 days, at Prime + 3.5% = 12.00%: 10,000.00 x 12% x 15 / 360 = 50.00.
- The March installment is repaid on 2024-04-10: overdue 2024-04-01 to 2024-04-09, 9 days. It already accrues
  10.00% as part of the loan; the clause raises it to 10.00% + 2% = 12.00%: 100,000.00 x (12% - 10%) x 9 / 360
  = 50.00.
- The June installment is never paid: from 2024-07-01, 100,000.00 x 2% / 360 = 5.5555... a day.
- The loan's own interest: 1,000,000.00 x 10% x 99 / 360 = 27,500.00 for 2024-01-02 to 2024-04-09 (30 + 29 + 31
  + 9 days), then 900,000.00 x 10% / 360 = 250.00 a day.
"""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES, copy_of, edit, facility
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement
from loanbook.cli import app
from loanbook.core.errors import InputError

OVERDUE = FIXTURES / "overdue"
DOC = "documents/loan-agreement.yaml"
CENT = D("0.01")
runner = CliRunner()


@pytest.fixture(scope="module")
def agreement():
    return load_agreement(OVERDUE)


def record() -> list[dict]:
    return yaml.safe_load((OVERDUE / "events.yaml").read_text())


def status(day: str) -> dict:
    result = runner.invoke(app, ["status", "--facility", str(OVERDUE), "--as-of", day, "--json"])
    assert result.exit_code == 0, result.output
    import json
    return json.loads(result.stdout)


def test_the_fixture_passes_its_check(agreement):
    assert passed(fidelity_check(agreement))


def test_status_by_hand():
    # 2024-03-05: the fee's 50.00; the loan's 1,000,000.00 x 10% x 64 / 360 = 17,777.777... (2024-01-02 to 03-05)
    s = status("2024-03-05")
    assert (D(s["overdue_interest"]), D(s["interest_accrued_unpaid"])) == (D("50.00"), D("17827.78"))
    # 2024-04-15: 50.00 + 50.00; the loan's 27,500.00 + 900,000.00 x 10% x 6 / 360 = 1,500.00
    s = status("2024-04-15")
    assert (D(s["overdue_interest"]), D(s["interest_accrued_unpaid"])) == (D("100.00"), D("29100.00"))
    # 2024-07-05: + 100,000.00 x 2% x 5 / 360 = 27.777... (July 1 to 5); the loan's 27,500.00 + 900,000.00 x 10%
    # x 87 / 360 = 21,750.00 (April 10 to July 5: 21 + 31 + 30 + 5 days)
    s = status("2024-07-05")
    assert D(s["overdue_interest"]) == D("127.78")
    assert D(s["interest_accrued_unpaid"]) == D("49377.78")  # 49,250.00 + 127.777...


def test_after_maturity_the_whole_principal_and_not_its_installments_again():
    """From 2025-01-01 the whole 900,000.00 is past due (principal at maturity): it bears the 2% over the
    10.00% it accrues, and the June installment and the December balance inside it are not charged again.
    June's 100,000.00 over 2024-07-01 to 12-31 (184 days): 100,000.00 x 2% x 184 / 360 = 1,022.222...;
    then 900,000.00 x 2% x 10 / 360 = 500.00 (2025-01-01 to 01-10). With the 100.00 of the spring: 1,622.22."""
    s = status("2025-01-10")
    assert D(s["overdue_interest"]) == D("1622.22")
    # the loan's: 27,500.00 + 900,000.00 x 10% x 276 / 360 = 69,000.00 (2024-04-10 to 2025-01-10)
    assert D(s["interest_accrued_unpaid"]) == D("98122.22")


def test_the_interest_statement_has_a_line_per_overdue_amount(agreement):
    engine = facility(agreement, record())
    april = engine.interest_statement(date(2024, 4, 1), date(2024, 4, 30))[0]
    [line] = april.overdue
    assert (line.what, line.due, line.start, line.end, line.days) == (
        "term_loan principal installment", date(2024, 3, 31), date(2024, 4, 1), date(2024, 4, 9), 9)
    assert (line.amount, line.rate, line.already_accruing, line.day_basis, line.clause) == (
        D("100000.00"), D("12.00"), D("10.00"), "actual/360", "section-4")
    assert line.interest == D("50")
    # the month: 1,000,000.00 x 10% x 9 / 360 = 2,500.00 + 900,000.00 x 10% x 21 / 360 = 5,250.00, + 50.00
    assert april.interest == D("7800.00")
    february, march = engine.interest_statement(date(2024, 2, 1), date(2024, 3, 31))
    # the fee's 15 days cut at the month's end: 14 in February (46.666...), 1 in March (3.333...)
    assert [(r.start, r.end, r.rate) for r in february.overdue] == [
        (date(2024, 2, 16), date(2024, 2, 29), D("12.00"))]
    assert february.overdue[0].interest.quantize(CENT) == D("46.67")
    assert march.overdue[0].interest.quantize(CENT) == D("3.33")


def test_the_statement_json_and_text():
    result = runner.invoke(app, ["interest", "--facility", str(OVERDUE), "--from", "2024-04-01", "--to",
                                 "2024-04-30", "--json"])
    assert result.exit_code == 0, result.output
    import json
    [line] = json.loads(result.stdout)["months"][0]["overdue"]
    assert (line["rate"], line["already_accruing"], line["from"], line["to"]) == ("12.00", "10.00", "2024-04-01",
                                                                                   "2024-04-09")
    text = runner.invoke(app, ["interest", "--facility", str(OVERDUE), "--from", "2024-04-01", "--to", "2024-04-30"])
    assert "less 10.00% already accruing" in text.output and "50.00" in text.output


def test_explain_shows_the_arithmetic(agreement):
    engine = facility(agreement, record())
    tree = engine.explain("interest", date(2024, 4, 15))
    [overdue] = [x for x in tree.inputs if x.figure == "interest on overdue amounts"]
    assert overdue.value == D("100")
    fee, principal = overdue.inputs
    assert fee.formula == "10,000.00 x (12.00%) (prime + 3.5% on overdue amounts) x 15 days / 360"
    assert principal.formula == ("100,000.00 x (12.00% - 10.00% already accruing) (prime + 1.5% + 2% on "
                                 "overdue amounts) x 9 days / 360")
    assert principal.clause is not None and "not paid when due" in str(principal.clause)


def test_a_payoff_includes_it_and_paying_it_closes_the_loan(agreement):
    engine = facility(agreement, record())
    pay = engine.payoff(date(2024, 4, 16))  # interest through 04-15: 29,100.00
    assert (pay.interest, pay.total) == (D("29100.00"), D("929100.00"))
    paid = facility(agreement, record() + [
        {"date": "2024-04-16", "type": "interest_payment", "amount": "29100.00"},
        {"date": "2024-04-16", "type": "repayment", "loan": "term_loan", "amount": "900000.00"},
        {"date": "2024-04-16", "type": "paid_in_full"}])
    assert paid.payoff(date(2024, 4, 16)).total == D("0.00")
    with pytest.raises(InputError, match="still owed: interest 100.00"):  # the loan's interest alone leaves 100.00
        facility(agreement, record() + [
            {"date": "2024-04-16", "type": "interest_payment", "amount": "29000.00"},
            {"date": "2024-04-16", "type": "repayment", "loan": "term_loan", "amount": "900000.00"},
            {"date": "2024-04-16", "type": "paid_in_full"}])


def test_an_event_of_default_already_charges_the_margin(agreement):
    """A default declared on 2024-07-03 puts the whole loan at 10% + 2% (the first clause, a default rate too):
    the June installment then already bears 12% and has no overdue line from 07-03. Overdue: 100.00 + 100,000.00 x
    2% x 2 / 360 = 11.111... (July 1 and 2) = 111.11."""
    engine = facility(agreement, record() + [{"date": "2024-07-03", "type": "default_declared"}])
    assert engine.status(date(2024, 7, 5)).overdue_interest == D("111.11")


def test_no_clause_no_overdue_interest(tmp_path):
    folder = copy_of(OVERDUE, tmp_path)
    edit(folder / DOC, "tranches: [term_loan], overdue: true}", "tranches: [term_loan]}")
    edit(folder / DOC, "{kind: default_rate, rate: prime + 3.5%, overdue: true, day_basis: actual/360}",
         "{kind: default_rate, rate: prime + 3.5%}")
    engine = facility(load_agreement(folder), record())
    s = engine.status(date(2024, 4, 15))
    assert (s.overdue_interest, s.interest_accrued_unpaid) == (None, D("29000.00"))


def test_an_overdue_rate_without_a_day_basis_is_refused(tmp_path):
    folder = copy_of(OVERDUE, tmp_path)
    edit(folder / DOC, ", overdue: true, day_basis: actual/360}", ", overdue: true}")
    with pytest.raises(InputError) as caught:
        load_agreement(folder)
    message = str(caught.value)
    assert "loan-agreement.yaml" in message and "(line 50)" in message and "terms.1" in message
    assert "needs day_basis" in message


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(late=st.integers(min_value=1, max_value=60), asked=st.integers(min_value=0, max_value=30))
def test_paying_on_day_d_stops_the_interest_from_d_on(agreement, late, asked):
    """The March installment repaid `late` days after its due date: it accrues 100,000.00 x 2% / 360 a day on the
    days strictly between the due date and the payment, whatever later day is asked (before the June installment
    falls due); and paying later never costs less."""
    def overdue(days_late: int, on: date) -> D:
        rows = [r for r in record() if r["type"] != "repayment"] + [
            {"date": (date(2024, 3, 31) + timedelta(days=days_late)).isoformat(), "type": "repayment",
             "loan": "term_loan", "amount": "100000.00"}]
        value = facility(agreement, rows).overdue_interest(on)
        assert value is not None
        return value - D("50.00")  # the closing fee's

    paid = date(2024, 3, 31) + timedelta(days=late)
    on = paid + timedelta(days=asked)
    expected = (D("100000.00") * D("0.02") * (late - 1) / 360).quantize(CENT)
    assert overdue(late, on) == expected
    if late < 60:
        assert overdue(late + 1, on + timedelta(days=1)) >= overdue(late, on)


def test_the_monthly_statement_and_the_export_list_it(agreement):
    """The monthly statement's interest table and the interest export (--out) carry the overdue line, at the 2%
    it adds over what the installment already accrues."""
    from loanbook.reports.documents import monthly_statement
    from loanbook.reports.rows import interest_table

    engine = facility(agreement, record())
    [interest] = [s for s in monthly_statement(engine, "2024-04").sections if s.heading == "Interest"]
    rows = interest.tables[0].rows
    overdue = [r for r in rows if str(r[0]).startswith("Overdue: term_loan principal installment")]
    assert [(r[1], r[2], r[3], r[4], r[5], r[7]) for r in overdue] == [
        (date(2024, 4, 1), date(2024, 4, 9), 9, D("100000.00"), D("2.00"), D("50"))]
    assert rows[-1][-1] == D("7800.00")  # "Interest for the month"
    table = interest_table(engine.interest_statement(date(2024, 4, 1), date(2024, 4, 30))).to_pylist()
    assert [(r["tranche"], r["rate"], r["interest"]) for r in table][-1] == (
        "overdue: term_loan principal installment (due 2024-03-31)", D("2.00"), D("50.00"))


def test_a_rate_in_lieu_charges_the_difference_on_overdue_principal(tmp_path):
    """Written as a rate ("at Prime + 5%", 13.50%, in lieu of the 10.00%): the March installment bears the 3.50%
    between them, 100,000.00 x 3.5% x 9 / 360 = 87.50, on the Term Loan's day basis; with the fee's 50.00 (the
    clause names a tranche: the fee keeps the other clause's 12%), 137.50 on 2024-04-15."""
    folder = copy_of(OVERDUE, tmp_path)
    edit(folder / DOC, '{kind: default_rate, margin: "2", tranches: [term_loan], overdue: true}',
         "{kind: default_rate, rate: prime + 5%, tranches: [term_loan], overdue: true}")
    engine = facility(load_agreement(folder), record())
    assert engine.overdue_interest(date(2024, 4, 15)) == D("137.50")
    [line] = engine.interest_statement(date(2024, 4, 1), date(2024, 4, 30))[0].overdue
    assert (line.rate, line.already_accruing, line.interest) == (D("13.50"), D("10.00"), D("87.5"))
    assert line.rate_formula == "prime + 5% on overdue amounts, in lieu of prime + 1.5%"
