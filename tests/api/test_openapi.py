"""The OpenAPI document: the bearer scheme (Swagger's Authorize button) on every route, and a response schema for
every route's success, checked against the answers the routes really give for the seed and DNOW."""
import copy
from datetime import date
from decimal import Decimal
from typing import Any, get_args

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from conftest import ACME, DNOW, FIXTURES, RICHEY, SEED, copy_of, edit
from loanbook.api import schemas
from loanbook.api.app import create_app
from loanbook.api.schemas import RESPONSES
from loanbook.store.store import Store
from loanbook.store.users import add_user


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'store.db'}")
    store.import_folder(SEED)
    store.import_folder(DNOW)
    tokens = {name: add_user(store, name, role, [facility], party)[1] for name, role, facility, party in (
        ("agent", "agent", "iec-2002", None), ("borrower", "borrower", "iec-2002", None),
        ("lender", "lender", "iec-2002", "ge-capital"), ("dnow-agent", "agent", "dnow-2022", None))}
    app = create_app(store)
    client = TestClient(app)
    yield app, client, {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    store.close()


def test_every_route_has_a_response_schema_and_the_bearer_scheme(served):
    app, client, _ = served
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer", "description": "a user's token, as `loanbook users add` printed it"}
    routes = [(method.lower(), r.path) for r in app.routes if isinstance(r, APIRoute) and r.include_in_schema
              for method in r.methods]
    assert routes and set(routes) <= set(RESPONSES), set(routes) - set(RESPONSES)
    for method, path in routes:
        operation = document["paths"][path][method]
        assert operation["security"] == [{"HTTPBearer": []}], (method, path)
        success = next(code for code in operation["responses"] if code.startswith("2"))
        reference = operation["responses"][success]["content"]["application/json"]["schema"]["$ref"]
        name = reference.rsplit("/", 1)[1]
        assert document["components"]["schemas"][name]["properties"], (method, path)


def check(model, response):
    assert response.status_code < 300, response.text
    model.model_validate(response.json())


def test_every_answer_fits_its_schema(served):
    _, client, who = served
    agent, f = who["agent"], "/facilities/iec-2002"
    gets = {"/facilities": "/facilities", "/facilities/{facility_id}": f,
            "/facilities/{facility_id}/status": f"{f}/status?as_of=2002-10-15&explain=true",
            "/facilities/{facility_id}/share": f"{f}/share?as_of=2002-10-15",
            "/facilities/{facility_id}/fees": f"{f}/fees?as_of=2002-11-20",
            "/facilities/{facility_id}/obligations": f"{f}/obligations?as_of=2002-10-28",
            "/facilities/{facility_id}/covenants": f"{f}/covenants?as_of=2002-10-28",
            "/facilities/{facility_id}/payoff": f"{f}/payoff?on=2002-11-20",
            "/facilities/{facility_id}/explain/{figure}": f"{f}/explain/availability?as_of=2002-10-15",
            "/facilities/{facility_id}/timeline": f"{f}/timeline?from=2002-10-01&to=2002-10-31",
            "/facilities/{facility_id}/interest": f"{f}/interest?from=2002-10-01&to=2002-12-31",
            "/facilities/{facility_id}/events": f"{f}/events"}
    for path, url in gets.items():
        check(RESPONSES[("get", path)], client.get(url, headers=agent))
    for url in ("/facilities/dnow-2022/status?as_of=2023-12-31", "/facilities/dnow-2022/covenants?as_of=2023-12-31",
                "/facilities/dnow-2022/fees?as_of=2023-12-31"):
        path = "/facilities/{facility_id}/" + url.split("/")[3].split("?")[0]
        check(RESPONSES[("get", path)], client.get(url, headers=who["dnow-agent"]))
    check(RESPONSES[("get", "/facilities/{facility_id}/share")],
          client.get(f"{f}/share?as_of=2002-10-15", headers=who["lender"]))
    recorded = client.post(f"{f}/events", headers=agent, json={"events": [
        {"date": "2002-12-30", "type": "borrowing_base_report", "receivables_borrowing_base": "1450000.00"}]})
    check(RESPONSES[("post", "/facilities/{facility_id}/events")], recorded)
    check(RESPONSES[("post", "/facilities/{facility_id}/advance-requests")],
          client.post(f"{f}/advance-requests", headers=who["borrower"], json={"on": "2002-10-15", "amount": "5000.00"}))
    # DNOW on 2023-12-31: US availability 25,750,000.00; 30,000,000.00 more is an overadvance of 4,250,000.00, within
    # 10% of the Maximum Revolver Amount (50,000,000.00) and discretionary: it waits for the Agent
    d, dnow = "/facilities/dnow-2022", who["dnow-agent"]
    asked = client.post(f"{d}/advance-requests", headers=dnow,
                        json={"on": "2023-12-31", "amount": "30000000.00", "tranche": "us_revolver"})
    check(RESPONSES[("post", "/facilities/{facility_id}/advance-requests")], asked)
    assert asked.json()["status"] == "pending", asked.json()
    request_id = asked.json()["id"]
    check(RESPONSES[("get", "/facilities/{facility_id}/advance-requests")],
          client.get(f"{d}/advance-requests", headers=dnow))
    check(RESPONSES[("get", "/facilities/{facility_id}/advance-requests/{request_id}")],
          client.get(f"{d}/advance-requests/{request_id}", headers=dnow))
    check(RESPONSES[("post", "/facilities/{facility_id}/advance-requests/{request_id}/decision")],
          client.post(f"{d}/advance-requests/{request_id}/decision", headers=dnow, json={"decision": "decline"}))




# --- each answer is its model, whole: a key the JSON has and its model lacks fails ------------------------------

# (folder, what is asked of it): between them every model of an answer meets a real answer, and every field a value
# (the seed's fees in November: a waived installment; DNOW's computed fee charges; the widget's springing covenant,
# past due amounts and capped lines; keyco's key in no level of its grid; overdue's interest on an overdue amount)
ASKED = [
    (SEED, ["", "/events", "/status?as_of=2002-10-01&explain=true", "/fees?as_of=2002-11-12",
            "/payoff?on=2002-10-01", "/obligations?as_of=2002-10-25", "/timeline?from=2002-10-01&to=2002-12-31"]),
    (DNOW, ["/fees?as_of=2023-01-01", "/covenants?as_of=2023-02-14", "/explain/availability?as_of=2023-01-01",
            "/status?as_of=2023-12-31"]),
    (RICHEY, ["/obligations?as_of=1995-12-20"]),
    (FIXTURES / "widget", ["/status?as_of=2024-09-19&explain=true"]),
    (FIXTURES / "keyco", ["/status?as_of=2024-09-19&explain=true"]),
    (FIXTURES / "overdue", ["/status?as_of=2024-01-02", "/interest?from=2024-01-02&to=2024-04-10"]),
    (FIXTURES / "bare", ["/explain/availability?as_of=2024-01-02", "/share?as_of=2024-01-02", "/events"]),
    (FIXTURES / "fund", ["/timeline?from=2024-01-02&to=2024-12-31"]),
    # recorded below, then asked: a terminated facility's availability (ended), and an amendment executed whose
    # condition (a Secretary's Certificate) is still open (gates)
    (ACME, ["/status?as_of=2024-02-01"]),
    (FIXTURES / "gated", ["/status?as_of=2024-04-15"]),
]
RECORDED = {ACME: {"date": "2024-02-01", "type": "terminated"},
            FIXTURES / "gated": {"date": "2024-04-10", "type": "amendment_executed", "amendment": "amendment-1"}}
# Acme with a second borrowing base beside its own (80% of Eligible Receivables): 50% of them
SECOND_BASE = """      - kind: borrowing_base
        id: second_base
        label: Second Borrowing Base
        lines:
          - {id: second_line, label: 50% of Eligible Receivables, collateral: eligible_receivables, rate: "50"}
"""


def route(url: str) -> tuple[str, str]:
    """The (method, path) of RESPONSES a GET of a facility's URL answers."""
    rest = url.split("?")[0].split("/")[3:]  # /facilities/ID/explain/availability: explain, availability
    path = "/facilities/{facility_id}"
    if rest:
        path += "/explain/{figure}" if rest[0] == "explain" else f"/{rest[0]}"
    return "get", path


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """(model, answer, the figures' names of a status) for every answer asked: reads and writes."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('answers') / 'store.db'}")
    two_bases = copy_of(ACME, tmp_path_factory.mktemp("two-bases"))
    edit(two_bases / "facility.yaml", "id: acme-2024", "id: acme-two-bases")
    after = "      - kind: availability\n"  # the block after Acme's own borrowing base
    edit(two_bases / "documents" / "loan-agreement.yaml", after, SECOND_BASE + after)
    ids = {}
    for folder, _ in [*ASKED, (two_bases, [])]:
        known = {f.id for f in store.facilities()}
        store.import_folder(folder)
        (ids[folder],) = {f.id for f in store.facilities()} - known
    who = {name: {"Authorization": f"Bearer {add_user(store, name, role, list(ids.values()), None)[1]}"}
           for name, role in (("agent", "agent"), ("borrower", "borrower"))}
    client = TestClient(create_app(store))
    got = []

    def asked(method: str, path: str, response, figures=None):
        assert response.status_code < 300, (path, response.text)
        got.append((RESPONSES[(method, path)], response.json(), figures))

    for folder, event in RECORDED.items():
        asked("post", "/facilities/{facility_id}/events",
              client.post(f"/facilities/{ids[folder]}/events", headers=who["agent"], json={"events": [event]}))
    asked("get", "/facilities", client.get("/facilities", headers=who["agent"]))
    for folder, urls in ASKED:
        for url in urls:
            url = f"/facilities/{ids[folder]}{url}" + ("&unchecked=true" if "?" in url else "")
            figures = None
            if "/status?" in url:
                day = date.fromisoformat(url.split("as_of=")[1][:10])
                figures = {f.id for f in store.facility(ids[folder]).status(day).figures}
            asked(*route(url), client.get(url, headers=who["agent"]), figures)
    url = f"/facilities/{ids[two_bases]}/status?as_of=2024-01-02&unchecked=true"
    asked(*route(url), client.get(url, headers=who["agent"]),
          {f.id for f in store.facility(ids[two_bases]).status(date(2024, 1, 2)).figures})
    # receivables of 1,000,000.00: 80% is 800,000.00, 50% is 500,000.00
    assert [(b["id"], b["total"]) for b in got[-1][1]["borrowing_bases"]] == [
        ("borrowing_base_total", "800000.00"), ("second_base", "500000.00")]
    # DNOW on 2023-12-31: 30,000,000.00 is an overadvance within its limit: pending, then approved
    d = f"/facilities/{ids[DNOW]}/advance-requests"
    asked("post", "/facilities/{facility_id}/advance-requests", client.post(
        d, headers=who["borrower"], json={"on": "2023-12-31", "amount": "30000000.00", "tranche": "us_revolver"}))
    request_id = got[-1][1]["id"]
    asked("post", "/facilities/{facility_id}/advance-requests/{request_id}/decision",
          client.post(f"{d}/{request_id}/decision", headers=who["agent"], json={"decision": "approve"}))
    asked("get", "/facilities/{facility_id}/advance-requests", client.get(d, headers=who["agent"]))
    asked("get", "/facilities/{facility_id}/advance-requests/{request_id}",
          client.get(f"{d}/{request_id}", headers=who["agent"]))
    yield got
    store.close()


def as_compared(model, answer: dict) -> dict:
    """An answer as the round trip compares it: an event as given reduced to its keys, for the events' own model
    (docs/events.md) reads `1,275,000.00` as the amount it is and writes it back as `1275000.00`."""
    if model is not schemas.EventsOut:
        return answer
    return {**answer, "events": [{**row, "event": sorted(row["event"])} for row in answer["events"]]}


def whole(model, answer: dict, figures: set[str] | None):
    """The answer read by its model and written back is the answer: every key declared, every value read whole;
    a status's further keys are exactly the facility's named figures (but those it declares itself: its
    `availability` is the first tranche's)."""
    shaped = model.model_validate(answer)
    written = shaped.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert as_compared(model, written) == as_compared(model, answer)
    if figures is not None:
        further = figures - set(model.model_fields)
        assert set(shaped.model_extra or {}) == further, set(shaped.model_extra or {}) ^ further
    return shaped


def test_every_answer_is_its_model_whole(answers):
    assert len(answers) == 2 + 1 + sum(len(urls) for _, urls in ASKED) + 1 + 4
    for model, answer, figures in answers:
        whole(model, answer, figures)
    # typed: the seed's first status read as a date and Decimals, never floats; its Maximum Limit is the Tenth
    # Amendment's (`maximum_limit`, value "1750000.00"), a named figure at the top
    status = next(schemas.StatusOut.model_validate(a) for m, a, _ in answers if m is schemas.StatusOut)
    assert status.as_of == date(2002, 10, 1)
    assert status.model_extra is not None and status.model_extra["maximum_limit"] == Decimal("1750000.00")
    assert all(isinstance(value, Decimal) for value in status.loans.values()) and status.loans


def records(shaped, answer, path=()):
    """Where in an answer a model reads a record (an object with fixed keys, not a map of names)."""
    if isinstance(shaped, BaseModel):
        if shaped.model_config.get("extra") == "forbid":
            yield path
        for name, field in type(shaped).model_fields.items():
            key = field.alias or name
            if key in answer:
                yield from records(getattr(shaped, name), answer[key], (*path, key))
    elif isinstance(shaped, list):
        for i, (item, given) in enumerate(zip(shaped, answer, strict=True)):
            yield from records(item, given, (*path, i))
    elif isinstance(shaped, dict):
        for key, item in shaped.items():
            yield from records(item, answer[key], (*path, key))


def test_a_key_the_model_does_not_declare_fails(answers):
    """A key added to any record of any answer (a status's top level: a key that names no figure) fails."""
    tried = set()
    for model, answer, figures in answers:
        places = list(records(model.model_validate(answer), answer)) + ([()] if figures is not None else [])
        for place in places:
            changed = copy.deepcopy(answer)
            target = changed
            for step in place:
                target = target[step]
            target["unheard_of"] = "1.00"  # a valid amount, a rate and a figure: only the key is wrong
            with pytest.raises((ValidationError, AssertionError)):
                whole(model, changed, figures)
            tried.add((model.__name__, *(step if isinstance(step, str) else "[]" for step in place)))
    # among them the records the JSON had beyond the old models' keys, and an event as given
    assert {("StatusOut",), ("StatusOut", "springing", "[]"), ("StatusOut", "unmatched", "[]"),
            ("StatusOut", "past_due", "[]"), ("StatusOut", "pending_conditions", "[]"),
            ("StatusOut", "explanation", "availability", "inputs", "[]", "clause"),
            ("InterestOut", "months", "[]", "overdue", "[]"), ("EventsOut", "events", "[]", "event"),
            ("FeesOut", "installments", "[]", "waiver"), ("PayoffOut", "cash_collateral_parts", "[]")} <= tried


def declared_by(model: type[BaseModel], name: str) -> str:
    """The class that declares a field (an inherited field is its base's)."""
    return next(c.__name__ for c in model.__mro__ if name in getattr(c, "__annotations__", {}))


def test_every_model_and_field_meets_a_real_answer(answers):
    """A model no answer reaches, or a field always null or empty, would go unchecked by the tests above."""
    met, models = set(), set()

    def walk(value):
        if isinstance(value, BaseModel) and type(value).__module__ == schemas.__name__:
            models.add(type(value))
            for name in type(value).model_fields:
                if getattr(value, name) not in (None, [], {}):
                    met.add((declared_by(type(value), name), name))
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, (list, dict)):
            for item in value.values() if isinstance(value, dict) else value:
                walk(item)

    for model, answer, _ in answers:
        walk(model.model_validate(answer))
    declared = {(declared_by(m, name), name) for m in reached(set(RESPONSES.values())) for name in m.model_fields}
    assert declared - met == set()


def reached(models: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """The models of answers, and every model of this module their fields hold."""
    found: set[type[BaseModel]] = set()
    todo = list(models)
    while todo:
        model = todo.pop()
        if model in found or model.__module__ != schemas.__name__:
            continue
        found.add(model)
        for field in model.model_fields.values():
            todo.extend(inner(field.annotation))
    return found


def inner(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in inner(arg)]


def test_no_answer_model_holds_an_untyped_value():
    """Every field of every answer's model says what it holds: no Any, no bare dict; every record but a status
    refuses further keys, in the OpenAPI document too."""
    for model in reached(set(RESPONSES.values())):
        for name, field in model.model_fields.items():
            assert not _untyped(field.annotation), (model.__name__, name, field.annotation)
        assert model.model_config.get("extra") == ("allow" if model is schemas.StatusOut else "forbid"), model


def _untyped(annotation) -> bool:
    if annotation in (Any, object, dict, list):
        return True
    return any(_untyped(arg) for arg in get_args(annotation) if not isinstance(arg, (str, int)))


def test_the_document_refuses_undeclared_keys(served):
    _, client, _ = served
    document = client.get("/openapi.json").json()["components"]["schemas"]
    for model in reached(set(RESPONSES.values())):
        shape = document[model.__name__]
        if model is schemas.StatusOut:  # further keys: the facility's named figures, each a figure's value
            assert shape["additionalProperties"]["anyOf"][0]["pattern"] == r"^-?[0-9]+\.[0-9]{2,6}$"
        else:
            assert shape["additionalProperties"] is False, model.__name__
    money = document["Breach"]["properties"]["amount"]
    assert money == {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["1275000.00"],
                     "title": "Amount"}
    assert document["PastDue"]["properties"]["due"] == {"type": "string", "format": "date", "title": "Due"}
