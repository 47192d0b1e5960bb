"""A borrowing base report delivers the borrowing base certificate where the reporting clause says so
(`delivered_with: borrowing_base_report`), and pricing periods may start on any day of the month, month ends
included.

tests/fixtures/richey-moves quotes Richey Electronics' Section 7.1(b): "Concurrently with the financial statements
described in Section 7.1(a) [within 30 days after the end of each Fiscal Month], a Borrowing Base Certificate ...
as of the end of such Fiscal Month". Its history has borrowing base reports on 1995-12-20 (before the first Fiscal
Month ended: it reports none of this clause's periods) and 1996-01-31 (the month ended 1995-12-31, due
1995-12-31 + 30 days = 1996-01-30: one day late).
"""
from datetime import date
from decimal import Decimal

import pytest

from conftest import FIXTURES, copy_of, edit, make_events
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError
from loanbook.engine.facility import Facility
from loanbook.events.parse import parse_events
from loanbook.market import shipped_prime_series

FOLDER = FIXTURES / "richey-moves"
BBC = "monthly_borrowing_base"


def engine(folder, rows=()):
    agreement = load_agreement(folder)
    return Facility(agreement, parse_events(folder / "events.yaml", agreement) + make_events(agreement, list(rows)),
                    shipped_prime_series())


def rows_of(book, day):
    return {o.id.split(":")[1]: (o.status, o.satisfied_on) for o in book.obligations(day) if o.id.startswith(BBC)}


def test_a_borrowing_base_report_is_the_certificate_s_delivery():
    rows = rows_of(engine(FOLDER), date(1996, 4, 15))
    assert rows["1995-12-31"] == ("satisfied", date(1996, 1, 31))  # delivered late, on 1996-01-31
    assert rows["1996-01-31"] == ("breached", None)                 # due 1996-03-01, no report since
    assert rows["1996-03-31"] == ("pending", None)                  # due 1996-04-30


def test_a_report_names_its_period_or_reports_the_last_one_ended():
    """A report of 1996-02-20 reports January (ended 1996-01-31, before its day); one of 1996-03-31 that says
    period_end 1996-02-29 reports February although it is dated the last day of March."""
    values = {"eligible_receivables": "30000000.00", "eligible_inventory": "20000000.00"}
    book = engine(FOLDER, [{"date": "1996-02-20", "type": "borrowing_base_report", "values": values},
                           {"date": "1996-03-31", "type": "borrowing_base_report", "values": values,
                            "period_end": "1996-02-29"}])
    rows = rows_of(book, date(1996, 4, 15))
    assert rows["1996-01-31"] == ("satisfied", date(1996, 2, 20))
    assert rows["1996-02-29"] == ("satisfied", date(1996, 3, 31))   # due 1996-03-30: a day late
    assert rows["1996-03-31"] == ("pending", None)


def test_without_the_clause_saying_so_a_report_delivers_nothing(tmp_path):
    folder = copy_of(FOLDER, tmp_path)
    edit(folder / "documents" / "loan-agreement.yaml", ",\n         delivered_with: borrowing_base_report}", "}")
    rows = rows_of(engine(folder), date(1996, 4, 15))
    assert rows["1995-12-31"] == ("breached", None)
    # a document_delivered still delivers it
    book = engine(folder, [{"date": "1996-02-10", "type": "document_delivered",
                            "document": "borrowing_base_certificate", "period_end": "1996-01-31"}])
    assert rows_of(book, date(1996, 4, 15))["1996-01-31"] == ("satisfied", date(1996, 2, 10))


# --- pricing periods that start on any day of the month ---------------------------------------------------------

MONTH_ENDS = '["02-29", "05-31", "08-31", "11-30"]'


def test_pricing_periods_may_start_on_month_ends(tmp_path):
    """Richey's Pricing Periods start 03-01, 06-01, 09-01, 12-01. Moved to the month ends before them (02-29, the
    last day of February in any year), the Pricing Certificate for the quarter ended 1996-09-30, delivered
    1996-11-14 (Cash Flow Leverage 2.995: Level III, 25 bps), takes effect with the period that starts 1996-11-30
    (not 1996-12-01); and the certificate for 1996-12-31, delivered late on 1997-03-05, leaves Level I (100 bps)
    in force from the period's start, 1997-02-28 in a common year (not 1997-03-01)."""
    folder = copy_of(FOLDER, tmp_path)
    edit(folder / "documents" / "loan-agreement.yaml", 'period_starts: ["03-01", "06-01", "09-01", "12-01"]',
         f"period_starts: {MONTH_ENDS}")
    moved, calendar_starts = engine(folder), engine(FOLDER)

    def margin(book, day):
        return str(book.book(day).value("abr_margin").quantize(Decimal("0.01")))

    assert [margin(moved, date(1996, 11, d)) for d in (29, 30)] == ["0.50", "0.25"]
    assert [margin(calendar_starts, date(1996, 11, d)) for d in (29, 30)] == ["0.50", "0.50"]
    assert margin(moved, date(1997, 2, 28)) == "1.00" and margin(calendar_starts, date(1997, 2, 28)) == "0.25"


@pytest.mark.parametrize("start, refused", [("01-31", False), ("04-30", False), ("02-29", False), ("12-31", False),
                                            ("04-31", True), ("02-30", True), ("2-01", True), ("13-01", True)])
def test_a_period_start_is_any_day_of_a_month(tmp_path, start, refused):
    folder = copy_of(FOLDER, tmp_path)
    edit(folder / "documents" / "loan-agreement.yaml", 'period_starts: ["03-01", "06-01", "09-01", "12-01"]',
         f'period_starts: ["{start}"]')
    if refused:
        with pytest.raises(InputError, match=f"a period start is MM-DD, a day of the month .*got '{start}'"):
            load_agreement(folder)
    else:
        load_agreement(folder)
