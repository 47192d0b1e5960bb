"""The last hostile inputs of the trials: each refused in one line (exit 2; API 413 or 422), nothing computed.

Before: a NUL in a path field was a ValueError traceback; an advance after `terminated` was accepted and
availability shown; an advance of a term tranche passed; `--reading` given twice kept the last; a record_end
before the first event passed the check; a facility id with '..' was taken; a JSON number passed where money is a
string; a chunked body over the limit got 400; imported events had no time of recording."""
import json
from datetime import UTC, datetime

import pytest
from cli_answers import refused
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import RICHEY, SEED, copy_of, edit
from loanbook.api.app import MAX_BODY_BYTES, create_app
from loanbook.cli import app
from loanbook.store.users import add_user

runner = CliRunner()


@pytest.fixture
def seed(tmp_path):
    return copy_of(SEED, tmp_path)


def test_a_nul_in_a_path_field_is_refused_with_its_place(seed):
    edit(seed / "documents" / "amendment-10.yaml", "text_file: amendment-10.txt", 'text_file: "amendment-10.txt\\0x"')
    refused(runner.invoke(app, ["check", "--facility", str(seed)]), "amendment-10.yaml", "line 12",
            "field 'text_file'", "holds a control character")


@pytest.mark.parametrize("ending", ["terminated", "accelerated"])
@pytest.mark.parametrize("lent, field", [
    ({"type": "advance", "amount": "1000.00"}, "an advance"),
    ({"type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-9", "amount": "1000.00"},
     "a new letter of credit")])
def test_nothing_is_lent_after_termination_or_acceleration(seed, tmp_path, ending, lent, field):
    events = tmp_path / "events.yaml"
    events.write_text(json.dumps([
        {"date": "2002-10-01", "type": "opening_balance", "loan": "advances", "amount": "1000000.00"},
        {"date": "2002-10-10", "type": ending},
        {"date": "2002-10-11", "type": "repayment", "loan": "advances", "amount": "1000.00"},  # still allowed
        {"date": "2002-10-12", **lent}]))
    refused(runner.invoke(app, ["status", "--facility", str(seed), "--as-of", "2002-10-15", "--events", str(events)]),
            "event 4", f"{field} after the facility was {ending} on 2002-10-10", "nothing more is lent")


def test_a_repayment_after_acceleration_is_what_it_calls_for(seed, tmp_path):
    events = tmp_path / "events.yaml"
    events.write_text(json.dumps([
        {"date": "2002-10-01", "type": "opening_balance", "loan": "advances", "amount": "1000000.00"},
        {"date": "2002-10-10", "type": "accelerated"},
        {"date": "2002-10-11", "type": "repayment", "loan": "advances", "amount": "1000000.00"}]))
    result = runner.invoke(app, ["status", "--facility", str(seed), "--as-of", "2002-10-15", "--events", str(events),
                                 "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["advances_outstanding"] == "0.00"


def test_an_advance_of_a_term_tranche_is_refused(seed, tmp_path):
    """`loanbook advance --tranche term_loan` refuses; the event did not."""
    events = tmp_path / "events.yaml"
    events.write_text(json.dumps([{"date": "2002-10-02", "type": "advance", "loan": "term_loan", "amount": "1.00"}]))
    refused(runner.invoke(app, ["status", "--facility", str(seed), "--as-of", "2002-10-15", "--events", str(events)]),
            "event 1", "field 'loan'", "term_loan is a term tranche", "drawn: true")


def test_a_term_tranche_drawn_in_advances_says_so():
    """Richey's Line B Loans reimburse each draw on the Line B Letter of Credit: `drawn: true`."""
    result = runner.invoke(app, ["status", "--facility", str(RICHEY), "--as-of", "1996-01-02", "--json"])
    assert result.exit_code == 0, result.output


def test_a_reading_given_twice_is_refused():
    refused(runner.invoke(app, ["status", "--facility", str(SEED), "--as-of", "2002-10-15",
                                "--reading", "I-2=net", "--reading", "I-2=literal"]),
            "--reading I-2 is given twice")


def test_the_same_reading_twice_is_one_reading():
    result = runner.invoke(app, ["status", "--facility", str(SEED), "--as-of", "2002-10-15", "--json",
                                 "--reading", "I-3=actual/360", "--reading", "I-3=actual/360"])
    assert result.exit_code == 0, result.output


def test_a_record_end_before_the_first_event_is_refused(seed):
    edit(seed / "facility.yaml", "record_end: 2002-12-31", "record_end: 2002-09-01")
    refused(runner.invoke(app, ["status", "--facility", str(seed), "--as-of", "2002-10-15"]),
            "events.yaml", "event 1", "field 'date'", "is after the facility's record_end (2002-09-01")


@pytest.mark.parametrize("facility_id", ["../etc", "a/b", "a..b", ".hidden"])
def test_a_facility_id_that_could_name_a_path_is_refused(seed, facility_id):
    edit(seed / "facility.yaml", "id: iec-2002", f"id: {json.dumps(facility_id)}")
    refused(runner.invoke(app, ["check", "--facility", str(seed)]), "facility.yaml", "field 'id'",
            "a facility id is 1 to 64 letters")
    (seed / "facility.yaml").write_text((seed / "facility.yaml").read_text().replace(json.dumps(facility_id),
                                                                                      "iec-2002"))
    refused(runner.invoke(app, ["import", str(seed), "--id", facility_id]), "a facility id is 1 to 64 letters")


@pytest.fixture
def api(store):
    store.import_folder(SEED)
    token = add_user(store, "hsbc-ops", "agent", ["iec-2002"], None)[1]
    client = TestClient(create_app(store))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_a_json_number_where_money_is_a_string_is_refused(api, store):
    before = len(store.event_rows("iec-2002"))
    response = api.post("/facilities/iec-2002/events",
                        content=b'{"events": [{"date": "2002-12-30", "type": "advance", "amount": 50000.5}]}',
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "events", 0, "amount"] and "not JSON numbers" in detail["msg"]
    assert len(store.event_rows("iec-2002")) == before


def test_an_oversize_body_in_chunks_is_413(api):
    def chunks():
        piece = b" " * (1024 * 1024)
        yield b'{"events": ['
        for _ in range(MAX_BODY_BYTES // len(piece) + 1):
            yield piece
        yield b"]}"
    response = api.post("/facilities/iec-2002/events", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_imported_events_carry_when_they_were_recorded(store):
    before = datetime.now(UTC)
    store.import_folder(SEED)
    rows = store.event_rows("iec-2002")
    assert rows and all(row.recorded_at is not None for row in rows)
    stamped = {row.recorded_at for row in rows if row.recorded_at >= before}
    assert len(stamped) == 1  # one import: one moment for every event whose file gave none
