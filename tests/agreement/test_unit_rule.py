"""The one unit rule (docs/agreement-format.md, Values): every field that holds a rate reads a bare number as a
percentage, a number may carry its unit (0.5%, 50bp), and a term that cannot be meant is refused at load.

New users wrote a computed fee's rate as `rate: "0.5"` (0.5% a year, as the text says) and got 50%: the fee
came out 100 times too large, and `check` passed. These tests pin the rule in every kind that holds a rate."""
import re
import shutil
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ACME, FIXTURES, copy_of, edit, facility
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.formula import FormulaError, parse_formula
from loanbook.agreement.kinds import Cap, Line, NamedFigure, PricingRow, Reserve
from loanbook.agreement.kinds_covenants import Covenant
from loanbook.agreement.kinds_eligibility import Eligibility
from loanbook.agreement.kinds_fees import ComputedFee, FeeWindow
from loanbook.agreement.kinds_pricing import DefaultRate, InterestRate, LevelValues
from loanbook.agreement.load import load_agreement
from loanbook.agreement.quantity import RATE, parse_constant
from loanbook.core.errors import InputError

WIDGET = FIXTURES / "widget"


def rate_of(formula) -> D:
    """A constant formula's value in percent (formulas hold fractions: 0.5% is 0.005)."""
    return formula.tree.value * 100


# --- one rule in every field that holds a rate ------------------------------------------------------------

FEE = {"kind": "computed_fee", "id": "fee", "label": "fee", "base": "revolving_commitment",
       "day_basis": "actual/360", "every": "month", "accrues_from": "2024-01-02"}


@pytest.mark.parametrize("written", ["0.5", "0.5%", "50bp", "50 bps", "0.50"])
def test_a_computed_fees_rate_is_a_percentage_however_it_is_written(written):
    assert rate_of(ComputedFee.model_validate({**FEE, "rate": written}).rate) == D("0.5")  # 0.5%, never 50%


@pytest.mark.parametrize("build, read", [
    (lambda w: Line.model_validate({"id": "l", "label": "l", "collateral": "c", "rate": w}), lambda m: rate_of(m.rate)),
    (lambda w: InterestRate.model_validate({"kind": "interest_rate", "tranche": "t", "rate": w,
                                            "day_basis": "actual/360"}), lambda m: rate_of(m.rate)),
    (lambda w: ComputedFee.model_validate({**FEE, "rate": w}), lambda m: rate_of(m.rate)),
    (lambda w: PricingRow.model_validate({"from": "2024-01-01", "to": "2024-12-31", "loan_class": "t",
                                          "index": "prime", "margin": w}), lambda m: m.margin),
    (lambda w: DefaultRate.model_validate({"kind": "default_rate", "margin": w}), lambda m: m.margin),
    (lambda w: FeeWindow.model_validate({"percent": w}), lambda m: m.percent),
    (lambda w: LevelValues.model_validate({"id": "m", "label": "m", "by_level": {"I": w}}), lambda m: m.value("I")),
    (lambda w: NamedFigure.model_validate({"id": "r", "label": "r", "unit": "percent", "value": w}),
     lambda m: rate_of(m.value)),
    (lambda w: Covenant.model_validate({"kind": "covenant", "id": "c", "label": "c", "measure": "x", "unit": "percent",
                                        "test": "at_most", "threshold": w, "every": "quarter",
                                        "first_test": "2024-03-31", "certificate": "d"}),
     lambda m: rate_of(m.threshold)),
    (lambda w: Eligibility.model_validate({"kind": "eligibility", "collateral": "c", "label": "c",
                                           "rules": {"concentration": {"percent": w}}}),
     lambda m: m.rules.concentration.percent),
])
@pytest.mark.parametrize("written", ["12.5", "12.5%", "1250bp"])
def test_every_field_that_holds_a_rate_reads_a_number_the_same_way(build, read, written):
    """12.5 bare, 12.5% and 1,250 basis points are one rate in every kind (a percent covenant's "25" was 2,500%)."""
    assert read(build(written)) == D("12.5")


