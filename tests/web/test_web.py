"""The web app in-process, on a real store: log-in (password or token), the session cookie, CSRF, roles and the
403 page, revocation and rotation refused at once, and pages whose figures are the command line's answers.
The browser drives the same pages in tests/web/test_web_browser.py."""
import hashlib
import json
import re
import shutil
from datetime import date
from decimal import Decimal as D
from html import unescape

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from conftest import ACME, DNOW, ROOT, SEED, copy_of, edit, fresh_postgres
from loanbook.api.app import create_app
from loanbook.cli import app as cli
from loanbook.store import schema
from loanbook.store.store import Store
from loanbook.store.users import add_user, revoke, rotate, set_password
from loanbook.web.auth import safe_target

HARBOR = ROOT / "tests" / "fixtures" / "harbor"
PASSWORDS = {"hsbc-ops": "agent-password", "iec-treasury": "borrower-password", "ge-capital": "lender-password",
             "wells-ops": "wells-password"}


def build_world(url: str) -> dict[str, str]:
    """The seed and DNOW stored at `url`; the seed's agent (also DNOW's), borrower and one lender, each with a
    password (their tokens)."""
    built = Store(url)
    built.import_folder(SEED)
    built.import_folder(DNOW)
    tokens = {}
    for name, role, facilities, party in (("hsbc-ops", "agent", ["iec-2002", "dnow-2022"], None),
                                          ("iec-treasury", "borrower", ["iec-2002"], None),
                                          ("ge-capital", "lender", ["iec-2002"], "ge-capital")):
        tokens[name] = add_user(built, name, role, facilities, party)[1]
        set_password(built, name, PASSWORDS[name])
    built.close()  # a PostgreSQL template takes no connection while it is copied
    return tokens


# The world is built once per module and store kind (two imports and three argon2 hashes take seconds); each test
# of it gets a copy, so none sees another's writes.
@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory):
    where = tmp_path_factory.mktemp("web-world") / "store.db"
    return str(where), build_world(f"sqlite:///{where}")


