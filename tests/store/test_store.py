"""The store, on a SQLite file and on PostgreSQL: import and export exact, appends all or nothing, corrections
seen only by later views, the hash chain, exact money, the replay cache, and the command line on stored ids."""
import json
import re
import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text, update
from typer.testing import CliRunner

from conftest import DNOW, FIXTURES, RICHEY, SEED, flat, folder_facility
from loanbook.agreement.load import load_agreement
from loanbook.cli import app
from loanbook.core.errors import InputError, RecordError
from loanbook.engine.results import Reason
from loanbook.projection import advance_request_json, conflict_text, explanation_json, reason_text
from loanbook.store import schema
from loanbook.store.requests import Conflict, NoLongerAllowed, decide, request, requests, submit
from loanbook.store.store import NotStored, Store

WIDGET = FIXTURES / "widget"
EXAMPLES = [SEED, DNOW, RICHEY, WIDGET]
DAYS = {SEED: [date(2002, 10, 15), date(2002, 12, 31)], DNOW: [date(2022, 12, 30), date(2023, 3, 31)],
        RICHEY: [date(1995, 12, 29), date(1996, 6, 30)], WIDGET: [date(2024, 3, 31), date(2024, 6, 30)]}


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_import_then_export_gives_the_same_files_and_figures(store, folder, tmp_path):
    stored = store.import_folder(folder)
    out = tmp_path / "out"
    store.export(stored.id, out)
    assert files_of(out) == files_of(folder)
    from_folder = folder_facility(folder, load_agreement(folder))
    from_store = store.facility(stored.id)
    for day in DAYS[folder]:
        assert flat(from_store.status(day)) == flat(from_folder.status(day))
        assert from_store.payoff(day) == from_folder.payoff(day)


def test_export_after_appends_reimports_to_the_same_figures(store, tmp_path):
    store.import_folder(SEED)
    store.record("iec-2002", [{"date": "2002-12-30", "type": "advance", "amount": "5000.00"},
                              {"date": "2002-12-30", "type": "borrowing_base_report",
                               "receivables_borrowing_base": "1499999.99"}], by="test", source="test")
    store.export("iec-2002", tmp_path / "out")
    again = store.import_folder(tmp_path / "out", facility_id="iec-copy")
    assert again.events == 29  # 27 imported + 2 appended
    for day in (date(2002, 12, 30), date(2002, 12, 31)):
        assert flat(store.facility("iec-copy").status(day)) == flat(store.facility("iec-2002").status(day))
    # the appended events keep the time they were recorded, so views known before them still leave them out
    first = store.event_rows("iec-2002")[27]
    assert json.loads((tmp_path / "out" / "events.yaml").read_text().splitlines()[-2][2:])["recorded_at"] == \
        first.recorded_at.isoformat()


def test_an_append_is_all_or_nothing(store):
    store.import_folder(SEED)
    before = store.get("iec-2002")
    batch = [{"date": "2002-12-30", "type": "advance", "amount": "5000.00"},
             {"date": "2002-12-30", "type": "repayment", "loan": "advances", "amount": "99999999.00"}]
    with pytest.raises(InputError, match="event 2: field 'amount': repays 99,999,999.00 of advances, but only "
                                         "1,175,000.00 is outstanding"):
        store.record("iec-2002", batch, by="test", source="request")
    assert store.get("iec-2002") == before
    assert len(store.event_rows("iec-2002")) == 27
    with pytest.raises(InputError, match="event 1: field 'recorded_at': the store sets when"):
        store.record("iec-2002", [{**batch[0], "recorded_at": "2002-12-30T10:00:00Z"}], by="t", source="request")
    with pytest.raises(InputError, match="no events to record"):
        store.record("iec-2002", [], by="t", source="request")
    with pytest.raises(NotStored):
        store.record("nosuch", batch[:1], by="t", source="request")