@given(st.decimals(min_value=0, max_value=100, places=4))
def test_bare_percent_and_basis_points_agree_for_any_rate(rate):
    """Any rate from 0% to 100% reads the same bare, with %, and in basis points (x 100)."""
    bare, percent, points = (parse_constant(text, RATE) for text in (f"{rate}", f"{rate}%", f"{rate * 100}bp"))
    assert bare == percent == points == rate
    assert parse_formula(f"{rate}", unit="percent").tree.value == rate / 100  # held as a fraction in formulas


@pytest.mark.parametrize("written, readings", [
    ("1/2", ["0.5% (0.5 percent)", "50% (0.5 as a fraction)"]),
    ("0.25 + 0.25", ["0.5% (0.5 percent)", "50% (0.5 as a fraction)"]),
])
def test_bare_arithmetic_in_a_rate_field_is_refused_with_both_readings(written, readings):
    with pytest.raises(ValueError) as exc:
        ComputedFee.model_validate({**FEE, "rate": written})
    assert all(reading in str(exc.value) for reading in readings)


def test_a_bare_number_beside_a_percentage_names_both_readings():
    with pytest.raises(ValueError, match=re.escape("0.5 beside a percentage is ambiguous: write 0.5% (0.5 percent) "
                                                   "or 50% (0.5 as a fraction)")):
        InterestRate.model_validate({"kind": "interest_rate", "tranche": "t", "rate": "4% + 0.5",
                                     "day_basis": "actual/360"})


@pytest.mark.parametrize("text", ["maximum_limit -- 5", "maximum_limit + -5", "--5", "prime * -1"])
def test_two_signs_in_a_row_are_refused(text):
    with pytest.raises(FormulaError, match="two signs in a row"):
        parse_formula(text)


def test_a_signed_number_in_parentheses_is_read():
    assert str(parse_formula("maximum_limit - (-5)").tree) == str(parse_formula("maximum_limit - (-5)").tree)
    assert parse_formula("-(5)").tree is not None


# --- terms that cannot be meant -------------------------------------------------------------------------