@pytest.fixture(scope="module")
def postgresql_world():
    with fresh_postgres() as url:
        yield url.rsplit("/", 1)[1], build_world(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """conftest's store_url, but a test of `web` gets a copy of the module's world of that kind."""
    world = request.getfixturevalue(f"{request.param}_world") if "web" in request.fixturenames else None
    if request.param == "sqlite":
        if world:
            shutil.copyfile(world[0], tmp_path / "store.db")
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with fresh_postgres(template=world[0] if world else None) as url:
            yield url


@pytest.fixture
def web(store, request):
    """The app on a copy of the world: the seed and DNOW, the seed's agent (DNOW's too), borrower and a lender."""
    kind = "sqlite" if store.url.startswith("sqlite") else "postgresql"
    app = create_app(store)
    app.tokens = dict(request.getfixturevalue(f"{kind}_world")[1])
    return app


def client(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def logged_in(app, name: str, *, token: bool = False) -> TestClient:
    browser = client(app)
    form = browser.get("/login?next=/book")
    fields = {"token": app.tokens[name]} if token else {"name": name, "password": PASSWORDS[name]}
    answer = browser.post("/login", data={"csrf": csrf_of(form.text), "next": "/book", **fields})
    assert (answer.status_code, answer.headers["location"]) == (303, "/book"), answer.text
    return browser


def text(html: str) -> str:
    """A page's words, without its markup."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def cell(html: str, element_id: str) -> str:
    """The text of the element with this id."""
    found = re.search(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</t[dh]>', html, re.S)
    assert found, element_id
    return text(found.group(1))


def cli_json(store, *args) -> dict:
    result = CliRunner().invoke(cli, [*args, "--json"], env={"LOANBOOK_DATABASE_URL": store.url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def money(value: str) -> str:
    return f"{D(value):,.2f}"


# --- log-in, sessions, CSRF --------------------------------------------------------------------------------

def test_a_page_without_a_session_goes_to_the_log_in_and_back(web):
    anonymous = client(web)
    answer = anonymous.get("/book/iec-2002?as_of=2002-10-15")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fbook%2Fiec-2002%3Fas_of%3D2002-10-15"
    form = anonymous.get(answer.headers["location"])
    assert 'value="/book/iec-2002?as_of=2002-10-15"' in form.text
    back = anonymous.post("/login", data={"csrf": csrf_of(form.text), "name": "hsbc-ops",
                                          "password": "agent-password", "next": "/book/iec-2002?as_of=2002-10-15"})
    assert back.headers["location"] == "/book/iec-2002?as_of=2002-10-15"
    assert anonymous.get(back.headers["location"]).status_code == 200
    # a target on another site is not followed
    form = client(web).get("/login")
    other = client(web)
    other.cookies.update(form.cookies)
    away = other.post("/login", data={"csrf": csrf_of(form.text), "name": "hsbc-ops", "password": "agent-password",
                                      "next": "//elsewhere.example/steal"})
    assert away.headers["location"] == "/book"


def test_the_session_cookie_is_httponly_strict_and_expires(web):
    browser = client(web)
    form = browser.get("/login")
    answer = browser.post("/login", data={"csrf": csrf_of(form.text), "name": "hsbc-ops", "password": "agent-password"})
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("loanbook_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Max-Age=28800" in cookie  # 8 hours, as store/sessions.py's SESSION_LIFETIME
    page = browser.get("/book")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_wrong_password_or_token_opens_nothing(web):
    browser = client(web)
    for fields in ({"name": "hsbc-ops", "password": "not-the-password"}, {"name": "nobody", "password": "whatever1234"},
                   {"token": "lb_0000_forged"}, {"token": web.tokens["hsbc-ops"] + "x"}):
        form = browser.get("/login")
        answer = browser.post("/login", data={"csrf": csrf_of(form.text), **fields})
        assert answer.status_code == 401, fields
        assert "not recognised" in answer.text
    assert browser.get("/book").status_code == 303


def test_the_token_logs_in_too(web):
    browser = logged_in(web, "iec-treasury", token=True)
    assert "iec-treasury (borrower)" in text(browser.get("/book").text)


def test_a_form_without_its_csrf_token_is_refused(web, store):
    browser = client(web)
    browser.get("/login")
    refused = browser.post("/login", data={"csrf": "guessed", "name": "hsbc-ops", "password": "agent-password"})
    assert refused.status_code == 403 and "loanbook_session" not in refused.headers.get("set-cookie", "")
    borrower = logged_in(web, "iec-treasury")
    before = len(store.event_rows("iec-2002"))
    asked = borrower.post("/book/iec-2002/requests", data={"csrf": "guessed", "on": "2002-12-31", "amount": "1000.00"})
    assert asked.status_code == 403 and "security token" in asked.text
    assert len(store.event_rows("iec-2002")) == before  # nothing recorded
    assert borrower.post("/logout", data={}).status_code == 403
    assert borrower.get("/book").status_code == 200  # still logged in


def test_log_out_ends_the_session(web):
    browser = logged_in(web, "hsbc-ops")
    cookie = browser.cookies["loanbook_session"]
    answer = browser.post("/logout", data={"csrf": csrf_of(browser.get("/book").text)})
    assert answer.headers["location"] == "/login"
    replayed = client(web)
    replayed.cookies.set("loanbook_session", cookie)
    assert replayed.get("/book").status_code == 303  # the old cookie names no session


def test_rotate_and_revoke_are_refused_at_once(web, store):
    """A token used a moment ago (so the server has it verified and remembered) is refused on the very next
    request once rotated, by the API and the log-in alike; its web sessions end; a revoked user is shut out of
    everything at once."""
    api = TestClient(web)
    old = web.tokens["hsbc-ops"]
    assert api.get("/facilities", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    browser = logged_in(web, "hsbc-ops")
    new = rotate(store, "hsbc-ops")
    assert api.get("/facilities", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert api.get("/facilities", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert browser.get("/book").status_code == 303  # its session ended
    web.tokens["hsbc-ops"] = new
    browser = logged_in(web, "hsbc-ops", token=True)
    revoke(store, "hsbc-ops")
    assert api.get("/facilities", headers={"Authorization": f"Bearer {new}"}).status_code == 401
    assert browser.get("/book").status_code == 303
    form = client(web).get("/login")
    again = client(web)
    again.cookies.update(form.cookies)
    assert again.post("/login", data={"csrf": csrf_of(form.text), "name": "hsbc-ops",
                                      "password": "agent-password"}).status_code == 401


def test_users_passwd_revoke_and_rotate_on_the_command_line(web, store):
    env = {"LOANBOOK_DATABASE_URL": store.url}
    short = CliRunner().invoke(cli, ["users", "passwd", "iec-treasury", "--password-stdin"], input="short\n", env=env)
    assert short.exit_code == 2 and "10 to 1000 printable characters" in short.output
    done = CliRunner().invoke(cli, ["users", "passwd", "iec-treasury", "--password-stdin"],
                              input="a-new-password\n", env=env)
    assert done.exit_code == 0, done.output
    PASSWORDS["iec-treasury"], kept = "a-new-password", PASSWORDS["iec-treasury"]
    try:
        logged_in(web, "iec-treasury")
    finally:
        PASSWORDS["iec-treasury"] = kept
    token = cli_json(store, "users", "rotate", "iec-treasury")["token"]
    assert token.startswith("lb_") and token != web.tokens["iec-treasury"]
    assert CliRunner().invoke(cli, ["users", "revoke", "iec-treasury"], env=env).exit_code == 0
    unknown = CliRunner().invoke(cli, ["users", "revoke", "iec-treasury"], env=env)
    assert unknown.exit_code == 2 and "no active user named 'iec-treasury'" in unknown.output


# --- who sees what ------------------------------------------------------------------------------------------

def test_a_borrower_sees_its_own_facility_only(web):
    browser = logged_in(web, "iec-treasury")
    book = browser.get("/book").text
    assert 'data-facility="iec-2002"' in book and "dnow-2022" not in book
    for path in ("/book/dnow-2022", "/book/dnow-2022/agreement", "/book/dnow-2022/audit", "/book/no-such-facility",
                 "/book/dnow-2022/explain/availability", "/book/dnow-2022/requests"):
        refused = browser.get(path)
        assert refused.status_code == 403, path
        assert "Not permitted" in refused.text
    assert browser.get("/book/iec-2002?as_of=2002-10-15").status_code == 200


def test_a_lender_sees_its_own_share_and_may_not_request(web):
    browser = logged_in(web, "ge-capital")
    page = browser.get("/book/iec-2002?as_of=2002-10-15").text
    assert "ge-capital" in page and ">hsbc<" not in page
    asked = browser.post("/book/iec-2002/requests", data={"csrf": csrf_of(page), "on": "2002-12-31",
                                                          "amount": "1000.00"})
    assert asked.status_code == 403


# --- the figures --------------------------------------------------------------------------------------------

def test_the_facility_page_shows_the_command_line_s_figures(web, store):
    """On 2002-10-15: capacity min(1,750,000.00, 85% x 1,420,000.00 = 1,207,000.00) - 60,000.00 of Letters of
    Credit = 1,147,000.00; usage 1,390,000.00: availability 0.00, an overadvance of 243,000.00 against its limit
    min(cap 400,000.00, Term Loan Reserve 250,000.00) = 250,000.00. On 2002-10-28 the cap is 0.00: limit 0.00."""
    browser = logged_in(web, "hsbc-ops")
    page = browser.get("/book/iec-2002?as_of=2002-10-15").text
    cli = cli_json(store, "status", "--facility", "iec-2002", "--as-of", "2002-10-15")
    assert cell(page, "availability-advances") == money(cli["availability"]) == "0.00"
    assert cell(page, "overadvance-limit-advances") == money(cli["overadvance_limit"]) == "250,000.00"
    words = text(page)
    assert "1,147,000.00 1,390,000.00 0.00" in words  # capacity, usage, availability
    assert "up to 85% of the IEC Receivables Borrowing Base 1,420,000.00 85.00% (85%) 1,207,000.00" in words
    assert 'href="/book/iec-2002/explain/availability?as_of=2002-10-15"' in page
    later = browser.get("/book/iec-2002?as_of=2002-10-28").text
    assert cell(later, "overadvance-limit-advances") == "0.00"
    chart = json.loads(re.search(r'id="chart-data">(.*?)</script>', page, re.S).group(1))
    timeline = cli_json(store, "timeline", "--facility", "iec-2002", "--from", chart["dates"][0], "--to", "2002-10-15")
    assert chart["usage"] == [d["usage"] for d in timeline["days"]]
    assert chart["dates"][-1] == "2002-10-15"


def test_the_dnow_page_shows_its_borrowing_base_line_by_line(web, store):
    browser = logged_in(web, "hsbc-ops")
    page = browser.get("/book/dnow-2022?as_of=2023-05-12").text
    base = cli_json(store, "status", "--facility", "dnow-2022", "--as-of", "2023-05-12")["borrowing_base"]
    words = text(page)
    for line in base["lines"]:
        assert f"{unescape(line['label'])} {money(line['collateral_value'])}" in words, line["label"]
        assert money(line["value"]) in words
    for reserve in base["reserves"]:
        assert f"{reserve['label']} − {money(reserve['value'])}" in words
    assert f"US Borrowing Base {money(base['total'])}" in words
    assert page.count('class="base-line"') == len(base["lines"]) == 4


def test_a_figure_s_explanation_reaches_its_clause_and_document(web):
    browser = logged_in(web, "hsbc-ops")
    page = browser.get("/book/iec-2002/explain/availability?as_of=2002-10-15").text
    words = text(page)
    assert words.count("Schedule Item 1 - Borrowing Capacity") >= 1
    assert "Borrowing Capacity at any time shall be the net amount" in words  # the clause text itself
    assert 'href="/book/iec-2002/agreement?as_of=2002-10-15#schedule.item-1"' in page
    assert 'href="/book/iec-2002/agreement/documents/amendment-10"' in page
    assert 'href="/book/iec-2002/audit#event-8"' in page  # the borrowing base report the figure came from
    assert browser.get("/book/iec-2002/explain/no_such_figure?as_of=2002-10-15").status_code == 404


def test_an_unknown_figure_is_a_page_naming_it_and_the_day(web):
    browser = logged_in(web, "hsbc-ops")
    missing = browser.get("/book/iec-2002/explain/no_such_figure?as_of=2002-10-15")
    assert missing.status_code == 404
    assert "iec-2002 has no figure &#39;no_such_figure&#39; on 2002-10-15" in missing.text


def test_the_book_has_every_facility_with_totals_sorted_and_filtered(web, store):
    """On 2002-12-31 the seed's availability is 85% x 1,460,000.00 = 1,241,000.00 of capacity less 1,170,000.00 of
    advances: 71,000.00; DNOW's on that day comes from its own status; the total is their sum."""
    browser = logged_in(web, "hsbc-ops")
    page = browser.get("/book?as_of=2002-12-31").text
    assert "71,000.00" in text(page)
    books = browser.get("/book?as_of=2023-05-12&sort=name").text
    dnow = cli_json(store, "status", "--facility", "dnow-2022", "--as-of", "2023-05-12")["availability"]
    assert money(dnow) in text(books)
    assert books.index('data-facility="iec-2002"') < books.index('data-facility="dnow-2022"')  # IEC before NOW
    reverse = browser.get("/book?as_of=2023-05-12&sort=name&order=desc").text
    assert reverse.index('data-facility="dnow-2022"') < reverse.index('data-facility="iec-2002"')
    only = browser.get("/book?q=dnow").text
    assert 'data-facility="dnow-2022"' in only and 'data-facility="iec-2002"' not in only
    rows = re.findall(r'data-facility="([^"]+)"', browser.get("/book?breached=true&as_of=2002-10-15").text)
    assert rows == []  # no breach on that day in either record
    each = browser.get("/book").text  # each facility on its own latest day: the total is the two availabilities
    seed_day = re.search(r'data-facility="iec-2002">.*?<td>([0-9-]+)</td>', each, re.S).group(1)
    dnow_day = re.search(r'data-facility="dnow-2022">.*?<td>([0-9-]+)</td>', each, re.S).group(1)
    total = (D(cli_json(store, "status", "--facility", "iec-2002", "--as-of", seed_day)["availability"])
             + D(cli_json(store, "status", "--facility", "dnow-2022", "--as-of", dnow_day)["availability"]))
    assert f"Total (2) {total:,.2f}" in text(each)


def test_the_agreement_its_clause_history_and_a_redline(store, tmp_path):
    """ACME's Amendment No. 1 raised the Maximum Limit from $1,000,000 to $1,200,000: its redline strikes the one
    and marks the other."""
    store.import_folder(ACME)
    add_user(store, "acme-agent", "agent", ["acme-2024"])
    set_password(store, "acme-agent", "acme-password")
    app = create_app(store)
    app.tokens = {}
    PASSWORDS["acme-agent"] = "acme-password"
    browser = logged_in(app, "acme-agent")
    conformed = browser.get("/book/acme-2024/agreement?as_of=2024-05-01").text
    assert 'id="schedule.item-1"' in conformed and "Maximum Limit of $1,200,000" in conformed
    before = browser.get("/book/acme-2024/agreement?as_of=2024-02-01").text
    assert "Maximum Limit of $1,000,000" in before and "$1,200,000" not in before
    history = browser.get("/book/acme-2024/agreement/clauses/schedule.item-1").text
    assert "<del>$1,000,000</del> <ins>$1,200,000</ins>" in history
    document = browser.get("/book/acme-2024/agreement/documents/amendment-1").text
    assert "<del>$1,000,000</del> <ins>$1,200,000</ins>" in document


# --- requests, what-if, audit ---------------------------------------------------------------------------------

def test_the_borrower_asks_and_the_agent_decides(web, store):
    """1.00 on 2002-10-15 is an overadvance within the limit (243,000.00 + 1.00 <= 250,000.00), left to the Agent:
    pending; the Agent approves it and the advance is recorded."""
    borrower = logged_in(web, "iec-treasury")
    form = borrower.get("/book/iec-2002/requests").text
    asked = borrower.post("/book/iec-2002/requests", data={"csrf": csrf_of(form), "on": "2002-10-15",
                                                           "amount": "1.00"})
    assert asked.status_code == 303
    shown = borrower.get(asked.headers["location"]).text
    assert 'data-status="pending"' in shown
    assert "creates an overadvance of 243,001.00 within the limit 250,000.00" in text(shown)
    bad = borrower.post("/book/iec-2002/requests", data={"csrf": csrf_of(form), "on": "2002-13-01", "amount": "1"})
    assert bad.status_code == 422 and "2002-13-01" in text(bad.text)
    agent = logged_in(web, "hsbc-ops")
    queue = agent.get("/book/iec-2002/requests").text
    request_id = re.search(r'data-request="(\d+)"', queue).group(1)
    decided = agent.post(f"/book/iec-2002/requests/{request_id}/decision",
                         data={"csrf": csrf_of(queue), "decision": "approve"})
    assert decided.status_code == 303
    assert 'data-status="approved"' in agent.get(decided.headers["location"]).text
    again = agent.post(f"/book/iec-2002/requests/{request_id}/decision",
                       data={"csrf": csrf_of(queue), "decision": "approve"})
    assert again.status_code == 409 and "already approved" in again.text
    assert borrower.post(f"/book/iec-2002/requests/{request_id}/decision",
                         data={"csrf": csrf_of(form), "decision": "approve"}).status_code == 403
    audit = agent.get("/book/iec-2002/audit").text
    assert "iec-treasury" in audit and "hsbc-ops" in audit and "The hash chain holds" in audit


def test_a_request_of_nothing_is_refused_on_the_form(web, store):
    """An amount of zero is no request (the engine's rule, as the CLI and the API say it): the form says so, and
    nothing is kept."""
    borrower = logged_in(web, "iec-treasury")
    form = borrower.get("/book/iec-2002/requests").text
    asked = borrower.post("/book/iec-2002/requests", data={"csrf": csrf_of(form), "on": "2002-10-15",
                                                           "amount": "0.00"})
    assert asked.status_code == 422 and "amount must be more than zero" in text(asked.text)
    with store.reading() as connection:
        assert connection.execute(select(schema.advance_requests.c.id)).first() is None


def test_what_if_shows_the_difference_and_writes_nothing(web, store):
    """On 2002-12-31 availability is 71,000.00 (1,241,000.00 of capacity less 1,170,000.00 of advances); an
    advance of 50,000.00 that day leaves 21,000.00: a change of -50,000.00; the payoff grows by the same
    50,000.00 of principal."""
    browser = logged_in(web, "hsbc-ops")
    form = browser.get("/book/iec-2002/what-if").text
    head = store.get("iec-2002").head_hash
    answer = browser.post("/book/iec-2002/what-if", data={
        "csrf": csrf_of(form), "as_of": "2002-12-31",
        "events": '- {date: 2002-12-31, type: advance, amount: "50000.00"}\n'})
    assert answer.status_code == 200, answer.text
    words = text(answer.text)
    assert "availability of Advances 71,000.00 21,000.00 -50,000.00" in words
    payoff = re.search(r"payoff ([\d,.]+) ([\d,.]+) ([\d,.-]+)", words)
    assert D(payoff.group(2).replace(",", "")) - D(payoff.group(1).replace(",", "")) == D("50000.00")
    assert store.get("iec-2002").head_hash == head  # nothing written
    bad = browser.post("/book/iec-2002/what-if", data={"csrf": csrf_of(form), "as_of": "2002-12-31",
                                                       "events": '- {date: 2002-12-31, type: advance, amont: "1"}'})
    assert bad.status_code == 422 and "what-if events" in text(bad.text) and "amont" in text(bad.text)


def test_docs_and_assets_are_served_from_this_server(web):
    browser = client(web)
    docs = browser.get("/docs").text
    assert "/assets/swagger-ui-bundle.js" in docs and "/assets/swagger-ui.css" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "htmx.min.js", "chart.umd.js", "site.css",
                 "facility-chart.js"):
        assert browser.get(f"/assets/{name}").status_code == 200, name
    assert browser.get("/assets/..%2Fpackage.json").status_code == 404
    assert browser.get("/assets/axe.min.js").status_code == 404  # only the files a page loads


def test_as_known_at_and_a_day_the_record_cannot_answer(web, store):
    """Amendment No. 10 (as of 2002-10-01) entered the record when executed, on 2002-10-25: as known on 2002-10-16
    the seed has no Schedule Item 1 in force, so no availability, as the command line says. DNOW's rate file ends
    on 2023-12-31: on 2024-06-01 its interest cannot be computed, and the page says so instead of a figure."""
    browser = logged_in(web, "hsbc-ops")
    known = browser.get("/book/iec-2002?as_of=2002-10-15&known_at=2002-10-16T00:00")
    assert known.status_code == 200
    assert "as known at 2002-10-16T00:00 UTC" in text(known.text)
    assert 'id="availability-advances"' not in known.text
    cli = cli_json(store, "status", "--facility", "iec-2002", "--as-of", "2002-10-15", "--known-at",
                   "2002-10-16T00:00:00Z")
    assert cli["availability"] is None and cli["availabilities"] == []
    unknown = browser.get("/book/dnow-2022?as_of=2024-06-01")
    assert unknown.status_code == 422
    assert "The record cannot answer" in unknown.text and "federal_funds" in unknown.text
    book = text(browser.get("/book?as_of=2024-06-01").text)
    assert "federal_funds rate on 2024-01-01 is not known" in book  # DNOW's row says why
    assert browser.get("/book/iec-2002?as_of=2002-02-30").status_code == 422


@given(st.text(max_size=60))
def test_after_log_in_the_browser_never_leaves_the_site(target):
    """Whatever `next` a link gives the log-in form, the redirect after it is a path on this site."""
    landed = safe_target(target)
    assert landed.startswith("/") and not landed.startswith("//") and "\\" not in landed
    assert landed.isprintable() and not any(c.isspace() for c in landed)  # "/\t/x" is "//x" to a browser
    assert landed == target or landed == "/book"


def test_a_certificate_uploaded_is_recorded_after_review(web, store):
    """The seed's illustrative aging on 2002-12-16 (worked by hand in tests/portfolio/test_bbc.py): gross 1,642,000.00
    less 612,000.00 of ineligibles (45,000 + 35,000 + 15,000 + 107,000 + 8,000 + 20,000 + 12,000 + 370,000) leaves
    1,030,000.00 eligible, the Receivables Borrowing Base; reviewed first
    (nothing recorded), then recorded as the borrower's report with the aging's SHA-256; capacity that day
    85% x 1,030,000.00 = 875,500.00. The same aging again is refused."""
    aging = SEED / "agings" / "aging-2002-12-16.csv"
    borrower = logged_in(web, "iec-treasury")
    form = borrower.get("/book/iec-2002/certificates").text
    head = store.get("iec-2002").head_hash
    review = borrower.post("/book/iec-2002/certificates", data={"csrf": csrf_of(form), "as_of": "2002-12-16"},
                           files={"aging": (aging.name, aging.read_bytes(), "text/csv")})
    assert review.status_code == 200, review.text
    assert cell(review.text, "certificate-value") == "1,030,000.00"
    assert "gross receivables 14 1,642,000.00" in text(review.text)  # 14 invoices
    assert store.get("iec-2002").head_hash == head  # reviewed, not recorded
    event = unescape(re.search(r'name="event" value="([^"]*)"', review.text).group(1))
    recorded = borrower.post("/book/iec-2002/certificates/record", data={"csrf": csrf_of(review.text),
                                                                         "event": event})
    assert recorded.status_code == 303 and recorded.headers["location"] == "/book/iec-2002/audit#event-28"
    row = store.event_rows("iec-2002")[-1]
    body = json.loads(row.body)
    assert (row.recorded_by, body["values"]) == ("iec-treasury", {"receivables_borrowing_base": "1030000.00"})
    assert body["evidence"]["aging_sha256"] == hashlib.sha256(aging.read_bytes()).hexdigest()
    assert store.facility("iec-2002").status(date(2002, 12, 16)).borrowing_bases[0].total.value == D("875500.00")
    again = borrower.post("/book/iec-2002/certificates/record", data={"csrf": csrf_of(review.text), "event": event})
    assert again.status_code == 422
    forged = json.dumps({**json.loads(event), "supersedes": "advance@2002-10-15#1"})
    assert borrower.post("/book/iec-2002/certificates/record",
                         data={"csrf": csrf_of(review.text), "event": forged}).status_code == 403
    lender = logged_in(web, "ge-capital")
    assert lender.get("/book/iec-2002/certificates").status_code == 403


def test_a_facility_that_fails_its_check_shows_no_figures(store, tmp_path):
    """The seed with its Maximum Limit typed 9,750,000 in the terms while the text says $1,750,000: its pages of
    figures say why there are none (409), unless the agent asks unchecked; its text, history and record show."""
    folder = copy_of(SEED, tmp_path)
    edit(folder / "documents" / "amendment-10.yaml", 'value: "1750000.00"', 'value: "9750000.00"')
    store.import_folder(folder, facility_id="contradicted")
    app = create_app(store)
    app.tokens = {}
    for name, role in (("hsbc-ops", "agent"), ("iec-treasury", "borrower")):
        add_user(store, name, role, ["contradicted"])
        set_password(store, name, PASSWORDS[name])
    agent, borrower = logged_in(app, "hsbc-ops"), logged_in(app, "iec-treasury")
    refused = agent.get("/book/contradicted?as_of=2002-10-15")
    assert refused.status_code == 409 and "which the terms do not use" in unescape(refused.text)
    assert agent.get("/book/contradicted?as_of=2002-10-15&unchecked=true").status_code == 200
    assert borrower.get("/book/contradicted?as_of=2002-10-15&unchecked=true").status_code == 409
    assert "contradicted fails `loanbook check`" in unescape(agent.get("/book").text)
    for path in ("/book/contradicted/agreement?as_of=2002-10-15", "/book/contradicted/audit",
                 "/book/contradicted/agreement/clauses/schedule.item-1"):
        assert borrower.get(path).status_code == 200, path
    form = borrower.get("/book/contradicted/requests").text
    asked = borrower.post("/book/contradicted/requests", data={"csrf": csrf_of(form), "on": "2002-10-15",
                                                               "amount": "1.00"})
    assert asked.status_code == 409 and store.get("contradicted").events == 27  # nothing recorded


# --- documents, the calendar feed -----------------------------------------------------------------------------

def pdf_text(data: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(data)).pages)


