"""Conditions precedent gate an amendment: until every condition is met, its clause versions are not in force;
once they are, from the day the last was met, or from its effective date where its text makes effectiveness
retroactive (an interpretation says which).

tests/fixtures/gated: the Acme loan agreement ("the lesser of (A) the Maximum Limit of $1,000,000 and (B) 80% of
Eligible Receivables, less Letters of Credit") and Amendment No. 1, as of 2024-04-01 (Maximum Limit $1,200,000),
whose Section 3 reads "This Amendment shall become effective as of April 1, 2024 upon the Agent's receipt of (a)
this Amendment duly executed ... and (b) a Secretary's Certificate of the Borrower". I-2 reads it retroactively.

Receivables of 2,000,000.00 at 80% are 1,600,000.00, so the Maximum Limit binds: the capacity is 1,000,000.00
under the Loan Agreement and 1,200,000.00 under the Amendment; with 500,000.00 advanced, availability is
500,000.00 or 700,000.00.
"""
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from conftest import FIXTURES, flat, make_events
from loanbook.agreement.load import load_agreement
from loanbook.engine.facility import Facility
from loanbook.events.parse import parse_events
from loanbook.market import shipped_prime_series

FOLDER = FIXTURES / "gated"
REPORT = {"date": "2024-03-01", "type": "borrowing_base_report", "receivables_borrowing_base": "2000000.00"}
EXECUTED = {"date": "2024-04-10", "type": "amendment_executed", "amendment": "amendment-1"}
CERTIFICATE = {"date": "2024-04-20", "type": "document_delivered", "document": "secretary_certificate",
               "recorded_at": "2024-04-20T12:00:00Z"}


def engine(rows, reading="retroactive", known_at=None):
    agreement = load_agreement(FOLDER, {"I-2": reading})
    events = parse_events(FOLDER / "events.yaml", agreement) + make_events(agreement, rows)
    return Facility(agreement, events, shipped_prime_series(), known_at=known_at)


def available(book, day):
    return flat(book.status(day))["availability"]


@pytest.mark.parametrize("reading", ["retroactive", "from_satisfaction"])
def test_until_its_conditions_are_met_the_amendment_is_not_in_force(reading):
    book = engine([REPORT, EXECUTED], reading)   # executed, but no Secretary's Certificate yet
    assert available(book, date(2024, 4, 15)) == D("500000.00")   # 1,000,000.00 - 500,000.00
    assert book.agreement.clause_on("schedule.item-1", date(2024, 4, 15)).document_id == "loan-agreement"
    status = flat(book.status(date(2024, 4, 15)))
    assert [(c["document"], c["id"], c["gates"]) for c in status["pending_conditions"]] == [
        ("amendment-1", "certificate", reading)]


def test_retroactive_once_met_from_its_effective_date():
    """Met on 2024-04-20; in force from 2024-04-01: on 04-15, 1,200,000.00 - 500,000.00 = 700,000.00. Asked as
    the record was known on 2024-04-19, before the certificate was recorded, the answer was 500,000.00."""
    book = engine([REPORT, EXECUTED, CERTIFICATE])
    assert available(book, date(2024, 3, 31)) == D("500000.00")
    assert available(book, date(2024, 4, 1)) == D("700000.00")
    assert available(book, date(2024, 4, 15)) == D("700000.00")
    earlier = engine([REPORT, EXECUTED, CERTIFICATE], known_at=datetime(2024, 4, 19, tzinfo=UTC))
    assert available(earlier, date(2024, 4, 15)) == D("500000.00")


def test_from_satisfaction_in_force_from_the_day_the_last_condition_is_met():
    book = engine([REPORT, EXECUTED, CERTIFICATE], "from_satisfaction")
    assert available(book, date(2024, 4, 19)) == D("500000.00")
    assert available(book, date(2024, 4, 20)) == D("700000.00")
    assert book.agreement.clause_on("schedule.item-1", date(2024, 4, 20)).effective == date(2024, 4, 20)


def test_appending_the_last_condition_brings_the_amendment_in():
    """A facility extended with the event that meets the last condition reads the agreement as written again."""
    book = engine([REPORT, EXECUTED]).extended(make_events(load_agreement(FOLDER), [CERTIFICATE]))
    assert available(book, date(2024, 4, 15)) == D("700000.00")


def test_the_gate_names_its_conditions_and_reading():
    agreement = load_agreement(FOLDER)
    document = agreement.document("amendment-1")
    assert (document.conditions_gate, document.gate_interpretation) == ("retroactive", "I-2")


