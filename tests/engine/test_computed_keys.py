"""Keys the engine computes (issue 16) on tests/fixtures/keyco, a facility whose clause text is its own: a margin
grid keyed on the loans outstanding over an annualised EBITDA, the higher of two grids' margins, a value the text
leaves in no level (flagged in status and explain), covenants on engine figures (a leverage ratio, liquidity =
reported cash + the engine's availability), and an unused fee whose rate steps on each day's usage. Every figure
is worked by hand below from the fixture's events:

    2024-01-02  revolver 10,000,000; Eligible Receivables 25,000,000 (80%: 20,000,000 = the commitment)
    2024-02-15  repaid 2,000,000         -> 8,000,000
    2024-04-30  certificate Q1: EBITDA 1,000,000, cash 2,000,000, FCCR 1.40
    2024-05-15  advance 4,000,000        -> 12,000,000
    2024-07-30  certificate Q2: EBITDA 1,000,000, cash 2,000,000, FCCR 1.40
    2024-10-30  certificate Q3: EBITDA 1,500,000, cash 2,500,000, FCCR 1.10
    2024-11-15  advance 3,000,000        -> 15,000,000
    2024-12-01  Eligible Receivables 20,000,000 (80%: 16,000,000)
    2025-01-30  certificate Q4: EBITDA 500,000, cash 3,000,000, FCCR 1.30
"""
import shutil
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, facility, flat, folder_facility
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.kinds_pricing import Level, LevelGrid
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError, RecordError
from loanbook.projection import explanation_json

KEYCO = FIXTURES / "keyco"


@pytest.fixture(scope="module")
def keyco():
    return load_agreement(KEYCO)


@pytest.fixture(scope="module")
def engine(keyco):
    return folder_facility(KEYCO, keyco)


@pytest.mark.parametrize("name", ["keyco", "ratedco"])
def test_the_folders_pass_the_fidelity_check(name):
    assert passed(fidelity_check(load_agreement(KEYCO.parent / name)))


def value(engine, name, day):
    return engine.book(day).value(name)


# --- a grid keyed on the loans outstanding over an annualised EBITDA ------------------------------------------


def test_the_leverage_margin_follows_the_computed_ratio(engine):
    # before the first certificate takes effect (delivered 4/30, from 5/1): Level II as the text sets, 2.00%
    assert value(engine, "leverage_margin", date(2024, 4, 30)) == D("2.00")
    # Q1: loans on 3/31 8,000,000 / (EBITDA 1,000,000 x 4 = 4,000,000) = 2.00: "at least 2.00" is Level II
    assert value(engine, "leverage_margin", date(2024, 5, 1)) == D("2.00")
    # Q2 (from 8/1): 12,000,000 / ((1,000,000 + 1,000,000) x 2 = 4,000,000) = 3.00: neither "greater than 3.00"
    # (Level I) nor "less than 3.00" (Level II): the grid's unmatched level I, 2.50%, flagged
    assert value(engine, "leverage_margin", date(2024, 8, 1)) == D("2.50")
    # Q3 (from 11/1): 12,000,000 / ((1,000,000 + 1,000,000 + 1,500,000) x 4/3 = 4,666,666.67) = 2.571... -> 2.57:
    # Level II
    assert value(engine, "leverage_margin", date(2024, 11, 1)) == D("2.00")
    # Q4 (from 2/1/2025): 15,000,000 / (1,000,000 + 1,000,000 + 1,500,000 + 500,000 = 4,000,000) = 3.75: Level I
    assert value(engine, "leverage_margin", date(2025, 2, 1)) == D("2.50")


def test_the_explanation_shows_the_computed_key_tree(engine):
    tree = explanation_json(engine.explain("leverage_margin", date(2024, 11, 1)))
    key = tree["inputs"][0]
    assert key["figure"] == "leverage_level key" and key["value"] == "2.57"
    assert key["formula"] == "revolving_loans / annualised(ebitda, 4), rounded half up to 2 places"
    read = {i["figure"]: i["value"] for i in key["inputs"]}
    # the loans outstanding at the end of the period (9/30), then the three quarters annualised
    assert read == {"revolving_loans": "12000000.00", "ebitda for 2024-09-30": "1500000.00",
                    "ebitda for 2024-06-30": "1000000.00", "ebitda for 2024-03-31": "1000000.00",
                    "periods counted by annualised(ebitda)": "3.00"}
    assert "flag" not in tree