def test_a_correction_is_seen_by_views_known_after_it(store):
    store.import_folder(SEED)
    store.record("iec-2002", [{"date": "2002-12-30", "type": "borrowing_base_report",
                               "receivables_borrowing_base": "1600000.00"}], by="ops", source="request")
    between = datetime.now(UTC)
    store.record("iec-2002", [{"date": "2002-12-30", "type": "borrowing_base_report",
                               "receivables_borrowing_base": "1500000.00",
                               "supersedes": "borrowing_base_report@2002-12-30#1"}], by="ops", source="request")
    day = date(2002, 12, 30)
    # IEC capacity: 85% of the reported base within the Maximum Limit of 1,750,000 (RULES.md)
    # as first reported: 85% x 1,600,000 = 1,360,000; corrected: 85% x 1,500,000 = 1,275,000
    assert flat(store.facility("iec-2002", known_at=between).status(day))["iec_borrowing_capacity"] == D("1360000.00")
    assert flat(store.facility("iec-2002").status(day))["iec_borrowing_capacity"] == D("1275000.00")
    assert len(store.event_rows("iec-2002")) == 29  # nothing was updated or deleted


def test_an_amendment_recorded_later_is_absent_from_earlier_views(store):
    """Amendment No. 10 is dated as of 2002-10-01 but entered the record on its execution, 2002-10-25."""
    store.import_folder(SEED)
    before = store.agreement("iec-2002", known_at=datetime(2002, 10, 15, tzinfo=UTC))
    after = store.agreement("iec-2002", known_at=datetime(2002, 10, 26, tzinfo=UTC))
    assert "amendment-10" not in [d.id for d in before.documents]
    assert "amendment-10" in [d.id for d in after.documents]
    assert [v.document_id for v in after.in_force(date(2002, 10, 1)) if v.document_id == "amendment-10"]


def test_verify_names_the_first_event_changed_behind_loanbook(store):
    store.import_folder(SEED)
    assert store.verify("iec-2002").ok
    events = schema.events
    with store.db.begin() as connection:  # someone edits an amount directly in the database
        body = connection.execute(select(events.c.body).where(events.c.seq == 9)).scalar()
        connection.execute(update(events).where(events.c.seq == 9).values(body=body.replace("40000.00", "4000.00")))
    checked = store.verify("iec-2002")
    assert not checked.ok and checked.seq == 9 and "event 9 (advance@2002-10-15#1) was changed" in checked.problem


def test_verify_notices_rows_removed_and_files_changed(store):
    store.import_folder(SEED)
    with store.db.begin() as connection:
        connection.execute(delete(schema.events).where(schema.events.c.seq == 27))
    assert "events were removed from the end" in store.verify("iec-2002").problem
    store.import_folder(DNOW)
    with store.db.begin() as connection:
        connection.execute(delete(schema.events).where(schema.events.c.facility_id == "dnow-2022",
                                                        schema.events.c.seq == 3))
    assert store.verify("dnow-2022").problem == "event 3 is missing (the next stored is event 4)"
    store.import_folder(RICHEY)
    with store.db.begin() as connection:
        connection.execute(update(schema.facility_files).where(
            schema.facility_files.c.facility_id == "richey-1995",
            schema.facility_files.c.path == "facility.yaml").values(content=b"id: richey-1995\n"))
    assert store.verify("richey-1995").problem == "the facility's files differ from those imported: facility.yaml"


def test_money_is_exact_in_the_database(store):
    """NUMERIC in PostgreSQL, decimal text in SQLite: never a float."""
    store.import_folder(SEED)
    amount = D("12345678901234567.89")  # beyond a float's 15-16 significant digits
    with store.writing() as connection:
        connection.execute(insert(schema.advance_requests).values(
            facility_id="iec-2002", tranche="advances", day=date(2002, 10, 15), amount=amount, requested_by="t",
            requested_at=datetime.now(UTC), judgement="refused", reasons="[]", status="declined"))
    with store.reading() as connection:
        assert connection.execute(select(schema.advance_requests.c.amount)).scalar() == amount
    with pytest.raises(Exception, match="money is a Decimal in cents"):
        with store.writing() as connection:
            connection.execute(insert(schema.advance_requests).values(
                facility_id="iec-2002", tranche="advances", day=date(2002, 10, 15), amount=1.5, requested_by="t",
                requested_at=datetime.now(UTC), judgement="refused", reasons="[]", status="declined"))


