"""The book's balances from one aggregate over the store's events (`loanbook/store/balances.py`), against each
record's replay and `status`, on a SQLite file and on PostgreSQL: a generated book facility by facility, a record
worked by hand, the records the aggregate cannot express (replayed, and the run says why), and random records."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES, SEED
from loanbook.cli import app
from loanbook.core.errors import InputError, RecordError
from loanbook.engine.facility import Facility
from loanbook.portfolio.book import write_facility_book
from loanbook.portfolio.run import run_portfolio, store_book

DAY = date(2024, 3, 31)
REVOLVER = FIXTURES / "revolver"


def folder_with(tmp_path: Path, name: str, events: list[dict], base: Path = REVOLVER) -> Path:
    """A copy of a facility folder whose events.yaml holds `events` (one JSON mapping a line: JSON is YAML)."""
    folder = tmp_path / name
    shutil.copytree(base, folder)
    (folder / "events.yaml").write_text("".join(f"- {json.dumps(e)}\n" for e in events))
    return folder


def status_figures(facility: Facility, day: date) -> dict:
    """What a run's row holds of `loanbook status`, or its refusal."""
    try:
        status = facility.status(day)
    except (InputError, RecordError) as exc:
        return {"problem": exc.one_line() if isinstance(exc, InputError) else str(exc)}
    return {"borrowing_base": sum((b.total.value for b in status.borrowing_bases), D(0)),
            "availability": sum((a.availability.value for a in status.availabilities), D(0)),
            "overadvance": sum((o.overadvance.value for o in status.overadvances), D(0)),
            "breaches": tuple(sorted({b.rule for b in status.breaches}))}


def row_figures(row) -> dict:
    if row.problem:
        return {"problem": row.problem}
    return {"borrowing_base": row.borrowing_base, "availability": row.availability, "overadvance": row.overadvance,
            "breaches": row.breaches}


def same_day(aggregate, replayed) -> bool:
    """Two snapshots of a day alike in everything the aggregate gives (where each value came from included)."""
    def reported(snap):
        return {k: (v.value, v.where, v.day) for k, v in snap.collateral.items()}
    return ({k: v for k, v in aggregate.loans.items()} == {k: v for k, v in replayed.loans.items()}
            and aggregate.repaid == replayed.repaid and reported(aggregate) == reported(replayed)
            and aggregate.contingents == replayed.contingents)


# --- worked by hand ------------------------------------------------------------------------------------------

