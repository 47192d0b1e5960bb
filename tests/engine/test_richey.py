"""The Richey Electronics / First Interstate facility (examples/richey-1995): figures worked by hand."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import RICHEY, decide, facility, flat, folder_facility
from loanbook import projection as out
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement


@pytest.fixture(scope="module")
def richey():
    return load_agreement(RICHEY)


@pytest.fixture(scope="module")
def engine(richey):
    return folder_facility(RICHEY, richey)


def test_the_folder_passes_the_fidelity_check(richey):
    assert passed(fidelity_check(richey))


def test_a_grid_in_basis_points_read_as_percentages_is_a_difference(tmp_path):
    """Without basis_points: true the ABR margin of level I, 100.00 basis points, would be read as 100%: the
    text says "(expressed in basis points)", so the fidelity check names the column."""
    import shutil

    copy = tmp_path / "richey"
    shutil.copytree(RICHEY, copy)
    terms = copy / "documents" / "loan-agreement.yaml"
    marked = "{id: abr_margin, label: Applicable Alternate Base Rate Margin, basis_points: true,"
    assert marked in terms.read_text()
    terms.write_text(terms.read_text().replace(marked, marked.replace(" basis_points: true,", ""), 1))
    findings = fidelity_check(load_agreement(copy))
    assert not passed(findings)
    assert [f.message for f in findings if f.severity == "difference"] == [
        "loan-agreement: the text gives basis points, and abr_margin reads 100.00, 50.00, 25.00, 0.00 as "
        "percentages: if they are basis points, say basis_points: true"]


def test_an_assumption_no_term_uses_is_a_difference(tmp_path):
    """The commitment fee's actual/360 rests on the assumption "360" (Section 3.9, outside its clause's text);
    a day basis changed to actual/actual leaves the assumption standing for nothing, and the check says so, and
    says that the years actual/actual counts in (365 and 366) are neither stated nor assumed."""
    import shutil

    copy = tmp_path / "richey"
    shutil.copytree(RICHEY, copy)
    terms = copy / "documents" / "loan-agreement.yaml"
    assert terms.read_text().count("day_basis: actual/360") == 1
    terms.write_text(terms.read_text().replace("day_basis: actual/360", "day_basis: actual/actual"))
    findings = [f for f in fidelity_check(load_agreement(copy)) if f.severity == "difference"]
    assert [(f.clause, f.message) for f in findings] == [
        ("section-3.4", f"loan-agreement: the terms set terms[0].day_basis = {year}, which the text does not state and "
                        "no assumption declares") for year in (365, 366)] + [
        ("section-3.4", "loan-agreement: the assumption '360' is used by no number of the terms: remove it, or "
                        "restore the figure it stood for")]


def test_a_percent_column_beside_a_basis_point_column_is_not_a_difference():
    """The text gives the commitment fee in basis points and the margins in percent ("6.00%"): the margin column,
    whose values are 5 or more, is read as percentages rightly, and is not reported."""
    from dataclasses import replace as replaced

    from loanbook.agreement.check import _unmarked_basis_points
    from loanbook.agreement.kinds_pricing import LevelGrid

    grid = LevelGrid.model_validate({
        "kind": "level_grid", "id": "pricing", "label": "Pricing", "measure": "leverage", "certificate": "cert",
        "levels": [{"level": "I", "lower": "3.00"}, {"level": "II", "upper": "3.00"}],
        "values": [{"id": "margin", "label": "Margin", "by_level": {"I": "6.00", "II": "5.50"}},
                   {"id": "fee", "label": "Fee", "basis_points": True, "by_level": {"I": "50.00", "II": "37.50"}}],
        "takes_effect": "on_delivery"})
    version = next(v for c in load_agreement(RICHEY).clauses.values() for v in c.versions if v.text)
    text = "a margin of 6.00% (Level I) or 5.50% (Level II), and a fee of 50 or 37.5 basis points"
    assert _unmarked_basis_points(replaced(version, text=text, terms=(grid,))) == []
    bare = "a margin of 6.00 (Level I) or 5.50 (Level II) basis points"  # no percent sign: basis points
    assert len(_unmarked_basis_points(replaced(version, text=bare, terms=(grid,)))) == 1


def test_the_commitment_binds_at_closing(engine):
    s = flat(engine.status(date(1995, 12, 20)))
    # 85% x 40,000,000 = 34,000,000; 50% x 30,000,000 = 15,000,000; Borrowing Base 49,000,000
    assert s["borrowing_base_total"] == D("49000000.00")
    # lesser of 49,000,000 and the Line A Commitment 45,000,000 = 45,000,000;
    # usage 30,000,000 loans + 2,000,000 Line A letter of credit = 32,000,000; availability 13,000,000
    assert s["availabilities"][0]["capacity"] == D("45000000.00")
    assert s["availability"] == D("13000000.00")
    # Line B: its standby letter of credit (30,000,000) is open, no Line B Loan yet
    assert s["loans"] == {"line_a": D("30000000.00"), "line_b": D("0.00")}
    assert s["line_b_letters_of_credit"] == D("30000000.00")
    # no overadvance clause: the keys are there, empty
    assert s["overadvance"] is None and s["overadvances"] == [] and s["breaches"] == []


def test_the_borrowing_base_binds_and_an_excess_is_a_breach(engine):
    s = flat(engine.status(date(1996, 1, 31)))
    # 85% x 30,000,000 = 25,500,000; 50% x 20,000,000 = 10,000,000: 35,500,000 < 45,000,000
    # availability 35,500,000 - 32,000,000 = 3,500,000
    assert s["borrowing_base_total"] == D("35500000.00") and s["availability"] == D("3500000.00")
    s = flat(engine.status(date(1996, 2, 15)))
    # after a 5,000,000 advance: usage 37,000,000 > 35,500,000: 1,500,000 payable immediately (3.1(e)(i))
    assert [(b["rule"], b["amount"], b["limit"]) for b in s["breaches"]] == [
        ("availability", D("37000000.00"), D("35500000.00"))]
    s = flat(engine.status(date(1996, 2, 16)))  # the excess repaid
    assert s["breaches"] == [] and s["availability"] == D("0")


def test_advances_beyond_availability_are_refused_without_an_overadvance_clause(engine):
    d = decide(engine, date(1996, 1, 31), D("3500000.00"))
    assert d["decision"] == "within_capacity"
    d = decide(engine, date(1996, 1, 31), D("3500000.01"))
    assert d["decision"] == "refused" and d["reason_codes"] == ["no_overadvance"]
    # Line B is a term tranche with no availability clause
    assert decide(engine, date(1996, 1, 31), D("1.00"), "line_b")["reason_codes"] == ["not_revolving"]


def test_no_advance_on_the_maturity_date(richey):
    engine = facility(richey, [{"date": "1999-12-01", "type": "borrowing_base_report",
                                "values": {"eligible_receivables": "1000000.00", "eligible_inventory": "0"}}])
    # advances only "to, but excluding, the Line A Maturity Date" (1999-12-31); 85% x 1,000,000 = 850,000
    assert decide(engine, date(1999, 12, 30), D("850000.00"))["decision"] == "within_capacity"
    assert decide(engine, date(1999, 12, 31), D("1.00"))["reason_codes"] == ["term_expired"]
def test_line_b_amortization(engine):
    def rows(day):
        return {o.id: (o.status, o.amount) for o in engine.obligations(day) if o.kind == "installment"}
    # 1,500,000 repaid on 1997-03-31 pays the first installment exactly
    assert rows(date(1997, 4, 1))["line_b_amortization:1997-03-31"] == ("satisfied", D("1500000.00"))
    # nothing paid on 1997-06-30: 2,000,000 unpaid the next day, a breach in status too
    assert rows(date(1997, 7, 1))["line_b_amortization:1997-06-30"] == ("breached", D("2000000.00"))
    breaches = flat(engine.status(date(1997, 7, 1)))["breaches"]
    assert [(b["rule"], b["amount"]) for b in breaches] == [("amortization", D("2000000.00"))]
    # paid three days late: 1,500,000 + 2,000,000 = 3,500,000 repaid covers both installments
    assert rows(date(1997, 7, 3))["line_b_amortization:1997-06-30"][0] == "satisfied"
    assert flat(engine.status(date(1997, 7, 3)))["breaches"] == []
    # the schedule adds up to the Line B Commitment: 1.5 + 3 x 2.0 + 4 x 2.5 + 2 x 6.25 = 30 million
    assert sum(amount for _, amount in rows(date(1997, 3, 30)).values()) == D("30000000.00")


def test_each_line_has_its_own_maturity(engine):
    obligations = {o.id: o for o in engine.obligations(date(1999, 7, 1))}
    # Line B matured 1999-06-30 with 28,500,000 - 2,000,000 = 26,500,000 still outstanding: breached
    assert obligations["line_b_maturity"].status == "breached"
    assert obligations["line_a_maturity"].status == "pending"


# --- pricing, the commitment fee and covenants (issue 8) ------------------------------------------------

def test_interest_on_a_year_of_365_or_366_days(engine):
    december = engine.interest_statement(date(1995, 12, 20), date(1995, 12, 31))[0]
    # Line A 30,000,000 at prime 8.50% (from 12/20/95) + Level I 1.00% (the initial Pricing Period) = 9.50%,
    # over 1995's 365 days: 30,000,000 x 9.50% x 12 / 365 = 93,698.6301... -> 93,698.63
    assert december.classes["line_a"].interest == D("93698.63")
    january = engine.interest_statement(date(1996, 1, 1), date(1996, 1, 31))[0]
    # 1996 has 366 days: 30,000,000 x 9.50% x 31 / 366 = 241,393.4426... -> 241,393.44
    assert january.classes["line_a"].interest == D("241393.44")
    # Line B from its funding on 1/2: 30,000,000 x 9.50% x 30 / 366 = 233,606.557... -> 233,606.56
    assert january.classes["line_b"].interest == D("233606.56")
    # the federal funds rate + 0.5% (5.50% + 0.5% = 6.00%) is below prime: the Alternate Base Rate is prime
    assert engine.book(date(1996, 1, 15)).value("alternate_base_rate") == D("8.50")


def test_the_commitment_fee_of_the_first_quarter(engine):
    first = [c for c in engine.charges_on(date(1995, 12, 31)) if c.fee == "commitment_fee"][0]
    # unused Line A: 45,000,000 - (30,000,000 loans + 2,000,000 letter of credit) = 13,000,000 for 12 days;
    # Level I: 37.50 basis points: 13,000,000 x 0.375% x 12 / 360 = 1,625.00, due on the Quarterly Payment Date
    assert (first.start, first.end, first.base, first.rate, first.amount) == (
        date(1995, 12, 20), date(1995, 12, 31), D("13000000.00"), D("0.375"), D("1625.00"))
    assert (first.due, first.status) == (date(1995, 12, 31), "due")


def test_a_fee_paid_ahead_is_not_owed_again_and_the_rest_is_a_credit(richey):
    """5,000.00 paid toward the commitment fee on 1996-01-10: the 1,625.00 due for 1995 first, then what the
    first quarter of 1996 has accrued; the rest is a credit. A new user's payoff had counted the fee again."""
    import yaml

    rows = [{**r, "date": str(r["date"])} for r in yaml.safe_load((RICHEY / "events.yaml").read_text())
            if str(r["date"]) <= "1996-01-10"]
    engine = facility(richey, rows + [{"date": "1996-01-10", "type": "fee_payment", "fee": "commitment_fee",
                                       "amount": "5000.00"}])
    december, first = [c for c in engine.charges_on(date(1996, 1, 10)) if c.fee == "commitment_fee"]
    assert (december.paid, december.status) == (D("1625.00"), "paid")
    # 1996-01-01 to 01-10 on 13,000,000 unused at 0.375%: 13,000,000 x 0.375% x 10 / 360 = 1,354.1666 -> 1,354.17
    assert (first.amount, first.paid, first.status) == (D("1354.17"), D("1354.17"), "accruing")
    # 5,000.00 - 1,625.00 - 1,354.17 = 2,020.83
    assert engine.charges_credit(date(1996, 1, 10)) == D("2020.83")
    assert engine.payoff(date(1996, 1, 11)).fees == D("0.00")  # everything accrued through the 10th is paid
    assert out.fees_json(None, date(1996, 1, 10), engine.charges_on(date(1996, 1, 10)),
                         engine.charges_credit(date(1996, 1, 10)))["credit"] == "2020.83"