# --- the higher of two grids ----------------------------------------------------------------------------------


def test_the_applicable_margin_is_the_higher_of_two_grids(engine):
    # from 5/1: Leverage Margin II 2.00% against Coverage Margin B (FCCR 1.40, at least 1.25) 1.50%: 2.00%
    assert value(engine, "coverage_margin", date(2024, 5, 1)) == D("1.50")
    assert value(engine, "applicable_margin", date(2024, 5, 1)) == D("2.00")
    # from 11/1: Leverage Margin II 2.00% against Coverage Margin A (FCCR 1.10, less than 1.25) 2.25%: 2.25%
    assert value(engine, "coverage_margin", date(2024, 11, 1)) == D("2.25")
    assert value(engine, "applicable_margin", date(2024, 11, 1)) == D("2.25")


def test_the_margin_is_priced_into_a_month_of_interest(engine):
    month = engine.interest_statement(date(2024, 5, 1), date(2024, 5, 31))[0]
    # prime 8.50% + the higher margin 2.00% = 10.50%:
    #   8,000,000 x 10.50% x 14 days (5/1-5/14) / 360 = 32,666.666...
    # + 12,000,000 x 10.50% x 17 days (5/15-5/31) / 360 = 59,500.00
    # = 92,166.666... -> 92,166.67
    assert month.interest == D("92166.67")


# --- a value that falls in no level ---------------------------------------------------------------------------


def test_a_value_in_no_level_is_flagged_in_status_and_explain(engine):
    status = flat(engine.status(date(2024, 8, 15)))
    assert status["unmatched"] == [{
        "grid": "leverage_level", "label": "Leverage Margin level", "clause": "section-1.3",
        "key": "revolving_loans / annualised(ebitda, 4)", "value": D("3.00"), "level": "I",
        "detail": "revolving_loans / annualised(ebitda, 4) 3.00 for the period ended 2024-06-30 falls in no level "
                  "of the grid: level I, as the grid's unmatched says (flagged), delivered 2024-07-30, in effect "
                  "from 2024-08-01"}]
    tree = explanation_json(engine.explain("leverage_margin", date(2024, 8, 15)))
    assert tree["flag"] == ("revolving_loans / annualised(ebitda, 4) 3.00 falls in no level of Leverage Margin "
                            "level; level I is taken as the grid's unmatched says")
    # the applicable margin built on it carries the flag down its tree
    margin = explanation_json(engine.explain("applicable_margin", date(2024, 8, 15)))
    assert margin["value"] == "2.50" and margin["inputs"][0]["flag"] == tree["flag"]
    # once Q3's 2.57 takes effect, nothing is flagged
    assert flat(engine.status(date(2024, 11, 1)))["unmatched"] == []


def test_a_grid_with_a_gap_and_no_unmatched_level_is_refused():
    with pytest.raises(ValueError, match="the value 3.00 falls in no level.*say unmatched"):
        LevelGrid.model_validate({
            "kind": "level_grid", "id": "g", "label": "g", "measure": "m", "certificate": "c",
            "takes_effect": "on_delivery",
            "levels": [{"level": "I", "lower": "3.00", "lower_inclusive": False}, {"level": "II", "upper": "3.00"}],
            "values": [{"id": "v", "label": "v", "by_level": {"I": "1", "II": "2"}}]})


@given(st.decimals(min_value=D("0"), max_value=D("6"), places=2))
def test_a_value_is_in_one_level_or_flagged_in_the_gap(ratio):
    levels = (Level(level="I", lower=D("3.00"), lower_inclusive=False),
              Level(level="II", lower=D("2.00"), upper=D("3.00")), Level(level="III", upper=D("2.00")))
    grid = LevelGrid.model_validate({
        "kind": "level_grid", "id": "g", "label": "g", "measure": "m", "certificate": "c",
        "takes_effect": "on_delivery", "unmatched": "I", "levels": [lv.model_dump() for lv in levels],
        "values": [{"id": "v", "label": "v", "by_level": {"I": "1", "II": "2", "III": "3"}}]})
    found = grid.level_of(ratio)
    inside = [lv.level for lv in levels if lv.contains(ratio)]
    assert len(inside) <= 1
    assert (found is None) == (ratio == D("3.00")) and (found is None or [found.level] == inside)


