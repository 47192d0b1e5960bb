"""The API on the store (SQLite and PostgreSQL): the same JSON as the command line, who may do what, idempotent
writes, advance requests, and exact money."""
import json
import shutil
from contextlib import ExitStack
from datetime import date
from decimal import Decimal as D

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import DNOW, SEED, fresh_postgres
from loanbook.api.app import create_app
from loanbook.cli import app as cli
from loanbook.store.store import Store
from loanbook.store.users import add_user

STATUS = "/facilities/iec-2002/status?as_of=2002-10-15"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """The seed and DNOW stored; an agent, the borrower and a lender of the seed; an agent of DNOW only. Built
    once per store kind (the users' argon2 hashes take a second): each test gets a copy, so none sees another's
    writes. (the kind, where the built store is, the users' tokens)"""
    with ExitStack() as stack:
        if request.param == "sqlite":
            where = str(tmp_path_factory.mktemp("api-world") / "store.db")
            url = f"sqlite:///{where}"
        else:
            url = stack.enter_context(fresh_postgres())
            where = url.rsplit("/", 1)[1]
        built = Store(url)
        built.import_folder(SEED)
        built.import_folder(DNOW)
        tokens = {name: add_user(built, name, role, [facility], party)[1] for name, role, facility, party in (
            ("hsbc-ops", "agent", "iec-2002", None), ("iec-treasury", "borrower", "iec-2002", None),
            ("ge-capital", "lender", "iec-2002", "ge-capital"), ("wells-ops", "agent", "dnow-2022", None))}
        built.close()  # a PostgreSQL template takes no connection while it is copied
        yield request.param, where, tokens


@pytest.fixture
def store(world, tmp_path):
    """A copy of the module's stored world, for this test alone."""
    kind, where, _ = world
    with ExitStack() as stack:
        if kind == "sqlite":
            shutil.copyfile(where, tmp_path / "store.db")
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = stack.enter_context(fresh_postgres(template=where))
        opened = Store(url)
        yield opened
        opened.close()


@pytest.fixture
def api(world, store):
    tokens = world[2]
    client = TestClient(create_app(store))
    client.as_ = lambda name: {"Authorization": f"Bearer {tokens[name]}"}
    return client