def test_the_facility_page_offers_its_documents_as_downloads(web):
    """On 2002-12-31 the seed's availability is 71,000.00: capacity 1,241,000.00 less 1,170,000.00 of advances
    (as the what-if test works it). The certificate's PDF, made from the same replay as the page, shows it; the
    statement is the page's month, 2002-12. A borrower of another facility gets the 403 page."""
    agent = logged_in(web, "hsbc-ops")
    page = agent.get("/book/iec-2002?as_of=2002-12-31").text
    assert cell(page, "availability-advances") == "71,000.00"
    links = re.findall(r'href="(/book/iec-2002/documents/[^"]+)"', page)
    assert len(links) == 9  # three documents, each as HTML, PDF and xlsx
    pdf_link = unescape(next(link for link in links if "borrowing-base-certificate.pdf" in link))
    assert pdf_link == "/book/iec-2002/documents/borrowing-base-certificate.pdf?as_of=2002-12-31"
    pdf = agent.get(pdf_link)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        'attachment; filename="iec-2002-borrowing-base-certificate-2002-12-31.pdf"')
    assert pdf.content.startswith(b"%PDF")
    words = pdf_text(pdf.content)
    assert "Availability" in words and "71,000.00" in words and "1,241,000.00" in words
    statement = agent.get("/book/iec-2002/documents/statement.xlsx?as_of=2002-12-31")
    assert statement.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert statement.headers["content-disposition"].endswith('iec-2002-statement-2002-12.xlsx"')
    compliance = agent.get("/book/iec-2002/documents/compliance-report.html?as_of=2002-12-31")
    assert compliance.headers["content-type"] == "text/html; charset=utf-8" and "Compliance" in compliance.text
    assert agent.get("/book/iec-2002/documents/borrowing-base-certificate.doc?as_of=2002-12-31").status_code == 404
    # the borrower of the seed opens the seed's, not DNOW's (the same 403 as the page)
    borrower = logged_in(web, "iec-treasury")
    assert borrower.get("/book/iec-2002/documents/borrowing-base-certificate.pdf?as_of=2002-12-31").status_code == 200
    refused = borrower.get("/book/dnow-2022/documents/borrowing-base-certificate.pdf?as_of=2023-05-12")
    assert refused.status_code == 403 and "Not permitted" in refused.text
    # no session: the log-in first
    assert client(web).get(pdf_link).status_code == 303