HAND = [
    {"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": "1000.00"},
    {"date": "2024-01-05", "type": "advance", "loan": "revolver", "amount": "250.5"},
    {"date": "2024-01-05", "type": "borrowing_base_report", "values": {"accounts": "5000.00"}},
    {"date": "2024-01-05", "type": "borrowing_base_report", "values": {"accounts": "4000.00"}},
    {"date": "2024-01-10", "type": "repayment", "loan": "revolver", "amount": "100.25"},
    {"date": "2024-01-10", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-1", "amount": "300.00"},
    {"date": "2024-01-12", "type": "contingent_closed", "id": "LC-1"},
    {"date": "2024-01-12", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-3", "amount": "200.00"},
    {"date": "2024-01-15", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-2", "amount": "50.00"},
    {"date": "2024-01-20", "type": "advance", "loan": "revolver", "amount": "1000"},
    {"date": "2024-02-01", "type": "advance", "loan": "revolver", "amount": "999.99"},
    {"date": "2024-02-01", "type": "borrowing_base_report", "values": {"accounts": "1,000.00"}},
]


def test_a_record_s_balances_and_figures_by_hand(store, tmp_path):
    """At the end of 2024-01-31 (the two events of 2024-02-01 come after it):

    - principal: 1,000.00 opening + 250.50 + 1,000.00 advanced - 100.25 repaid = 2,150.25; repaid 100.25;
    - accounts: the second report of 2024-01-05 (event 4, recorded after the 5,000.00 of event 3): 4,000.00;
    - letters of credit open: LC-3 (200.00, issued on 2024-01-12, the day LC-1's 300.00 closed) and LC-2 (50.00):
      250.00.

    Figures: borrowing base 85% x 4,000.00 = 3,400.00; line cap min(5,000.00, 3,400.00) - 250.00 = 3,150.00;
    availability 3,150.00 - 2,150.25 = 999.75. On 2024-02-01 the 999.99 advance and the report of 1,000.00
    (written with a comma: not summed, only read) give 3,150.24 of principal against a line cap of
    min(5,000.00, 850.00) - 250.00 = 600.00: availability 0.00, the limit broken (3,150.24 over 600.00)."""
    store.import_folder(folder_with(tmp_path, "revolver", HAND))
    day = date(2024, 1, 31)
    balances = store.balances_on(day)
    assert balances.unexpressed == {}
    snap = balances.ledgers["revolver"].on(day)
    assert snap.loans == {"revolver": D("2150.25")} and snap.repaid == {"revolver": D("100.25")}
    assert snap.collateral["accounts"].value == D("4000.00") and snap.collateral["accounts"].day == date(2024, 1, 5)
    assert snap.collateral["accounts"].where == "store:revolver/events: event 4"
    assert [(c.id, c.amount, c.issued) for c in snap.contingents] == [("LC-3", D("200.00"), date(2024, 1, 12)),
                                                                       ("LC-2", D("50.00"), date(2024, 1, 15))]
    assert same_day(snap, store.facility("revolver").ledger.on(day))
    [row] = run_portfolio(store_book(store, workers=1), day, workers=1)
    assert (row.balances, row.computed_by) == ("aggregate", "dataframe")
    assert (row.borrowing_base, row.availability, row.overadvance, row.breaches) == (D("3400.00"), D("999.75"),
                                                                                      D("0.00"), ())
    [later] = run_portfolio(store_book(store, workers=1), date(2024, 2, 1), workers=1)
    assert later.balances == "aggregate" and later.availability == D("0.00") and later.breaches == ("availability",)
    assert row_figures(later) == status_figures(store.facility("revolver"), date(2024, 2, 1))


# --- what the aggregate cannot express: replayed, and said ------------------------------------------------------

def test_records_the_aggregate_cannot_express_are_replayed_and_the_run_says_why(store, tmp_path):
    opening = {"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": "1000.00"}
    report = {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"accounts": "3000.00"}}
    folders = {
        "plain": [opening, report],
        "dollars": [opening, report, {"date": "2024-01-03", "type": "advance", "loan": "revolver",
                                      "amount": "$1,000.00"}],
        "prime": [opening, report, {"date": "2024-01-03", "type": "prime_rate", "rate": "8.5"}],
        "fee": [opening, report, {"date": "2024-01-03", "type": "fee_payment", "amount": "10.00"}],
        "no-tranche": [opening, report, {"date": "2024-01-03", "type": "advance", "amount": "10.00"}],
        "shorthand": [opening, {"date": "2024-01-02", "type": "borrowing_base_report",
                                "receivables_borrowing_base": "3000.00"}],
        "voided": [opening, report],
    }
    for name, events in folders.items():
        store.import_folder(folder_with(tmp_path, name, events), facility_id=name)
    key = store.event_rows("voided")[1].key
    store.record("voided", [{"date": "2024-01-02", "type": "voided", "supersedes": key}], by="test", source="test")
    rows = {r.facility: r for r in run_portfolio(store_book(store, workers=1), DAY, workers=1)}
    assert {f: r.balances for f, r in rows.items()} == {
        "plain": "aggregate",
        "dollars": "replay (an amount not written plainly)",
        "prime": "replay (prime_rate events)",
        "fee": "replay (fee_payment events)",
        "no-tranche": "replay (an advance that names no tranche)",
        "shorthand": "replay (a report of receivables_borrowing_base or measures)",
        "voided": "replay (voided events)"}
    for facility, row in rows.items():
        assert row_figures(row) == status_figures(store.facility(facility), DAY), facility
    # 3,000.00 at 85% = 2,550.00 of capacity; 1,000.00 + 1,000.00 advanced written as $1,000.00: 550.00 left
    assert rows["dollars"].availability == D("550.00") and rows["plain"].availability == D("1550.00")


def test_the_seed_s_record_is_replayed_to_the_per_facility_path_s_figures(store):
    """The seed's record holds prime rates, deliveries, fee payments, reports of measures: replayed; its row (its own
    aging's value on the day) is the per-facility path's."""
    store.import_folder(SEED)
    day = date(2002, 12, 20)
    book = store_book(store, workers=1)
    [row] = run_portfolio(book, day, workers=1)
    [python] = run_portfolio(book, day, workers=1, compiled=False)
    assert row.balances.startswith("replay (") and row.source == "aging", row.balances
    assert replace(row, computed_by="") == replace(python, computed_by="")


COVENANT = """
  - op: insert
    clause: section-7.1
    title: Fixed Charge Coverage
    source: synthetic
    terms:
      - kind: covenant
        id: fixed_charge_coverage
        label: Fixed Charge Coverage Ratio
        measure: trailing(ebitda, 1) / trailing(fixed_charges, 1)
        unit: number
        test: at_least
        threshold: "1.10"
        every: month
        first_test: 2024-01-31
        certificate: compliance_certificate
        applies_while: {figure: line_cap, below: "1000.00"}
"""


def test_covenants_read_the_record_on_their_test_dates_so_the_facility_is_replayed(store, tmp_path):
    """A springing covenant asks whether the line cap was below 1,000.00 on each test date (on 2024-01-31: min(5,000.00,
    85% x 3,000.00) = 2,550.00, not below), which one day's balances cannot answer: replayed."""
    folder = folder_with(tmp_path, "covenanted", [
        {"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": "1000.00"},
        {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"accounts": "3000.00"}},
        {"date": "2024-02-10", "type": "advance", "loan": "revolver", "amount": "1200.00"}])
    text = (folder / "facility.yaml").read_text().replace("  contingents:", """  documents:
    - {id: compliance_certificate, label: Compliance Certificate}
  measures:
    - {id: ebitda, label: EBITDA of the month, unit: money, period: true}
    - {id: fixed_charges, label: Fixed Charges of the month, unit: money, period: true}
  contingents:""")
    (folder / "facility.yaml").write_text(text)
    agreement = folder / "documents" / "agreement.yaml"
    agreement.write_text(agreement.read_text() + COVENANT)
    store.import_folder(folder, facility_id="covenanted")
    assert store.balances_on(DAY).unexpressed == {}  # its record alone the aggregate would express
    [row] = run_portfolio(store_book(store, workers=1), DAY, workers=1)
    assert row.balances == "replay (its covenant read the record on other days)"
    assert row_figures(row) == status_figures(store.facility("covenanted"), DAY)


def test_a_correction_in_the_record_is_replayed(store, tmp_path):
    """A correction (`supersedes`) changes what came before it: the aggregate leaves such a record to the replay.
    The advance of 500.00 corrected to 50.00: 1,000.00 + 50.00 = 1,050.00 of principal."""
    events = [{"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": "1000.00"},
              {"date": "2024-01-03", "type": "advance", "loan": "revolver", "amount": "500.00", "id": "adv-1"}]
    store.import_folder(folder_with(tmp_path, "corrected", events), facility_id="corrected")
    store.record("corrected", [{"date": "2024-01-03", "type": "advance", "loan": "revolver", "amount": "50.00",
                                "supersedes": "adv-1"}], by="test", source="test")
    assert store.balances_on(DAY).unexpressed == {"corrected": "corrections"}
    [row] = run_portfolio(store_book(store, workers=1), DAY, workers=1)
    assert row.balances == "replay (corrections)"
    assert store.facility("corrected").ledger.on(DAY).loans == {"revolver": D("1050.00")}


def test_the_command_line_says_how_many_came_from_the_aggregate(tmp_path):
    env = {"LOANBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    runner = CliRunner()
    for name, events in (("one", HAND[:5]), ("two", HAND[:5] + [{"date": "2024-01-06", "type": "prime_rate",
                                                                  "rate": "8"}])):
        imported = runner.invoke(app, ["import", str(folder_with(tmp_path, name, events)), "--id", name], env=env)
        assert imported.exit_code == 0, imported.output
    text = runner.invoke(app, ["portfolio", "run", "--as-of", "2024-01-31"], env=env)
    assert text.exit_code == 0, text.output
    assert "1 of 2 facilities' balances from one aggregate over the store's events; 1 replayed" in text.output
    found = runner.invoke(app, ["portfolio", "run", "--as-of", "2024-01-31", "--json"], env=env)
    assert json.loads(found.stdout)["balances"] == {"aggregate": 1, "replayed": {"two": "prime_rate events"}}


# --- a generated book, every facility ----------------------------------------------------------------------------

def test_every_facility_of_a_generated_book_from_the_aggregate_equals_status(store, tmp_path):
    """Every facility's row from the aggregate is `status`'s for that facility alone (no aging: the record's
    reports), and with the book's aging every row equals the per-facility Python path of the same run."""
    aging = write_facility_book(tmp_path / "book", facilities=24, invoices=3000, seed=17, as_of=DAY)
    for folder in sorted((tmp_path / "book").glob("F*")):
        store.import_folder(folder)
    for day in (DAY, DAY - timedelta(days=200)):
        rows = run_portfolio(store_book(store, workers=1), day, workers=1)
        assert {r.balances for r in rows} == {"aggregate"} and len(rows) == 24
        for row in rows:
            assert row_figures(row) == status_figures(store.facility(row.facility), day), row.facility
    book = store_book(store, workers=1)
    design = run_portfolio(book, DAY, portfolio_aging=aging, workers=1)
    baseline = run_portfolio(book, DAY, portfolio_aging=aging, workers=1, compiled=False)
    assert {r.balances for r in design} == {"aggregate"} and {r.balances for r in baseline} == {"replay"}
    assert {r.source for r in design} == {"aging"}
    assert [replace(r, computed_by="") for r in design] == [replace(r, computed_by="") for r in baseline]


# --- random records ------------------------------------------------------------------------------------------

@st.composite
def records(draw):
    """A record of balance events that replays: repayments within principal, closings of open letters of credit
    only, several events a day, amounts with 0, 1 or 2 places; and a day to ask about, before, in or after it."""
    start = date(2024, 1, 1)
    events: list[dict] = []
    principal = D(0)
    open_ids: list[str] = []
    issued = 0
    if draw(st.booleans()):
        principal = D(draw(st.integers(0, 10**8))) / 100
        events.append({"date": start.isoformat(), "type": "opening_balance", "loan": "revolver",
                       "amount": f"{principal:.2f}"})
    day = start
    for _ in range(draw(st.integers(0, 14))):
        day += timedelta(days=draw(st.integers(0, 3)))
        kind = draw(st.sampled_from(["advance", "repayment", "report", "issue", "close"]))
        cents = draw(st.integers(1, 10**8))
        places = draw(st.sampled_from([0, 1, 2]))
        amount = D(cents) / 100 if places == 2 else D(cents // 10) / 10 if places == 1 else D(cents // 100)
        written = f"{amount:.{places}f}"
        if kind == "advance":
            principal += amount
            events.append({"date": day.isoformat(), "type": "advance", "loan": "revolver", "amount": written})
        elif kind == "repayment" and D(0) < amount <= principal:
            principal -= amount
            events.append({"date": day.isoformat(), "type": "repayment", "loan": "revolver", "amount": written})
        elif kind == "report":
            events.append({"date": day.isoformat(), "type": "borrowing_base_report",
                           "values": {"accounts": written}})
        elif kind == "issue":
            issued += 1
            open_ids.append(f"LC-{issued}")
            events.append({"date": day.isoformat(), "type": "contingent_issued", "kind": "letter_of_credit",
                           "id": f"LC-{issued}", "amount": written})
        elif kind == "close" and open_ids:
            contingent = open_ids.pop(draw(st.integers(0, len(open_ids) - 1)))
            events.append({"date": day.isoformat(), "type": "contingent_closed", "id": contingent})
    asked = start + timedelta(days=draw(st.integers(-1, (day - start).days + 1)))
    return events, asked


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=records())
def test_any_record_s_aggregate_is_its_replay_on_the_day(store, tmp_path_factory, record):
    """Principal, repayments, each class's report in force (and the event it came from), the letters of credit
    open, and every figure of the day: the aggregate's are the replay's."""
    events, day = record
    folder = folder_with(tmp_path_factory.mktemp("random"), "revolver", events)
    facility_id = f"r{len(store.facilities())}"
    store.import_folder(folder, facility_id=facility_id)
    balances = store.balances_on(day)
    assert facility_id not in balances.unexpressed
    ledger = balances.ledgers[facility_id]
    replayed = store.facility(facility_id)
    assert same_day(ledger.on(day), replayed.ledger.on(day))
    aggregate = Facility(replayed.agreement, (), store.prime, _ledger=ledger)
    assert status_figures(aggregate, day) == status_figures(replayed, day)