def cli_json(store, *args) -> dict:
    result = CliRunner().invoke(cli, [*args, "--json"], env={"LOANBOOK_DATABASE_URL": store.url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_no_token_is_401_and_a_bad_one_too(api):
    assert api.get(STATUS).status_code == 401
    assert api.get(STATUS).headers["www-authenticate"] == "Bearer"
    assert api.get(STATUS, headers={"Authorization": "Bearer lb_0000_nope"}).status_code == 401
    assert api.get(STATUS, headers={"Authorization": "Basic abc"}).status_code == 401


def test_another_facility_and_a_missing_one_look_the_same(api):
    """403 either way, with the same body: nothing says whether a facility the caller cannot see exists."""
    other = api.get("/facilities/iec-2002/status?as_of=2002-10-15", headers=api.as_("wells-ops"))
    missing = api.get("/facilities/no-such/status?as_of=2002-10-15", headers=api.as_("wells-ops"))
    assert (other.status_code, other.json()) == (missing.status_code, missing.json()) == (403, {"detail":
                                                                                               "not permitted"})
    listed = api.get("/facilities", headers=api.as_("wells-ops")).json()["facilities"]
    assert [f["id"] for f in listed] == ["dnow-2022"]


def test_every_answer_is_the_command_line_s(api, store):
    for path, args in ((STATUS, ("status", "--as-of", "2002-10-15")),
                       ("/facilities/iec-2002/fees?as_of=2002-12-31", ("fees", "--as-of", "2002-12-31")),
                       ("/facilities/iec-2002/obligations?as_of=2002-12-31", ("obligations", "--as-of", "2002-12-31")),
                       ("/facilities/iec-2002/covenants?as_of=2002-12-31", ("covenants", "--as-of", "2002-12-31")),
                       ("/facilities/iec-2002/payoff?on=2002-12-31", ("payoff", "--on", "2002-12-31")),
                       ("/facilities/iec-2002/explain/availability?as_of=2002-10-15",
                        ("explain", "availability", "--as-of", "2002-10-15")),
                       ("/facilities/iec-2002/timeline?from=2002-10-01&to=2002-10-31",
                        ("timeline", "--from", "2002-10-01", "--to", "2002-10-31")),
                       ("/facilities/iec-2002/interest?from=2002-10-01&to=2002-12-31",
                        ("interest", "--from", "2002-10-01", "--to", "2002-12-31"))):
        response = api.get(path, headers=api.as_("hsbc-ops"))
        assert response.status_code == 200, (path, response.text)
        assert response.json() == cli_json(store, *args, "--facility", "iec-2002"), path


def test_an_unknown_figure_is_the_command_line_s_refusal_at_the_figure(api, store):
    """422 at ["path", "figure"], in the words `loanbook explain` uses (without its "loanbook: ")."""
    response = api.get("/facilities/iec-2002/explain/nonsense?as_of=2002-10-15", headers=api.as_("hsbc-ops"))
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["path", "figure"]
    assert detail["msg"].startswith("unknown figure 'nonsense'; explainable: ")
    said = CliRunner().invoke(cli, ["explain", "nonsense", "--as-of", "2002-10-15", "--facility", "iec-2002"],
                              env={"LOANBOOK_DATABASE_URL": store.url})
    assert said.exit_code == 2 and said.stderr == f"loanbook: {detail['msg']}\n"


def test_money_is_a_string_with_two_decimals(api):
    body = api.get(STATUS, headers=api.as_("hsbc-ops")).json()
    # the seed's golden figures on 2002-10-15: 85% x 1,420,000 = 1,207,000; less LCs 60,000 = 1,147,000
    assert body["iec_receivables"] == "1207000.00" and body["borrowing_capacity"] == "1147000.00"
    assert body["availability"] == "0.00" and body["overadvance"] == "243000.00"


def test_a_lender_sees_its_own_share_only(api):
    body = api.get(STATUS, headers=api.as_("ge-capital")).json()
    assert [x["party"] for x in body["lenders"]] == ["ge-capital"]
    # principal on 2002-10-15: advances 1,390,000 + term loan 1,500,000 = 2,890,000; half is 1,445,000
    share = api.get("/facilities/iec-2002/share?as_of=2002-10-15", headers=api.as_("ge-capital")).json()
    assert share["lenders"][0]["principal"] == "1445000.00"
    everyone = api.get("/facilities/iec-2002/share?as_of=2002-10-15", headers=api.as_("hsbc-ops")).json()
    assert [x["party"] for x in everyone["lenders"]] == ["hsbc", "ge-capital"]
    assert api.get("/facilities/iec-2002/share?as_of=2002-10-15", headers=api.as_("iec-treasury")).status_code == 403


def test_roles_limit_what_is_written(api):
    advance = {"events": [{"date": "2002-12-30", "type": "advance", "amount": "1.00"}]}
    assert api.post("/facilities/iec-2002/events", json=advance, headers=api.as_("iec-treasury")).status_code == 403
    assert api.post("/facilities/iec-2002/events", json=advance, headers=api.as_("ge-capital")).status_code == 403
    assert api.post("/facilities/iec-2002/events", json=advance, headers=api.as_("hsbc-ops")).status_code == 201
    report = {"events": [{"date": "2002-12-30", "type": "borrowing_base_report",
                          "receivables_borrowing_base": "1500000.00"}]}
    assert api.post("/facilities/iec-2002/events", json=report, headers=api.as_("iec-treasury")).status_code == 201


@pytest.mark.parametrize(("second", "loc"), [
    ({"date": "2002-12-30", "type": "advanse", "amount": "1.00"}, ["body", "events", 1, "type"]),  # parsing
    ({"date": "2002-12-30", "type": "advance", "amount": "1.00", "loan": "nope"},             # a name it has not
     ["body", "events", 1, "loan"]),
    ({"date": "2002-12-30", "type": "advance", "amount": "1.00", "recorded_at": "2002-12-30T10:00:00Z"},  # the store
     ["body", "events", 1, "recorded_at"]),
    ({"date": "2002-12-30", "type": "interest_payment", "amount": "9999999.00"},              # the engine's history
     ["body", "events", 1, "amount"]),
])
def test_a_problem_names_the_request_s_event_by_its_place(api, second, loc):
    """Wherever a problem is found (parsing, names, the store, the replayed history), it carries the event's place
    as data (Problem.event), and the 422 names the second event as events[1]."""
    first = {"date": "2002-12-30", "type": "advance", "amount": "5.00"}
    response = api.post("/facilities/iec-2002/events", json={"events": [first, second]}, headers=api.as_("hsbc-ops"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert response.json()["detail"][0]["position"] == "event 2"


def test_bad_input_is_422_naming_the_field_and_writes_nothing(api, store):
    before = store.get("iec-2002").events
    bad = {"events": [{"date": "2002-12-30", "type": "advance", "amount": "5.00"},
                      {"date": "2002-12-30", "type": "advance", "amount": "1.001"}]}
    response = api.post("/facilities/iec-2002/events", json=bad, headers=api.as_("hsbc-ops"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "events", 1, "amount"]
    assert "more than 2 decimal places" in response.json()["detail"][0]["msg"]
    floats = api.post("/facilities/iec-2002/advance-requests", json={"on": "2002-12-31", "amount": 5.5},
                      headers=api.as_("iec-treasury"))
    assert floats.status_code == 422 and floats.json()["detail"][0]["loc"] == ["body", "amount"]
    day = api.get("/facilities/iec-2002/status?as_of=2002-02-30", headers=api.as_("hsbc-ops"))
    assert day.status_code == 422 and day.json()["detail"][0]["loc"] == ["query", "as_of"]
    assert store.get("iec-2002").events == before


def test_a_retry_with_the_same_key_records_once(api, store):
    body = {"events": [{"date": "2002-12-30", "type": "advance", "amount": "1000.00"}]}
    headers = {**api.as_("hsbc-ops"), "Idempotency-Key": "ops-2002-12-30-001"}
    first = api.post("/facilities/iec-2002/events", json=body, headers=headers)
    again = api.post("/facilities/iec-2002/events", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert store.get("iec-2002").events == 28
    other = api.post("/facilities/iec-2002/events", json={"events": [{**body["events"][0], "amount": "2.00"}]},
                     headers=headers)
    assert other.status_code == 422 and "used for a different request" in other.json()["detail"][0]["msg"]


def test_a_view_known_before_a_correction_keeps_the_first_figure(api, store):
    post = lambda events: api.post("/facilities/iec-2002/events", json={"events": events},  # noqa: E731
                                   headers=api.as_("hsbc-ops"))
    first = post([{"date": "2002-12-30", "type": "borrowing_base_report", "receivables_borrowing_base": "1600000.00"}])
    between = first.json()["recorded_at"]
    post([{"date": "2002-12-30", "type": "borrowing_base_report", "receivables_borrowing_base": "1500000.00",
           "supersedes": "borrowing_base_report@2002-12-30#1"}])
    now = api.get("/facilities/iec-2002/status?as_of=2002-12-30", headers=api.as_("hsbc-ops")).json()
    then = api.get("/facilities/iec-2002/status", params={"as_of": "2002-12-30", "known_at": between},
                   headers=api.as_("hsbc-ops")).json()
    # 85% x 1,600,000 = 1,360,000 as first reported; 85% x 1,500,000 = 1,275,000 corrected
    assert (then["iec_receivables"], now["iec_receivables"]) == ("1360000.00", "1275000.00")


def test_the_borrower_asks_the_engine_judges_the_agent_decides(api, store):
    """On 2002-10-15 availability is 0 and the overadvance 243,000 against a limit of 250,000 (golden): 2,500.00
    more is an overadvance within the limit, left to the Agent; 50,000.00 more passes the limit: declined."""
    asked = api.post("/facilities/iec-2002/advance-requests", json={"on": "2002-10-15", "amount": "2500.00"},
                     headers=api.as_("iec-treasury")).json()
    assert (asked["judgement"], asked["status"], asked["amount"]) == ("overadvance_requires_approval", "pending",
                                                                      "2500.00")
    pending = api.get("/facilities/iec-2002/advance-requests?status=pending", headers=api.as_("hsbc-ops")).json()
    assert [r["id"] for r in pending["requests"]] == [asked["id"]]
    path = f"/facilities/iec-2002/advance-requests/{asked['id']}/decision"
    assert api.post(path, json={"decision": "approve"}, headers=api.as_("iec-treasury")).status_code == 403
    decided = api.post(path, json={"decision": "approve"}, headers=api.as_("hsbc-ops")).json()
    assert (decided["status"], decided["decided_by"]) == ("approved", "hsbc-ops")
    status = api.get(STATUS, headers=api.as_("iec-treasury")).json()
    assert D(status["advances_outstanding"]) == D("1392500.00")  # 1,390,000 + 2,500
    assert api.post(path, json={"decision": "decline"}, headers=api.as_("hsbc-ops")).status_code == 409
    declined = api.post("/facilities/iec-2002/advance-requests", json={"on": "2002-10-15", "amount": "50000.00"},
                        headers=api.as_("iec-treasury")).json()
    assert (declined["status"], declined["decided_by"]) == ("declined", "engine")
    assert api.get("/facilities/iec-2002/advance-requests/999", headers=api.as_("hsbc-ops")).status_code == 404


def test_an_advance_request_of_nothing_is_refused_as_input(api, store):
    """An amount of zero is no request: refused as the CLI refuses --amount 0 (the engine's rule), naming the body's
    amount; nothing is kept and no advance of 0.00 is recorded."""
    events = len(store.event_rows("iec-2002"))
    answer = api.post("/facilities/iec-2002/advance-requests", json={"on": "2002-10-15", "amount": "0.00"},
                      headers=api.as_("iec-treasury"))
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "amount"] and "more than zero" in problem["msg"]
    assert api.get("/facilities/iec-2002/advance-requests", headers=api.as_("hsbc-ops")).json()["requests"] == []
    assert len(store.event_rows("iec-2002")) == events


def test_the_openapi_document_lists_every_resource(api):
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/facilities", "/facilities/{facility_id}/status", "/facilities/{facility_id}/fees",
                 "/facilities/{facility_id}/obligations", "/facilities/{facility_id}/payoff",
                 "/facilities/{facility_id}/explain/{figure}", "/facilities/{facility_id}/timeline",
                 "/facilities/{facility_id}/events", "/facilities/{facility_id}/advance-requests",
                 "/facilities/{facility_id}/advance-requests/{request_id}/decision"):
        assert path in paths
    assert api.get("/docs").status_code == 200


def test_a_large_body_is_refused_before_it_is_read(api):
    huge = b'{"events": [' + b'{"date": "2002-12-30", "type": "advance", "amount": "1.00"},' * 300_000 + b"{}]}"
    response = api.post("/facilities/iec-2002/events", content=huge,
                        headers={**api.as_("hsbc-ops"), "Content-Type": "application/json"})
    assert response.status_code == 413


def test_cached_answers_follow_appends(api, store):
    day = "2002-12-31"
    before = api.get(f"/facilities/iec-2002/status?as_of={day}", headers=api.as_("hsbc-ops")).json()
    store.record("iec-2002", [{"date": day, "type": "advance", "amount": "10.00"}], by="cli", source="cli")
    after = api.get(f"/facilities/iec-2002/status?as_of={day}", headers=api.as_("hsbc-ops")).json()
    assert D(after["advances_outstanding"]) - D(before["advances_outstanding"]) == D("10.00")
    assert date.fromisoformat(after["as_of"]) == date(2002, 12, 31)


def test_the_record_reads_in_pages(api, store):
    """The seed's 27 events, read two at a time after the 25th: the 26th and 27th, then nothing."""
    path = "/facilities/iec-2002/events"
    every = api.get(path, headers=api.as_("hsbc-ops")).json()["events"]
    assert [e["seq"] for e in every] == list(range(1, 28))
    page = api.get(f"{path}?after=25&limit=2", headers=api.as_("hsbc-ops")).json()
    assert page == {"facility": "iec-2002", "events": every[25:27]}
    assert api.get(f"{path}?after=27", headers=api.as_("hsbc-ops")).json()["events"] == []
    assert [e["seq"] for e in api.get(f"{path}?limit=3", headers=api.as_("ge-capital")).json()["events"]] == [1, 2, 3]


def test_a_borrower_cannot_correct_or_set_measures(api, store):
    before = store.get("iec-2002").events
    sneaky = [{"date": "2002-10-15", "type": "borrowing_base_report", "receivables_borrowing_base": "1420000.00",
               "supersedes": "advance@2002-10-15#1"},
              {"date": "2002-10-15", "type": "borrowing_base_report", "receivables_borrowing_base": "1420000.00",
               "measures": {"term_loan_reserve": "0.00"}},
              {"date": "2002-10-15", "type": "voided", "supersedes": "advance@2002-10-15#1"}]
    for event in sneaky:
        response = api.post("/facilities/iec-2002/events", json={"events": [event]}, headers=api.as_("iec-treasury"))
        assert response.status_code == 403, event
    assert store.get("iec-2002").events == before


def test_a_borrower_sees_no_lender_s_share_and_no_server_path(api):
    assert api.get(STATUS, headers=api.as_("iec-treasury")).json()["lenders"] == []
    listed = api.get("/facilities", headers=api.as_("iec-treasury")).json()["facilities"]
    assert "imported_from" not in listed[0]
    assert "imported_from" in api.get("/facilities", headers=api.as_("hsbc-ops")).json()["facilities"][0]


def test_a_retry_reserialized_is_the_same_request(api, store):
    headers = {**api.as_("hsbc-ops"), "Idempotency-Key": "k-order", "Content-Type": "application/json"}
    first = api.post("/facilities/iec-2002/events", headers=headers,
                     content=b'{"events": [{"date": "2002-12-30", "type": "advance", "amount": "5.00"}]}')
    again = api.post("/facilities/iec-2002/events", headers=headers,
                     content=b'{"events":[{"amount":"5.00","type":"advance","date":"2002-12-30"}]}')
    assert first.status_code == again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert store.get("iec-2002").events == 28


def test_a_certificate_recorded_twice_is_refused_by_the_api_too(api, store):
    """The store's rule, not the command line's: the same aging's report for the same day and values, standing in
    the record, is refused (422) and nothing is appended."""
    report = {"date": "2002-12-16", "type": "borrowing_base_report",
              "values": {"receivables_borrowing_base": "1030000.00"},
              "evidence": {"aging_sha256": "ab" * 32, "aging_file": "aging-2002-12-16.csv"}}
    first = api.post("/facilities/iec-2002/events", json={"events": [report]}, headers=api.as_("hsbc-ops"))
    assert first.status_code == 201, first.text
    before = store.get("iec-2002").events
    again = api.post("/facilities/iec-2002/events", json={"events": [report]}, headers=api.as_("hsbc-ops"))
    assert again.status_code == 422 and "is already recorded, as event" in again.json()["detail"][0]["msg"]
    assert store.get("iec-2002").events == before