def test_a_statement_shows_the_shares_the_reader_may_see(web):
    """The seed's Lenders are HSBC Bank USA and GE Capital, 50% each: the Agent's statement shows both, GE
    Capital's lender its own, the borrower neither (as the facility page's Lenders' shares)."""
    url = "/book/iec-2002/documents/statement.html?as_of=2002-12-31"
    agent = text(logged_in(web, "hsbc-ops").get(url).text)
    lender = text(logged_in(web, "ge-capital").get(url).text)
    borrower = text(logged_in(web, "iec-treasury").get(url).text)
    assert "HSBC Bank USA 50.00%" in agent and "50.00%" in agent.split("HSBC Bank USA 50.00%")[1]
    assert "HSBC Bank USA 50.00%" not in lender and "50.00%" in lender.split("Each Lender's share")[1]
    assert "HSBC Bank USA 50.00%" not in borrower and "none is shown here" in borrower


def calendar_url(browser) -> str:
    form = browser.get("/calendar").text
    made = browser.post("/calendar", data={"csrf": csrf_of(form)})
    assert made.status_code == 200, made.text
    return unescape(re.search(r'id="calendar-url"[^>]*value="([^"]+)"', made.text).group(1))


def test_the_calendar_feed_at_a_secret_url(web, store):
    """The agent's feed holds the seed and DNOW: the seed's deadlines of RULES.md section 6 (Section 10.21 by
    2002-10-25, Section 10.19 by 2002-10-31) and its maturity 2002-12-31, DNOW's first covenant test 2022-12-31.
    The borrower's holds the seed only. The URL opens with no cookie; a wrong secret, and the old URL after a new
    one is made, are 404; the store keeps the secret's SHA-256, never the secret."""
    from icalendar import Calendar

    agent = logged_in(web, "hsbc-ops")
    assert "no feed address yet" in text(agent.get("/calendar").text)
    url = calendar_url(agent)
    user_id, secret = re.fullmatch(r"http://testserver/calendar/(\w+)/([\w-]+)\.ics", url).groups()
    anonymous = client(web)  # no cookie
    answer = anonymous.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/calendar; charset=utf-8"
    events = [(c.decoded("dtstart"), str(c["summary"]), str(c["categories"].cats[0]), str(c["uid"]))
              for c in Calendar.from_ical(answer.content).walk("VEVENT")]
    seed = {(day, kind) for day, summary, kind, _ in events if summary.startswith("IEC")}
    assert {(date(2002, 10, 25), "deadline"), (date(2002, 10, 31), "deadline"),
            (date(2002, 12, 31), "maturity")} <= seed
    assert any(kind == "covenant_test" and day == date(2022, 12, 31) and "dnow" in uid
               for day, _, kind, uid in events)
    with store.reading() as connection:
        stored = connection.execute(select(schema.users.c.calendar_hash).where(schema.users.c.id == user_id)).scalar()
    assert stored == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored
    assert anonymous.get(url.replace(secret, secret[:-1] + ("A" if secret[-1] != "A" else "B"))).status_code == 404
    assert anonymous.get(f"/calendar/{user_id}/.ics").status_code == 404
    # the borrower's feed: its own facility only
    borrower_feed = Calendar.from_ical(anonymous.get(calendar_url(logged_in(web, "iec-treasury"))).content)
    uids = [str(c["uid"]) for c in borrower_feed.walk("VEVENT")]
    assert uids and all(uid.endswith(".iec-2002@loanbook") for uid in uids)
    # a new address: the old one is refused at once
    assert "You made a feed address on" in text(agent.get("/calendar").text)
    newer = calendar_url(agent)
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(newer).status_code == 200
    revoke(store, "hsbc-ops")
    assert anonymous.get(newer).status_code == 404