def test_an_append_extends_the_cached_replay(store):
    store.import_folder(SEED)
    first = store.facility("iec-2002")
    assert store.facility("iec-2002") is first  # nothing new: the same replay
    store.record("iec-2002", [{"date": "2002-12-31", "type": "advance", "amount": "1000.00"}], by="t", source="r")
    second = store.facility("iec-2002")
    # continued, not rebuilt: every earlier day's snapshot is the same object; only the last day is new
    assert second is not first
    assert all(a is b for a, b in zip(first.ledger.snapshots[:-1], second.ledger.snapshots))
    assert flat(second.status(date(2002, 12, 31)))["advances_outstanding"] == \
        flat(first.status(date(2002, 12, 31)))["advances_outstanding"] + D("1000.00")


def test_another_process_append_is_seen(store_url):
    """Two stores on one database (two servers): each sees the other's appends."""
    one, two = Store(store_url), Store(store_url)
    try:
        one.import_folder(SEED)
        assert flat(two.facility("iec-2002").status(date(2002, 12, 31)))["advances_outstanding"] == D("1170000.00")
        one.record("iec-2002", [{"date": "2002-12-31", "type": "advance", "amount": "1000.00"}], by="t", source="r")
        assert flat(two.facility("iec-2002").status(date(2002, 12, 31)))["advances_outstanding"] == D("1171000.00")
    finally:
        one.close()
        two.close()


def test_import_refuses_a_bad_folder_or_a_taken_id(store, tmp_path):
    store.import_folder(SEED)
    with pytest.raises(InputError, match="already has a facility 'iec-2002'"):
        store.import_folder(SEED)
    broken = tmp_path / "broken"
    shutil.copytree(SEED, broken)
    (broken / "events.yaml").write_text("- {date: 2002-10-01, type: advance, amount: '1,00'}\n")
    with pytest.raises(InputError, match="events.yaml: event 1"):
        store.import_folder(broken, facility_id="broken")
    assert store.get("broken") is None
    with pytest.raises(InputError, match="a facility id is 1 to 64"):
        store.import_folder(SEED, facility_id="../x")


# --- advance requests: judged one at a time ---------------------------------------------------------------

def test_concurrent_advance_requests_never_pass_a_limit_together(store):
    """Twenty requests at once for 10,000.00 each on 2002-12-31. Judged one after another under the facility's
    lock, the approvals stop where capacity ends; a refusal is never approved."""
    store.import_folder(SEED)
    day = date(2002, 12, 31)
    before = flat(store.facility("iec-2002").status(day))
    results, errors = [], []

    def ask():
        try:
            results.append(submit(store, "iec-2002", day=day, amount=D("10000.00"), tranche=None, by="borrower"))
        except Exception as exc:  # noqa: BLE001 - the test reports any
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    approved = [r for r in results if r.status == "approved"]
    after = flat(store.facility("iec-2002").status(day))
    assert after["advances_outstanding"] == before["advances_outstanding"] + D("10000.00") * len(approved)
    # every approval was within availability when judged, so the sum of them is too
    assert D("10000.00") * len(approved) <= before["availability"]
    assert after["availability"] >= 0
    assert store.verify("iec-2002").ok
    assert len(requests(store, "iec-2002")) == 20