@pytest.mark.parametrize("build, message", [
    (lambda: Line.model_validate({"id": "l", "label": "l", "collateral": "c", "rate": "850"}),
     "'850' is 850%: an advance rate is above 0% and at most 100%"),
    (lambda: Line.model_validate({"id": "l", "label": "l", "collateral": "c", "rate": "0"}),
     "an advance rate is above 0% and at most 100%"),
    (lambda: Line.model_validate({"id": "l", "label": "l", "collateral": "c",
                                  "rate": {"schedule": [{"from": "2024-01-01", "value": "85"},
                                                        {"from": "2024-06-01", "value": "110"}]}}),
     "schedule entry 2: '110' is 110%"),
    (lambda: Line.model_validate({"id": "l", "label": "l", "collateral": "c",
                                  "rate": {"step_down": {"start": "185", "step": "1", "every_months": 1,
                                                         "first_step": "2024-01-01", "floor": "75"}}}),
     "step_down start: '185' is 185%"),
    (lambda: ComputedFee.model_validate({**FEE, "rate": "-0.5%"}), "a rate is at least 0% and at most 100%"),
    (lambda: PricingRow.model_validate({"from": "2024-01-01", "to": "2024-12-31", "loan_class": "t",
                                        "index": "prime", "margin": "350"}), "'350' is 350%"),
    (lambda: Cap.model_validate({"amount": "-5000.00"}), "'-5000.00' is -5000: a cap or a sublimit is at least 0"),
    (lambda: Cap.model_validate({"amount": "120% * maximum_limit"}),
     "120% in '120% * maximum_limit': a cap or a sublimit is never above 100%"),
    (lambda: Reserve.model_validate({"id": "r", "label": "r", "amount": "-1.00"}), "an amount is at least 0"),
    (lambda: NamedFigure.model_validate({"id": "r", "label": "r", "unit": "percent", "value": "850"}),
     "'850' is 850%: a percentage is at least 0% and at most 100%"),
    (lambda: Eligibility.model_validate({"kind": "eligibility", "collateral": "c", "label": "c",
                                         "rules": {"concentration": {"percent": "125"}}}), "'125' is 125%"),
    (lambda: Eligibility.model_validate({"kind": "eligibility", "collateral": "c", "label": "c",
                                         "rules": {"concentration": {"percent": "0.25"}}}),
     "a percentage from 1 to 100 (25 or 25% is 25%), not 0.25%"),
    (lambda: LevelValues.model_validate({"id": "m", "label": "m", "basis_points": True,
                                         "by_level": {"I": "12000"}}), "level I: '12000' is 12000"),
])
def test_a_term_that_cannot_be_meant_is_refused(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_a_reserve_may_take_more_than_the_whole_of_a_loan():
    """A real clause reduces a base by 285% of the Term Loan: the reserve kind says a percentage may pass 100%."""
    reserve = Reserve.model_validate({"id": "r", "label": "r", "amount": "285% * term_loan_outstanding"})
    assert reserve.amount.tree.left.value == D("2.85")


def test_a_covenant_threshold_may_be_negative():
    """A net loss of at most $500,000: the threshold kind allows either sign."""
    covenant = Covenant.model_validate({"kind": "covenant", "id": "c", "label": "c", "measure": "x", "unit": "money",
                                        "test": "at_least", "threshold": "-500000.00", "every": "quarter",
                                        "first_test": "2024-03-31", "certificate": "d"})
    assert covenant.threshold.tree.operand.value == D("500000.00")


@pytest.fixture
def acme(tmp_path):
    return copy_of(ACME, tmp_path)


def test_an_advance_rate_of_850_is_refused_with_its_file_line_and_field(acme):
    """`850` computed a capacity at 850% with only a warning; it is refused when the folder is loaded."""
    edit(acme / "documents" / "loan-agreement.yaml", 'collateral: eligible_receivables, rate: "80"}',
         'collateral: eligible_receivables, rate: "850"}')
    with pytest.raises(InputError) as exc:
        load_agreement(acme)
    problem = exc.value.problems[0]
    assert problem.file.endswith("loan-agreement.yaml") and "line 20" in (problem.position or "")
    assert problem.field == "terms.0.lines.0.rate"
    assert "'850' is 850%: an advance rate is above 0% and at most 100%" in problem.message


# --- the fee a new user wrote, end to end -------------------------------------------------------------------

@pytest.fixture
def widget_with_fee_rate(tmp_path):
    def make(written: str):
        folder = tmp_path / f"widget-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(WIDGET, folder)
        doc = folder / "documents" / "credit-agreement.yaml"
        text = doc.read_text()
        assert text.count("        rate: 0.25%\n") == 1
        doc.write_text(text.replace("        rate: 0.25%\n", f'        rate: "{written}"\n'))
        return load_agreement(folder)
    return make


OPENING = [{"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"},
           {"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": "1000000.00"},
           {"date": "2024-01-02", "type": "borrowing_base_report",
            "values": {"eligible_receivables": "10000000.00", "eligible_inventory": "0", "eligible_equipment": "0"}}]


@pytest.mark.parametrize("written", ["0.25", "0.25%", "25bp"])
def test_the_unused_fee_is_the_same_however_its_rate_is_written(widget_with_fee_rate, written):
    """The text says 0.25% a year; a new user wrote "0.25" and got 25% (1,000 x too large: 180,277.78)."""
    engine = facility(widget_with_fee_rate(written), OPENING)
    january = [c for c in engine.charges_on(date(2024, 1, 31)) if c.fee == "unused_line_fee"][0]
    # unused = 10,000,000 - 1,000,000 = 9,000,000 each day, 1/2 to 1/31: 30 days -> 270,000,000 day-dollars;
    # 270,000,000 x 0.25% / 360 = 1,875.00
    assert (january.days, january.rate, january.amount) == (30, D("0.25"), D("1875.00"))


def test_a_fee_rate_written_as_a_fraction_fails_the_check(widget_with_fee_rate):
    """"0.0025" for 0.25% is 0.0025% by the rule: the text's 0.25% is then used by no term, a difference."""
    assert passed(fidelity_check(widget_with_fee_rate("0.25")))
    findings = fidelity_check(widget_with_fee_rate("0.0025"))
    assert not passed(findings)
    assert any("0.25%" in f.message and f.severity == "difference" for f in findings)