# --- covenants on engine figures, over windows that grow by date ----------------------------------------------


def test_covenants_read_the_engines_figures_and_annualise(engine):
    results = {(r.covenant, r.test_date): r for r in engine.covenant_tests(date(2025, 3, 1))}

    def row(covenant, day):
        r = results[(covenant, day)]
        return r.measure, r.status

    # Leverage Ratio at most 3.50, on annualised EBITDA:
    #   Q1 8,000,000 / (1,000,000 x 4)                          = 2.00
    #   Q2 12,000,000 / (2,000,000 x 2)                         = 3.00
    #   Q3 12,000,000 / (3,500,000 x 4/3 = 4,666,666.67)        = 2.5714... -> 2.57
    #   Q4 15,000,000 / 4,000,000 (the four quarters)           = 3.75: breached
    assert row("maximum_leverage", date(2024, 3, 31)) == (D("2.00"), "compliant")
    assert row("maximum_leverage", date(2024, 6, 30)) == (D("3.00"), "compliant")
    assert row("maximum_leverage", date(2024, 9, 30)) == (D("2.57"), "compliant")
    assert row("maximum_leverage", date(2024, 12, 31)) == (D("3.75"), "breached")
    # Liquidity at least 5,000,000 = Unrestricted Cash + Availability on the test date:
    #   Q1 2,000,000 + (min(20,000,000, 80% x 25,000,000) - 8,000,000 = 12,000,000)   = 14,000,000
    #   Q2 2,000,000 + (20,000,000 - 12,000,000 = 8,000,000)                          = 10,000,000
    #   Q3 2,500,000 + 8,000,000                                                       = 10,500,000
    #   Q4 3,000,000 + (min(20,000,000, 80% x 20,000,000) - 15,000,000 = 1,000,000)   = 4,000,000: breached
    assert row("minimum_liquidity", date(2024, 3, 31)) == (D("14000000.00"), "compliant")
    assert row("minimum_liquidity", date(2024, 6, 30)) == (D("10000000.00"), "compliant")
    assert row("minimum_liquidity", date(2024, 9, 30)) == (D("10500000.00"), "compliant")
    assert row("minimum_liquidity", date(2024, 12, 31)) == (D("4000000.00"), "breached")


def test_a_covenant_explains_the_engine_figure_it_read(engine):
    result = next(r for r in engine.covenant_tests(date(2025, 3, 1))
                  if r.covenant == "minimum_liquidity" and r.test_date == date(2024, 12, 31))
    read = {i.figure: i for i in result.explanation.inputs}
    assert read["unrestricted_cash"].value == D("3000000.00")
    availability = read["availability"]
    assert availability.value == D("1000000.00")
    # availability's own tree: its capacity and the loans, from the clause
    assert "min(revolving_commitment, 80% * eligible_receivables)" in (availability.formula or "")


# --- an unused fee whose rate steps on each day's usage -------------------------------------------------------


def test_the_unused_fee_rate_steps_on_each_days_usage(engine):
    # usage = revolving loans / 20,000,000: 10,000,000 is 50% ("any other day": 0.25%); 8,000,000 is 40%
    # ("less than 50%": 0.50%)
    assert value(engine, "unused_fee_rate", date(2024, 2, 14)) == D("0.25")
    assert value(engine, "unused_fee_rate", date(2024, 2, 15)) == D("0.50")
    assert value(engine, "unused_fee_rate", date(2024, 5, 15)) == D("0.25")   # 12,000,000: 60%
    charges = {c.start: c for c in engine.charges_on(date(2024, 7, 1)) if c.fee == "unused_line_fee"}
    # Q1: 10,000,000 unused x 0.25% x 44 days (1/2-2/14) / 360 = 3,055.555...
    #   + 12,000,000 unused x 0.50% x 46 days (2/15-3/31) / 360 = 7,666.666...   = 10,722.222... -> 10,722.22
    q1 = charges[date(2024, 1, 2)]
    assert q1.amount == D("10722.22") and q1.rate is None  # the rate varies over the period
    # Q2: 12,000,000 x 0.50% x 44 days (4/1-5/14) / 360 = 7,333.333...
    #   + 8,000,000 x 0.25% x 47 days (5/15-6/30) / 360 = 2,611.111...             = 9,944.444... -> 9,944.44
    assert charges[date(2024, 4, 1)].amount == D("9944.44")


