"""An accrual: one definition gives an amount accrued over days and the words that explain it.

Each amount is worked by hand beside its assertion; the words are those the explanations show (an interest line,
an overdue line, a fee paid in advance for a letter of credit's term).
"""
from datetime import date
from decimal import Decimal as D
from decimal import localcontext

from loanbook.engine.accrual import Accrual
from loanbook.engine.charges import _percent
from loanbook.engine.interest import Segment
from loanbook.engine.pricing import Rate


def test_an_accrual_is_multiplied_out_before_the_one_division_by_the_year():
    accrual = Accrual(D("1250000"), D("8.25"), "prime + 3.5%", 3, D(360))
    assert accrual.value() == D("859.375")  # 1,250,000 x 8.25% = 103,125 a year; x 3 = 309,375; / 360 = 859.375
    assert accrual.words() == "1,250,000.00 x 8.25% (prime + 3.5%) x 3 days / 360"


def test_an_overdue_accrual_tops_up_what_the_amount_already_bears():
    line = Accrual(D("100000"), D("12"), "prime + 1.5% + 2% on overdue amounts", 9, D(360), bears=D("10"))
    assert line.value() == D("50")  # 100,000 x (12% - 10%) x 9 / 360 = 2,000 x 9 / 360 = 50
    assert line.words() == ("100,000.00 x (12.00% - 10.00% already accruing) (prime + 1.5% + 2% on overdue amounts)"
                            " x 9 days / 360")
    fee = Accrual(D("10000"), D("12"), "prime + 3.5% on overdue amounts", 15, D(360), bears=D("0"))
    assert fee.value() == D("50")  # 10,000 x 12% x 15 / 360 = 1,200 x 15 / 360 = 50
    assert fee.words() == "10,000.00 x (12.00%) (prime + 3.5% on overdue amounts) x 15 days / 360"


def test_the_words_may_name_the_days():
    fee = Accrual(D("1000000"), D("0.25"), "0.25%", 181, D(360))
    assert fee.words("from 2024-01-02 to 2024-07-01") == ("1,000,000.00 x 0.25% (0.25%) x 181 days from 2024-01-02 "
                                                          "to 2024-07-01 / 360")
    assert round(fee.value(), 6) == D("1256.944444")  # 1,000,000 x 0.25% = 2,500 a year; x 181 / 360


def test_a_rate_held_as_a_fraction_accrues_as_it_would_unconverted():
    """A fee's rate as formulas hold it (0.025 for 2.5%) becomes percent exactly, even past the 28 digits of the
    default context, so the accrual comes to the amount x the fraction x the days / the year, to the last digit."""
    fraction = D("0.01234567890123456789012345678901234567")  # 37 significant digits
    with localcontext() as ctx:
        ctx.prec = 50
        direct = D("1000000.00") * fraction * 7 / D(365)
    assert Accrual(D("1000000.00"), _percent(fraction), "a rate", 7, D(365)).value() == direct


def test_a_segment_computes_and_words_its_interest_from_one_accrual(seed):
    """The interest book's segments accrue through the accrual; an explanation line's words are its words."""
    version = next(c.versions[0] for c in seed.clauses.values() if c.versions)
    rate = Rate(D("8.25"), "actual/360", version, "prime + 3.5%", ())
    segment = Segment(date(2002, 10, 15), date(2002, 10, 25), D("1250000"), rate, D("0"))
    assert segment.interest_through(date(2002, 10, 14)) == D("0")  # before it begins
    assert segment.interest_through(date(2002, 10, 17)) == D("859.375")  # the 15th, 16th and 17th: 3 days
    assert segment.accrual(3).words() == "1,250,000.00 x 8.25% (prime + 3.5%) x 3 days / 360"
    # it ends on the 24th: 10 days at most, 1,250,000 x 8.25% x 10 / 360 = 2,864.5833...
    assert segment.interest_through(date(2002, 10, 30)) == segment.accrual(10).value()
    assert round(segment.accrual(10).value(), 4) == D("2864.5833")