def test_a_calendar_address_is_made_only_with_the_form_s_csrf_token(web):
    agent = logged_in(web, "hsbc-ops")
    assert agent.post("/calendar", data={"csrf": "forged"}).status_code == 403
    assert "no feed address yet" in text(agent.get("/calendar").text)


def test_what_if_shows_every_tranche_s_availability_on_dnow(web, store):
    """DNOW on 2023-05-12 (`explain availability`, `explain excess_availability`):
    US Availability = min(Maximum Revolver Amount 500,000,000.00 - Canadian Revolver Usage 20,000,000.00,
    US Borrowing Base 430,750,000.00) - US Revolver Usage 405,000,000.00 = 25,750,000.00;
    Aggregate Excess Availability = Line Cap min(500,000,000.00, 40,000,000.00 + 430,750,000.00 = 470,750,000.00)
    - (20,000,000.00 + 405,000,000.00) = 45,750,000.00.
    A Canadian advance of 10,000,000.00 that day: Canadian Revolver Usage 30,000,000.00, the US capacity stays
    min(470,000,000.00, 430,750,000.00) = 430,750,000.00, so US availability is unchanged; Aggregate Excess
    Availability = 470,750,000.00 - 435,000,000.00 = 35,750,000.00, down 10,000,000.00. The page shows both:
    the first tranche's availability alone would say the advance changed nothing."""
    browser = logged_in(web, "hsbc-ops")
    form = browser.get("/book/dnow-2022/what-if").text
    answer = browser.post("/book/dnow-2022/what-if", data={
        "csrf": csrf_of(form), "as_of": "2023-05-12",
        "events": '- {date: 2023-05-12, type: advance, loan: canadian_revolver, amount: "10000000.00"}\n'})
    assert answer.status_code == 200, answer.text
    words = text(answer.text)
    assert ("availability of US Revolving Loans (Swing Loans and Protective Advances included) 25,750,000.00 "
            "25,750,000.00 0.00") in words
    assert "Aggregate Excess Availability 45,750,000.00 35,750,000.00 -10,000,000.00" in words
    cli = cli_json(store, "status", "--facility", "dnow-2022", "--as-of", "2023-05-12")["availabilities"]
    assert [(a["availability"], a["excess_availability"]) for a in cli] == [("25750000.00", "45750000.00")]