def test_the_agent_decides_an_overadvance(store):
    store.import_folder(SEED)
    day = date(2002, 10, 15)
    # On 2002-10-15 (the seed's golden figures): availability 0, overadvance 243,000 and limit 250,000, so a
    # 2,500.00 request is an overadvance within the limit (245,500): the Agent's to decide. It would still be
    # outstanding on every later day, and fits each: on 2002-10-28, when the limit falls to 0, availability is
    # exactly 2,500.00.
    asked = submit(store, "iec-2002", day=day, amount=D("2500.00"), tranche=None, by="borrower")
    assert (asked.judgement, asked.status) == ("overadvance_requires_approval", "pending")
    decided = decide(store, "iec-2002", asked.id, approve=True, by="agent")
    assert (decided.status, decided.decided_by, decided.event_key) == ("approved", "agent", "advance@2002-10-15#2")
    with pytest.raises(Conflict, match="already approved by agent"):
        decide(store, "iec-2002", asked.id, approve=False, by="agent")
    refused = submit(store, "iec-2002", day=day, amount=D("50000.00"), tranche=None, by="borrower")
    assert refused.status == "declined" and refused.decided_by == "engine"


# --- migrations ----------------------------------------------------------------------------------------------

def test_migrations_from_empty_and_from_the_previous_revision(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from loanbook.store.database import connect, current_revision, head_revision, upgrade

    engine = connect(store_url)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as connection:  # a store written at 0001
        connection.execute(text("INSERT INTO facilities (id, name, imported_at, imported_from, files_hash, "
                                "imported_events, head_seq, head_hash) VALUES ('old', 'An old facility', "
                                "'2026-01-01 00:00:00', '/x', 'h', 0, 0, 'h')"))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM facilities")).scalar() == "An old facility"
        assert compare_metadata(MigrationContext.configure(connection), schema.metadata) == []
    engine.dispose()


# --- the command line on stored facilities ---------------------------------------------------------------------

runner = CliRunner()


def invoke(args, url):
    return runner.invoke(app, args, env={"LOANBOOK_DATABASE_URL": url})


def test_every_command_answers_for_a_stored_id_as_for_its_folder(store_url):
    assert invoke(["import", str(SEED)], store_url).exit_code == 0
    for args in (["status", "--as-of", "2002-10-15"], ["fees", "--as-of", "2002-12-31"],
                 ["obligations", "--as-of", "2002-12-31"], ["covenants", "--as-of", "2002-12-31"],
                 ["payoff", "--on", "2002-12-31"], ["explain", "availability", "--as-of", "2002-10-15"],
                 ["interest", "--from", "2002-10-01", "--to", "2002-12-31"],
                 ["timeline", "--from", "2002-10-01", "--to", "2002-10-31"], ["conformed", "--as-of", "2002-10-15"],
                 ["advance", "--on", "2002-10-15", "--amount", "5000.00"], ["check"]):
        by_folder = invoke([*args, "--facility", str(SEED), "--json"], store_url)
        by_id = invoke([*args, "--facility", "iec-2002", "--json"], store_url)
        assert by_folder.exit_code == by_id.exit_code == 0, (args, by_id.output)
        assert located(by_id.stdout, "store:iec-2002/events") == located(by_folder.stdout, f"{SEED}/events.yaml"), args


def located(output: str, source: str) -> dict:
    """A command's JSON with the events' source named alike: the store's rows carry no file lines."""
    return json.loads(re.sub(r" \(line \d+\)", "", output.replace(source, "<events>")))


def test_record_and_verify_on_the_command_line(store_url, tmp_path):
    invoke(["import", str(SEED)], store_url)
    events = tmp_path / "more.yaml"
    events.write_text("- {date: 2002-12-31, type: advance, amount: '1000.00'}\n"
                      "- {date: 2002-12-31, type: advance, amount: '12.345'}\n")
    bad = invoke(["record", str(events), "--facility", "iec-2002"], store_url)
    assert bad.exit_code == 2 and "more.yaml: event 2 (line 2): field 'amount'" in bad.stderr
    events.write_text("- {date: 2002-12-31, type: advance, amount: '1000.00'}\n")
    good = invoke(["record", str(events), "--facility", "iec-2002", "--json"], store_url)
    assert good.exit_code == 0 and json.loads(good.stdout)["first_seq"] == 28
    assert invoke(["verify", "--facility", "iec-2002"], store_url).exit_code == 0
    listed = json.loads(invoke(["facilities", "--json"], store_url).stdout)
    assert [(f["id"], f["events"]) for f in listed["facilities"]] == [("iec-2002", 28)]
    store = Store(store_url)
    with store.db.begin() as connection:
        connection.execute(update(schema.events).where(schema.events.c.seq == 28).values(recorded_by="mallory"))
    store.close()
    tampered = invoke(["verify", "--facility", "iec-2002", "--json"], store_url)
    assert tampered.exit_code == 1 and json.loads(tampered.stdout)["first_bad_event"] == 28
    unknown = invoke(["status", "--facility", "nosuch", "--as-of", "2002-10-15"], store_url)
    assert unknown.exit_code == 2 and "neither a facility folder nor a facility in the store" in unknown.stderr


def test_the_recorded_time_is_the_store_s(store):
    store.import_folder(SEED)
    start = datetime.now(UTC)
    recorded = store.record("iec-2002", [{"date": "2002-12-31", "type": "advance", "amount": "1.00"}], by="t",
                            source="r")
    assert start <= recorded.recorded_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert store.event_rows("iec-2002")[-1].recorded_at == recorded.recorded_at


# --- found in review: each a scenario that once broke the record -------------------------------------------

def test_keys_read_back_as_recorded_after_a_shorthand(store_url):
    """The seed reports its term loan reserve as `term_loan_reserve` (a shorthand read as measure_reported): an
    appended measure_reported that day is the first of its type, in the appending process and in any other."""
    one = Store(store_url)
    one.import_folder(SEED)
    one.facility("iec-2002")  # warm: the append continues this replay
    recorded = one.record("iec-2002", [{"date": "2002-10-01", "type": "measure_reported", "measure":
                                        "term_loan_reserve", "value": "200000.00"}], by="t", source="r")
    assert recorded.keys == ("measure_reported@2002-10-01#1",)
    two = Store(store_url)  # another process, reading the record cold
    assert [e.key for e in two.facility("iec-2002").events][-1] == "measure_reported@2002-10-01#1"
    two.record("iec-2002", [{"date": "2002-10-02", "type": "voided", "supersedes": "measure_reported@2002-10-01#1"}],
               by="t", source="r")
    assert Store(store_url).verify("iec-2002").ok
    one.close()
    two.close()


def test_a_back_dated_advance_must_fit_every_later_day(store):
    """On 2002-12-30 and 2002-12-31 availability is 71,000.00 and the overadvance limit 0.00 (the seed's history):
    one request for 71,000.00 on the 31st takes it all, so the same request dated the 30th, which would be
    outstanding on the 31st too, is declined."""
    store.import_folder(SEED)
    first = submit(store, "iec-2002", day=date(2002, 12, 31), amount=D("71000.00"), tranche=None, by="b")
    second = submit(store, "iec-2002", day=date(2002, 12, 30), amount=D("71000.00"), tranche=None, by="b")
    assert (first.status, second.status) == ("approved", "declined")
    assert "judged again on 2002-12-31" in reason_text(second.reasons[-1])
    assert not store.facility("iec-2002").status(date(2002, 12, 31)).breaches


def test_a_replay_kept_after_an_append_names_events_as_the_store_does(store_url):
    one = Store(store_url)
    one.import_folder(SEED)
    one.record("iec-2002", [{"date": "2002-12-31", "type": "borrowing_base_report",
                             "receivables_borrowing_base": "1500000.00"}], by="t", source="request")
    fresh = Store(store_url)
    day = date(2002, 12, 31)
    assert explanation_json(one.facility("iec-2002").explain("iec_receivables", day)) == \
        explanation_json(fresh.facility("iec-2002").explain("iec_receivables", day))
    assert "store:iec-2002/events: event 28" in json.dumps(explanation_json(
        one.facility("iec-2002").explain("iec_receivables", day)))
    one.close()
    fresh.close()


def test_import_checks_the_bytes_it_stores(store, tmp_path):
    folder = tmp_path / "iec"
    shutil.copytree(SEED, folder)
    (folder / "documents" / "amendment-11.yaml").rename(folder / "documents" / ".amendment-11.yaml")
    store.import_folder(folder)  # a hidden file is neither stored nor read: the agreement stored is the one checked
    assert "amendment-11" not in [d.id for d in store.agreement("iec-2002").documents]
    linked = tmp_path / "linked"
    shutil.copytree(SEED, linked)
    (linked / "documents").rename(linked / "documents-v1")
    (linked / "documents").symlink_to(linked / "documents-v1")
    with pytest.raises(InputError, match="no documents"):
        store.import_folder(linked, facility_id="linked")  # a linked folder is not stored, so not accepted
    assert store.get("linked") is None


def test_two_processes_opening_a_new_store_at_once(store_url):
    import subprocess
    import sys

    code = "import sys; from loanbook.store.store import Store; Store(sys.argv[1]).close()"
    runs = [subprocess.Popen([sys.executable, "-c", code, store_url], stderr=subprocess.PIPE) for _ in range(4)]
    assert all(run.wait(timeout=120) == 0 for run in runs), [run.stderr.read() for run in runs]


def test_verify_covers_the_count_of_imported_events(store):
    store.import_folder(SEED)
    store.record("iec-2002", [{"date": "2002-12-31", "type": "advance", "amount": "1.00"}], by="t", source="r")
    with store.db.begin() as connection:
        connection.execute(update(schema.facilities).values(imported_events=28))
    assert not store.verify("iec-2002").ok


def test_export_keeps_every_character_of_a_note(store, tmp_path):
    store.import_folder(SEED)
    note = "line\x85break \u2028 and é"
    store.record("iec-2002", [{"date": "2002-12-31", "type": "advance", "amount": "1.00", "note": note}], by="t",
                 source="r")
    store.export("iec-2002", tmp_path / "out")
    again = store.import_folder(tmp_path / "out", facility_id="again")
    assert json.loads(store.event_rows("again")[-1].body)["note"] == note
    assert again.events == 28


# --- advance requests: the engine's reasons kept as codes and facts -----------------------------------------

def test_a_request_keeps_the_reasons_codes_and_facts_and_is_worded_when_read(store):
    """The seed on 2002-10-15: overadvance 243,000.00, limit 250,000.00; a request for 2,500.00 makes it
    243,000 + 2,500 = 245,500.00, within the limit: the Agent's to decide. The row holds the code and the exact
    facts, no sentence; the request reads back with the very Reason the engine gave, worded at the edge."""
    store.import_folder(SEED)
    asked = submit(store, "iec-2002", day=date(2002, 10, 15), amount=D("2500.00"), tranche=None, by="b")
    with store.reading() as connection:
        kept = json.loads(connection.execute(select(schema.advance_requests.c.reasons)).scalar())
    assert [r["code"] for r in kept] == ["requires_approval"]
    assert kept[0]["facts"]["overadvance_after"] == {"decimal": "245500.00"}
    assert kept[0]["facts"]["limit"] == {"decimal": "250000.00"}
    assert "creates" not in json.dumps(kept)
    (reason,) = request(store, "iec-2002", asked.id).reasons
    assert isinstance(reason, Reason) and reason.code == "requires_approval"
    assert reason.facts["overadvance_after"] == D("245500.00") and reason.facts["limit"] == D("250000.00")
    assert isinstance(reason.facts["discretionary"], bool)
    assert advance_request_json(asked)["reasons"][0].startswith(
        "creates an overadvance of 245,500.00 within the limit 250,000.00")


def test_a_date_fact_reads_back_a_date(store):
    """A back-dated request judged again on a later day keeps that day as a date (the seed: 71,000.00 available
    on 2002-12-30 and 2002-12-31, taken on the 31st first)."""
    store.import_folder(SEED)
    submit(store, "iec-2002", day=date(2002, 12, 31), amount=D("71000.00"), tranche=None, by="b")
    second = submit(store, "iec-2002", day=date(2002, 12, 30), amount=D("71000.00"), tranche=None, by="b")
    later = request(store, "iec-2002", second.id).reasons[-1]
    assert later == Reason("on_later_day", {"day": date(2002, 12, 31)})


def test_a_request_stored_with_sentences_reads_back_as_them(store):
    """Rows written before reasons were kept as codes hold sentences: they read back, and show, as written."""
    store.import_folder(SEED)
    sentence = "outstanding after the request 1,000.00 is within the capacity 2,000.00"
    with store.writing() as connection:
        connection.execute(insert(schema.advance_requests).values(
            facility_id="iec-2002", tranche="advances", day=date(2002, 10, 15), amount=D("1000.00"),
            requested_by="t", requested_at=datetime.now(UTC), judgement="within_capacity",
            reasons=json.dumps([sentence]), status="approved"))
    (old,) = requests(store, "iec-2002")
    assert old.reasons == (sentence,)
    assert advance_request_json(old)["reasons"] == [sentence]


def test_an_approval_the_record_no_longer_allows_names_the_reasons_in_words(store):
    """A request for 2,500.00 on 2002-10-15 waits for the Agent (overadvance 243,000 + 2,500 = 245,500.00, within
    the limit 250,000.00); an advance of 10,000.00 recorded that day meanwhile makes it 243,000 + 10,000 + 2,500 =
    255,500.00, over the limit: the approval is refused, with the engine's reason, worded at the edge."""
    store.import_folder(SEED)
    asked = submit(store, "iec-2002", day=date(2002, 10, 15), amount=D("2500.00"), tranche=None, by="b")
    store.record("iec-2002", [{"date": "2002-10-15", "type": "advance", "amount": "10000.00"}], by="t", source="r")
    with pytest.raises(NoLongerAllowed) as refused:
        decide(store, "iec-2002", asked.id, approve=True, by="agent")
    assert [r.code for r in refused.value.reasons] == ["over_limit"]
    assert conflict_text(refused.value).startswith(
        "the record no longer allows this advance: overadvance after the request 255,500.00 exceeds the "
        "overadvance limit 250,000.00")
    assert request(store, "iec-2002", asked.id).status == "pending"


def test_a_request_of_nothing_is_refused_before_it_is_judged(store):
    """The engine refuses an advance of zero as input (the CLI's --amount 0 and the API's amount say so too): no
    request is kept, no advance of 0.00 recorded."""
    store.import_folder(SEED)
    events = len(store.event_rows("iec-2002"))
    with pytest.raises(RecordError, match="an advance's amount must be more than zero, got 0.00"):
        submit(store, "iec-2002", day=date(2002, 12, 31), amount=D("0.00"), tranche=None, by="b")
    assert requests(store, "iec-2002") == [] and len(store.event_rows("iec-2002")) == events


def test_a_request_reads_back_the_engines_reasons_in_their_order(store):
    """50,000.00 more on 2002-10-15 makes the overadvance 243,000 + 50,000 = 293,000.00, over the limit 250,000.00:
    declined. The reason read back is the engine's, its facts in the engine's order (the words list the limit's
    parts in that order), so the request shows the very words the decision gives."""
    store.import_folder(SEED)
    decision = store.facility("iec-2002").advance_to_record(date(2002, 10, 15), D("50000.00"))
    asked = submit(store, "iec-2002", day=date(2002, 10, 15), amount=D("50000.00"), tranche=None, by="b")
    kept = request(store, "iec-2002", asked.id).reasons
    assert kept == decision.reasons
    assert [list(r.facts) for r in kept] == [list(r.facts) for r in decision.reasons]  # type: ignore[union-attr]
    words = advance_request_json(asked)["reasons"]
    assert words == [reason_text(r) for r in decision.reasons]
    assert words[0].startswith("overadvance after the request 293,000.00 exceeds the overadvance limit 250,000.00 (")