def test_fees_and_the_payoff_explain_the_commitment_fee(engine):
    """`explain fees` is what is due (the 1,625.00 for 1995 on 1996-01-05); `explain payoff` adds up to the
    payoff, the fee accrued through the day before included (it showed only an installment fee, none here)."""
    fees = engine.explain("fees", date(1996, 1, 5))
    assert (fees.value, [x.figure for x in fees.inputs]) == (D("1625.00"), ["commitment_fee"])
    charge, paid = fees.inputs[0].inputs  # the charge of 1995, and what was paid toward it (nothing)
    assert (charge.value, paid.figure, paid.value) == (D("1625.00"), "paid toward commitment_fee", D("0.00"))
    payoff = engine.explain("payoff", date(1996, 1, 11))
    principal, interest, fee, expenses = payoff.inputs
    # 1,625.00 due for 1995 + 1996-01-01 to 01-10 on 13,000,000 at 0.375% / 360: 1,354.1666 -> 1,354.17 = 2,979.17
    assert fee.value == engine.payoff(date(1996, 1, 11)).fees == D("2979.17")
    assert principal.value + interest.value + fee.value + expenses.value == payoff.value


@pytest.mark.parametrize("day,margin", [
    (date(1996, 8, 31), "1.00"),   # the initial Pricing Period: Level I
    (date(1996, 9, 1), "0.50"),    # from 9/1: the 6/30 certificate (3.21, delivered 8/10): Level II
    (date(1996, 12, 1), "0.25"),   # from 12/1: 2.995 as reported is below 3.00: Level III (I-1)
    (date(1997, 3, 3), "1.00"),    # the 12/31 certificate came on 3/5, after its period began 3/1: Level I
    (date(1997, 3, 5), "0.25"),    # delivered: 2.50, Level III
])
def test_pricing_periods_and_a_late_certificate(engine, day, margin):
    assert engine.book(day).value("abr_margin") == D(margin)