def test_the_daily_key_is_explained_from_the_days_figures(engine):
    tree = explanation_json(engine.explain("unused_fee_rate", date(2024, 2, 20)))
    key = tree["inputs"][0]
    assert key["formula"] == "revolving_loans / revolving_commitment" and key["value"] == "40.00"
    assert [i["figure"] for i in key["inputs"]] == ["revolving_loans", "revolving_commitment"]


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=2000).map(lambda n: D(n) * 10000))
def test_the_daily_rate_is_the_level_of_the_days_usage(keyco, loans):
    rows = [{"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"},
            {"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": f"{loans:.2f}"},
            {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"eligible_receivables": "25000000.00"}}]
    book = facility(keyco, rows).book(date(2024, 1, 10))
    expected = D("0.50") if loans / D(20_000_000) < D("0.5") else D("0.25")
    assert book.value("unused_fee_rate") == expected


# --- refusals ----------------------------------------------------------------------------------------------------


def _edited(tmp_path, old, new):
    folder = tmp_path / "keyco"
    shutil.copytree(KEYCO, folder)
    path = folder / "documents" / "credit-agreement.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return folder


def test_a_daily_key_may_not_read_a_period_figure(tmp_path):
    folder = _edited(tmp_path, "key: revolving_loans / revolving_commitment", "key: ebitda / revolving_commitment")
    with pytest.raises(InputError, match="unused_fee_level.key.*unknown name 'ebitda'"):
        load_agreement(folder)


def test_a_key_that_needs_its_own_level_is_refused(tmp_path):
    folder = _edited(tmp_path, "key: revolving_loans / revolving_commitment",
                     "key: (revolving_loans + unused_fee_rate * revolving_commitment) / revolving_commitment")
    engine = folder_facility(folder, load_agreement(folder))
    with pytest.raises(RecordError, match="depends on the grid's own level"):
        engine.book(date(2024, 2, 20)).value("unused_fee_rate")


# --- a grid keyed on the lower of two ratings (tests/fixtures/ratedco) --------------------------------------------

RATEDCO = FIXTURES / "ratedco"


@pytest.fixture(scope="module")
def rated():
    agreement = load_agreement(RATEDCO)
    return folder_facility(RATEDCO, agreement)


def test_the_margin_follows_the_lower_of_two_ratings(rated):
    # until the first Rating Notice: Level III, 1.50%
    assert value(rated, "applicable_margin", date(2024, 3, 14)) == D("1.50")
    # 3/15 BBB+ (Level II) and Baa2 (Level III): the lower is Level III, 1.50%
    assert value(rated, "applicable_margin", date(2024, 3, 15)) == D("1.50")
    # 6/10 A- and A3: both Level I, 1.00%
    assert value(rated, "applicable_margin", date(2024, 6, 10)) == D("1.00")
    # 9/5 BB+ is below the table's lowest row: Level IV (1.75%) as unmatched says, flagged
    assert value(rated, "applicable_margin", date(2024, 9, 5)) == D("1.75")
    # 10/1 Moody's alone, Baa1: Level II, 1.25%
    assert value(rated, "applicable_margin", date(2024, 10, 1)) == D("1.25")


def test_a_rating_below_the_table_is_flagged(rated):
    status = flat(rated.status(date(2024, 9, 10)))
    assert [(u["grid"], u["value"], u["level"]) for u in status["unmatched"]] == \
        [("rating_level", "sp_rating BB+, moodys_rating Baa3", "IV")]
    tree = explanation_json(rated.explain("applicable_margin", date(2024, 9, 10)))
    assert tree["flag"] == ("the lower of sp_rating, moodys_rating sp_rating BB+, moodys_rating Baa3 falls in no "
                            "level of Applicable Margin level by rating; level IV is taken as the grid's unmatched "
                            "says")
    assert flat(rated.status(date(2024, 10, 1)))["unmatched"] == []


