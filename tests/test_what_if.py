"""`--with-events FILE`: a what-if that adds events to the facility's record (in memory), where `--events`
replaces the whole history."""
import json

from typer.testing import CliRunner

from conftest import SEED
from loanbook.cli import app

runner = CliRunner()


def status(*args):
    result = runner.invoke(app, ["status", "--facility", str(SEED), "--as-of", "2002-10-15", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def events_file(tmp_path, text):
    path = tmp_path / "what-if.yaml"
    path.write_text(text)
    return path


def test_a_borrowing_base_report_added_to_the_record(tmp_path):
    """The seed on 2002-10-15 (RULES.md sections 2 and 3): Receivables Borrowing Base 1,420,000.00, Borrowing
    Capacity 1,147,000.00, Advances 1,390,000.00: availability 0.00 and an overadvance of 243,000.00. With a report
    of 1,800,000.00 added that day: 85% of it = 1,530,000.00; Borrowing Capacity min(1,750,000.00, 1,530,000.00) -
    Letters of Credit 60,000.00 = 1,470,000.00; availability 1,470,000.00 - 1,390,000.00 = 80,000.00; no
    overadvance. The Advances and the Term Loan (1,500,000.00) are the record's: it was added to, not replaced."""
    before = status()
    assert (before["availability"], before["overadvance"]) == ("0.00", "243000.00")
    path = events_file(tmp_path, '- {date: 2002-10-15, type: borrowing_base_report, '
                                 'receivables_borrowing_base: "1800000.00"}\n')
    after = status("--with-events", str(path))
    assert (after["iec_borrowing_capacity"], after["borrowing_capacity"]) == ("1530000.00", "1470000.00")
    assert (after["availability"], after["overadvance"]) == ("80000.00", "0.00")
    assert (after["advances_outstanding"], after["term_loan_outstanding"]) == ("1390000.00", "1500000.00")
    replaced = status("--events", str(path))  # the same file replacing the history: no loans at all
    assert (replaced["advances_outstanding"], replaced["term_loan_outstanding"]) == ("0.00", "0.00")


def test_an_added_advance_accrues_interest_at_the_record_s_rate(tmp_path):
    """An advance of 100,000.00 added on 2002-10-16 accrues at prime 4.75% + 3.50% = 8.25% (the record's rate,
    which the what-if need not repeat), Actual/360, for 2002-10-16 to 10-31 (16 days): 100,000 x 8.25% x 16 / 360
    = 366.666..., so October's interest on Advances rises by 366.67 (the total is rounded once)."""
    path = events_file(tmp_path, '- {date: 2002-10-16, type: advance, amount: "100000.00"}\n')
    args = ["interest", "--facility", str(SEED), "--from", "2002-10-01", "--to", "2002-10-31", "--json"]
    plain = json.loads(runner.invoke(app, args).stdout)
    added = json.loads(runner.invoke(app, [*args, "--with-events", str(path)]).stdout)
    from decimal import Decimal

    rise = (Decimal(added["months"][0]["classes"]["advances"]["interest"])
            - Decimal(plain["months"][0]["classes"]["advances"]["interest"]))
    assert abs(rise - Decimal("366.67")) <= Decimal("0.01")


def test_the_folder_is_not_written(tmp_path):
    before = (SEED / "events.yaml").read_bytes()
    path = events_file(tmp_path, '- {date: 2002-10-15, type: advance, amount: "1000.00"}\n')
    status("--with-events", str(path))
    assert (SEED / "events.yaml").read_bytes() == before


def test_a_bad_added_event_names_the_file_the_event_and_the_field(tmp_path):
    path = events_file(tmp_path, '- {date: 2002-10-15, type: repayment, loan: advances, amount: "-5"}\n')
    result = runner.invoke(app, ["status", "--facility", str(SEED), "--as-of", "2002-10-15", "--with-events",
                                 str(path)])
    assert result.exit_code == 2
    assert str(path) in result.stderr and "event 1" in result.stderr and "amount" in result.stderr


def test_added_to_a_stored_facility(tmp_path):
    """On a stored facility the what-if reads the record and adds to it; the record keeps its events."""
    env = {"LOANBOOK_DB": str(tmp_path / "store.db")}
    assert runner.invoke(app, ["import", str(SEED)], env=env).exit_code == 0
    path = events_file(tmp_path, '- {date: 2002-10-15, type: borrowing_base_report, '
                                 'receivables_borrowing_base: "1800000.00"}\n')
    result = runner.invoke(app, ["status", "--facility", "iec-2002", "--as-of", "2002-10-15", "--with-events",
                                 str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["availability"] == "80000.00"
    verified = runner.invoke(app, ["verify", "--facility", "iec-2002", "--json"], env=env)
    assert json.loads(verified.stdout)["events"] == len(
        [line for line in (SEED / "events.yaml").read_text().splitlines() if line.startswith("- ")])