def test_what_if_shows_each_of_two_tranches_availability(web, store):
    """tests/fixtures/harbor on 2024-01-02: the Availability Limit is min(Commitment 10,000,000.00, 80% x
    5,000,000.00 of Eligible Receivables = 4,000,000.00) = 4,000,000.00; Base Rate Loans 1,000,000.00 + Term SOFR
    Loans 500,000.00 + Letter of Credit Usage 1,000,000.00 = 2,500,000.00 counts against it for each tranche:
    each availability 1,500,000.00, and Excess Availability the same. A Term SOFR advance of 500,000.00 takes
    each to 1,000,000.00 (-500,000.00)."""
    store.import_folder(HARBOR)
    web.tokens["pier-ops"] = add_user(store, "pier-ops", "agent", ["harbor-2024"])[1]
    browser = logged_in(web, "pier-ops", token=True)
    form = browser.get("/book/harbor-2024/what-if").text
    answer = browser.post("/book/harbor-2024/what-if", data={
        "csrf": csrf_of(form), "as_of": "2024-01-02",
        "events": '- {date: 2024-01-02, type: advance, loan: sofr_loans, amount: "500000.00"}\n'})
    assert answer.status_code == 200, answer.text
    words = text(answer.text)
    for figure in ("availability of Base Rate Loans", "availability of Term SOFR Loans", "Excess Availability"):
        assert f"{figure} 1,500,000.00 1,000,000.00 -500,000.00" in words, figure


def test_no_secret_but_the_one_made_opens_a_calendar_feed(store):
    """Property: whatever text is offered as the secret (edits of the real one among them), only the secret itself
    opens the user's feed; and only for that user."""
    from loanbook.store.users import by_calendar_secret, new_calendar_secret

    store.import_folder(SEED)
    user, _token = add_user(store, "iec-treasury", "borrower", ["iec-2002"])
    other, _ = add_user(store, "someone-else", "borrower", ["iec-2002"])
    secret = new_calendar_secret(store, user.id)
    assert by_calendar_secret(store, user.id, secret) == user
    assert by_calendar_secret(store, other.id, secret) is None  # another user's feed is not opened by it
    assert by_calendar_secret(store, other.id, "") is None      # a user with no feed has none to open

    @settings(max_examples=60, deadline=None)
    @given(st.one_of(st.text(max_size=80), st.builds(lambda i, c: secret[:i] + c + secret[i + 1:],
                                                     st.integers(0, len(secret) - 1), st.characters())))
    def offered(attempt):
        assert (by_calendar_secret(store, user.id, attempt) is not None) == (attempt == secret)
    offered()