@pytest.mark.parametrize("gate, message", [
    ("sometimes", "expected one of from_satisfaction, retroactive, got 'sometimes'"),
    ("{interpretation: I-9}", "refers to interpretation 'I-9', which the register does not have"),
])
def test_a_gate_that_cannot_be_meant_is_refused_with_its_place(tmp_path, gate, message):
    from conftest import copy_of, edit
    from loanbook.core.errors import InputError

    folder = copy_of(FOLDER, tmp_path)
    edit(folder / "documents" / "amendment-1.yaml", "conditions_gate: {interpretation: I-2}",
         f"conditions_gate: {gate}")
    with pytest.raises(InputError) as refused:
        load_agreement(folder)
    text = str(refused.value)
    assert "amendment-1.yaml" in text and "line 11" in text and "conditions_gate" in text and message in text


def test_interest_follows_the_gate_too(tmp_path):
    """The pricing of the loan agreement (prime + 2.0%) stays in force until the amendment's conditions are met,
    where the amendment re-prices (prime + 1.0%, a copy of the fixture with an Item 2 added to the amendment).
    From 2024-04-20 (from_satisfaction): on 500,000.00 at 8.50% + 1.0% = 9.50% on actual/365 (I-1), a day is
    500,000.00 x 9.50% / 365 = 130.1370. Before: 8.50% + 2.0% = 10.50%: 143.8356 a day."""
    from conftest import copy_of, edit
    folder = copy_of(FOLDER, tmp_path)
    gate_clause = "  - op: insert\n    clause: amendment-1.effectiveness"
    edit(folder / "documents" / "amendment-1.yaml", gate_clause, """  - op: replace
    clause: schedule.item-2
    title: Item 2 - Interest
    text: |-
      2. Interest. Advances bear interest at the Prime Rate plus 1.0% from 4/1/24 to 12/31/24.
    terms:
      - kind: pricing_grid
        day_basis: {interpretation: I-1}
        rows:
          - {from: 2024-04-01, to: 2024-12-31, loan_class: advances, index: prime, margin: "1.0"}
          - {from: 2024-04-01, to: 2024-12-31, loan_class: term_loan, index: prime, margin: "1.0"}
  - op: insert
    clause: amendment-1.effectiveness""")
    agreement = load_agreement(folder, {"I-2": "from_satisfaction"})
    events = parse_events(folder / "events.yaml", agreement) + make_events(agreement, [REPORT, EXECUTED, CERTIFICATE])
    book = Facility(agreement, events, shipped_prime_series())
    day = book.interest.accrued("advances", date(2024, 4, 19), date(2024, 4, 19))
    after = book.interest.accrued("advances", date(2024, 4, 20), date(2024, 4, 20))
    assert (round(day, 4), round(after, 4)) == (D("143.8356"), D("130.1370"))


def test_the_conformed_copy_is_the_agreement_the_record_puts_in_force(tmp_path):
    """`conformed` shows Schedule Item 1 as the Loan Agreement wrote it until the Secretary's Certificate is
    delivered; once it is (2024-04-20), as Amendment No. 1 wrote it, from 2024-04-01 (I-2 read retroactively)."""
    import json
    import shutil

    from typer.testing import CliRunner

    from loanbook.cli import app

    def item_1_on(day: str, *rows: dict) -> str:
        folder = tmp_path / f"gated-{day}-{len(rows)}"
        shutil.copytree(FOLDER, folder)
        with (folder / "events.yaml").open("a") as events:
            events.writelines(f"- {json.dumps(row)}\n" for row in rows)  # JSON is YAML: an event a line
        result = CliRunner().invoke(app, ["conformed", "--facility", str(folder), "--as-of", day, "--json"])
        assert result.exit_code == 0, result.output
        [item] = [c for c in json.loads(result.stdout)["clauses"] if c["clause"] == "schedule.item-1"]
        return item["document"]

    assert item_1_on("2024-04-15", REPORT, EXECUTED) == "loan-agreement"
    assert item_1_on("2024-04-15", REPORT, EXECUTED, CERTIFICATE) == "amendment-1"
    assert item_1_on("2024-03-31", REPORT, EXECUTED, CERTIFICATE) == "loan-agreement"


def test_the_book_reads_the_agreement_the_record_puts_in_force(tmp_path):
    """The portfolio run picks each facility's eligibility terms from the agreement in force on its record, not as
    written: Schedule Item 1 is the Loan Agreement's until the Secretary's Certificate is delivered."""
    import json
    import shutil

    from loanbook.portfolio.run import folder_book, in_force

    def item_1(*rows: dict) -> str:
        book_dir = tmp_path / f"book-{len(rows)}"
        shutil.copytree(FOLDER, book_dir / "gated")
        with (book_dir / "gated" / "events.yaml").open("a") as events:
            events.writelines(f"- {json.dumps(row)}\n" for row in rows)
        [facility] = folder_book(book_dir, workers=1)
        return in_force(facility).clause_on("schedule.item-1", date(2024, 4, 15)).document_id

    assert item_1(REPORT, EXECUTED) == "loan-agreement"
    assert item_1(REPORT, EXECUTED, CERTIFICATE) == "amendment-1"