def test_the_rounding_reading_moves_a_boundary_ratio(richey):
    rounded = load_agreement(RICHEY, {"I-1": "rounded"})
    engine = folder_facility(RICHEY, rounded)
    # 2.995 rounded half up to two places is 3.00: Level II (0.50%)
    assert engine.book(date(1996, 12, 1)).value("abr_margin") == D("0.50")


def twelve_months(**last):
    rows = []
    for month_end in ("1996-07-31", "1996-08-31", "1996-09-30", "1996-10-31", "1996-11-30", "1996-12-31",
                      "1997-01-31", "1997-02-28", "1997-03-31", "1997-04-30", "1997-05-31", "1997-06-30"):
        figures = {"ebitda": "1000000.00", "rental_expense": "200000.00", "interest_expense": "300000.00"}
        if month_end == "1997-06-30":
            figures.update({"current_portion_ltd": "600000.00", **last})
        rows.append({"date": "1997-07-20", "type": "document_delivered", "document": "compliance_certificate",
                     "period_end": month_end, "figures": figures})
    return rows


@pytest.mark.parametrize("liabilities,leverage,status", [
    ("50000000.00", "4.17", "compliant"),   # 50,000,000 / 12,000,000 = 4.1666... -> 4.17 <= 4.25
    ("50998800.00", "4.25", "compliant"),   # 4.2499 -> 4.25, at the threshold
    ("51061200.00", "4.26", "breached"),    # 4.2551 -> 4.26 > 4.25
])
def test_covenants_over_twelve_fiscal_months(richey, liabilities, leverage, status):
    engine = facility(richey, twelve_months(adjusted_total_liabilities=liabilities))
    results = {r.covenant: r for r in engine.covenant_tests(date(1997, 7, 31)) if r.test_date == date(1997, 6, 30)}
    # FCCR = (12 x 1,000,000 + 12 x 200,000) / (12 x 300,000 + 12 x 200,000 + 600,000) = 14,400,000 / 6,600,000
    #      = 2.1818... -> 2.18, at least 1.60 (6/30/96 to 5/31/98)
    fccr = results["fixed_charge_coverage"]
    assert (fccr.measure, fccr.threshold, fccr.status) == (D("2.18"), D("1.60"), "compliant")
    # leverage threshold 4.25 from 6/30/97
    lev = results["cash_flow_leverage_test"]
    assert (lev.measure, lev.threshold, lev.status) == (D(leverage), D("4.25"), status)