def test_a_rating_priced_into_a_month_of_interest(rated):
    month = rated.interest_statement(date(2024, 6, 1), date(2024, 6, 30))[0]
    # 10,000,000 x (8.50% + 1.50%, Level III) x 9 days (6/1-6/9) / 360 = 25,000.00
    # + 10,000,000 x (8.50% + 1.00%, Level I from 6/10) x 21 days / 360 = 55,416.666...   = 80,416.67
    assert month.interest == D("80416.67")


def test_a_rating_that_is_not_a_grade_is_refused(tmp_path):
    folder = tmp_path / "ratedco"
    shutil.copytree(RATEDCO, folder)
    events = folder / "events.yaml"
    events.write_text(events.read_text().replace("moodys_rating: Baa1}", "moodys_rating: \"Baa 1\"}"))
    with pytest.raises(InputError, match="moodys_rating is not a rating"):
        folder_facility(folder, load_agreement(folder))


def test_a_rating_grid_must_say_what_a_rating_below_it_takes():
    with pytest.raises(ValueError, match="a grid keyed on ratings says unmatched"):
        LevelGrid.model_validate({
            "kind": "level_grid", "id": "g", "label": "g", "ratings": {"lower_of": ["a", "b"]}, "certificate": "c",
            "takes_effect": "on_delivery", "levels": [{"level": "I", "grades": ["AAA"]}],
            "values": [{"id": "v", "label": "v", "by_level": {"I": "1"}}]})


def test_a_daily_key_changes_interest_on_a_day_the_terms_change(tmp_path):
    """A daily key moves with the terms too, not only with events: the commitment falls to 15,000,000 on 4/1 (a
    schedule, no event), and a rate priced on the usage grid changes that day."""
    folder = _edited(tmp_path, '- {id: revolving_commitment, label: Revolving Commitment, value: "20000000.00"}',
                     '- {id: revolving_commitment, label: Revolving Commitment, value: {schedule: ['
                     '{from: 2024-01-02, to: 2024-03-31, value: "20000000.00"}, '
                     '{from: 2024-04-01, value: "15000000.00"}]}}')
    path = folder / "documents" / "credit-agreement.yaml"
    path.write_text(path.read_text().replace("rate: prime + applicable_margin", "rate: prime + unused_fee_rate"))
    engine = folder_facility(folder, load_agreement(folder))
    march, april = engine.interest_statement(date(2024, 3, 1), date(2024, 4, 30))
    # March: 8,000,000 of 20,000,000 is 40% (less than 50%: 0.50%): 8,000,000 x 9.00% x 31 / 360 = 62,000.00
    assert march.interest == D("62000.00")
    # April: of 15,000,000 it is 53.3% (0.25%): 8,000,000 x 8.75% x 30 / 360 = 58,333.333... -> 58,333.33
    assert april.interest == D("58333.33")


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5_000_000), min_size=4, max_size=4))
def test_annualised_ebitda_scales_the_quarters_there_are(keyco, ebitda):
    """Annualised EBITDA is the first quarter x 4, two x 2, three x 4/3, then four: the leverage covenant reads
    10,000,000 over it, rounded half up to two places."""
    ends = ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"]
    rows = [{"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"},
            {"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": "10000000.00"},
            {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"eligible_receivables": "25000000.00"}}]
    rows += [{"date": str(date.fromisoformat(end) + (date(2024, 1, 11) - date(2024, 1, 1))),
              "type": "document_delivered", "document": "compliance_certificate", "period_end": end,
              "figures": {"ebitda": f"{e}.00", "unrestricted_cash": "0.00", "fixed_charge_coverage": "1.00"}}
             for end, e in zip(ends, ebitda)]
    tests = {r.test_date: r.measure for r in facility(keyco, rows).covenant_tests(date(2025, 1, 20))
             if r.covenant == "maximum_leverage"}
    for k, end in enumerate(ends, start=1):
        annual = D(sum(ebitda[:k])) * 4 / k
        expected = (D(10_000_000) / annual).quantize(D("0.01"), rounding="ROUND_HALF_UP")
        assert tests[date.fromisoformat(end)] == expected
