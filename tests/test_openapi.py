"""The OpenAPI document: the bearer scheme (Swagger's Authorize button) on every route, and a response schema for
every route's success, checked against the answers the routes really give for the seed and DNOW."""
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from conftest import DNOW, SEED
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
