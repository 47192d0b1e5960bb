"""`loanbook calendar`: the facility's dates as iCalendar, parsed back (icalendar), with stable UIDs."""
from datetime import UTC, date, datetime

from icalendar import Calendar
from typer.testing import CliRunner

from conftest import DNOW, SEED
from loanbook.cli import app

runner = CliRunner()


def feed(facility):
    result = runner.invoke(app, ["calendar", "--facility", str(facility)])
    assert result.exit_code == 0, result.output
    return result.stdout


def events(text):
    calendar = Calendar.from_ical(text)
    return [(c.decoded("dtstart"), str(c["summary"]), str(c["uid"]), str(c["categories"].cats[0]))
            for c in calendar.walk("VEVENT")]


def days_of(found, kind):
    return sorted(day for day, _, _, k in found if k == kind)


def test_seed_holds_every_deadline_of_the_rules():
    """RULES.md section 6: Section 10.21 (Texas property) by 2002-10-25, Section 10.19 (purchase offer) by
    2002-10-31, the maturity (Schedule Item 32) on 2002-12-31. Section 5: the Extension Fee's Base Fee 15,000.00
    on execution (recorded 2002-10-25), 15,000.00 on 2002-11-15, 30,000.00 on 2002-12-16, 40,000.00 on
    2002-12-31; the Additional Fee 25,000.00 on 2002-10-31 and on 2002-11-27. Section 3: the overadvance cap
    300,000.00 from 2002-10-01, 400,000.00 from 2002-10-14, 300,000.00 from 2002-10-21, 0.00 from 2002-10-28."""
    found = events(feed(SEED))
    deadlines = days_of(found, "deadline")
    assert date(2002, 10, 25) in deadlines and date(2002, 10, 31) in deadlines
    assert date(2002, 12, 31) in days_of(found, "maturity")
    assert days_of(found, "fee") == [date(2002, 10, 25), date(2002, 10, 31), date(2002, 11, 15),
                                     date(2002, 11, 27), date(2002, 12, 16), date(2002, 12, 31)]
    fees = {(day, summary) for day, summary, _, kind in found if kind == "fee"}
    assert (date(2002, 12, 16), "Extension Fee: Base Fee installment of 30,000.00") in fees
    assert (date(2002, 11, 27), "Extension Fee: Additional Fee installment of 25,000.00") in fees
    caps = {(day, summary) for day, summary, _, kind in found if kind == "cap"}
    assert caps == {(date(2002, 10, 1), "Overadvance cap of Advances becomes 300,000.00"),
                    (date(2002, 10, 14), "Overadvance cap of Advances becomes 400,000.00"),
                    (date(2002, 10, 21), "Overadvance cap of Advances becomes 300,000.00"),
                    (date(2002, 10, 28), "Overadvance cap of Advances becomes 0.00")}


def test_dnow_holds_every_covenant_test_date_and_certificate():
    """The springing Fixed Charge Coverage covenant (Section 7) is tested at each fiscal quarter's end from
    2022-12-31 (the Second Amendment) to the record's end 2026-12-14; its certificate is due 45 days after a
    quarter (2023-02-14 for 2022-12-31, 2023-05-15 for 2023-03-31 ...)."""
    found = events(feed(DNOW))
    quarters = [date(y, m, d) for y in range(2022, 2027) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))
                if date(2022, 12, 31) <= date(y, m, d) <= date(2026, 12, 14)]
    assert days_of(found, "covenant_test") == quarters
    certificates = days_of(found, "certificate")
    assert certificates[:3] == [date(2023, 2, 14), date(2023, 5, 15), date(2023, 8, 14)]
    assert len(certificates) == len(quarters)
    assert date(2026, 12, 14) in days_of(found, "maturity")
    assert days_of(found, "fee"), "the Unused Line Fee and the Letter of Credit Fee fall due quarterly"


def test_uids_are_stable_and_unique():
    for facility in (SEED, DNOW):
        first, second = events(feed(facility)), events(feed(facility))
        assert [e[2] for e in first] == [e[2] for e in second]
        assert len({e[2] for e in first}) == len(first)


def test_a_moved_installment_keeps_its_uid(tmp_path):
    """The Base Fee's first installment is due on execution: without the execution recorded it is dated
    2002-10-01 (provisional); recorded on 2002-10-25, the same event (the same UID) moves to that day."""
    from loanbook.agreement.load import load_agreement
    from loanbook.engine.facility import Facility
    from loanbook.events.parse import parse_events
    from loanbook.market import shipped_prime_series
    from loanbook.reports.calendar import calendar_entries, facility_calendar

    agreement = load_agreement(SEED)
    recorded = Facility(agreement, parse_events(SEED / "events.yaml", agreement), shipped_prime_series())
    none = Facility(agreement, (), shipped_prime_series())
    first = {e.key: e.day for e in calendar_entries(recorded) if e.kind == "fee"}
    bare = {e.key: e.day for e in calendar_entries(none) if e.kind == "fee"}
    key = "fee-extension_fee-base-1"
    assert (bare[key], first[key]) == (date(2002, 10, 1), date(2002, 10, 25))
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    assert facility_calendar(recorded, stamp=stamp) == facility_calendar(recorded, stamp=stamp)
