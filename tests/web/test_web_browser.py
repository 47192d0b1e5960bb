"""The web app in a real browser: Debian's chromium driven by Playwright, against one `loanbook serve` process on a
real SQLite store for the module. Log in as the agent, read the seed's figures (the same as the command line's),
reach a clause's text from a figure, download the certificate's PDF, change the day; the DNOW page's borrowing
base; the borrower's request and the agent's approval; the 403 page. axe-core (from npm) checks each page for
serious or critical accessibility problems; screenshots, one at a phone's width, go to test-artifacts/
(gitignored)."""
import json
import os
import subprocess
from decimal import Decimal as D
from pathlib import Path

import pytest
from playwright import sync_api
from servers import LOANBOOK, serving

from conftest import DNOW, ROOT, SEED
from loanbook.store.store import Store
from loanbook.store.users import add_user, set_password

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
PASSWORDS = {"hsbc-ops": "agent-password", "iec-treasury": "borrower-password"}
# One worker runs them all (`--dist loadgroup`): the module's server and browser start once in a run.
pytestmark = pytest.mark.xdist_group("browser")

if not Path(CHROMIUM).exists() or not AXE.exists():  # CI installs both (.ci/run, make setup): there it never skips
    if os.environ.get("LOANBOOK_REQUIRE_POSTGRES"):
        raise RuntimeError(f"the browser tests need {CHROMIUM} (apt-get install chromium) and {AXE} (npm ci)")
    pytest.skip(f"needs {CHROMIUM} and {AXE}", allow_module_level=True)


def run(url: str, *args: str) -> str:
    done = subprocess.run([LOANBOOK, *args], env={**os.environ, "LOANBOOK_DATABASE_URL": url},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The seed and DNOW in a new store, the seed's agent (DNOW's too) and borrower with passwords, served."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'loanbook.db'}"
    built = Store(url)  # here, not in six `loanbook` processes (test_server.py and test_web.py run those)
    built.import_folder(SEED)
    built.import_folder(DNOW)
    add_user(built, "hsbc-ops", "agent", ["iec-2002", "dnow-2022"])
    add_user(built, "iec-treasury", "borrower", ["iec-2002"])
    for name, password in PASSWORDS.items():
        set_password(built, name, password)
    built.close()
    with serving(url) as (base, _process):
        yield base, url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    # The pages forbid inline scripts (Content-Security-Policy); axe-core is put in by the test, so the test's
    # context bypasses the policy. Nothing is loaded from outside: every other request is checked below.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    outside: list[str] = []
    opened.on("request", lambda r: outside.append(r.url) if not r.url.startswith("http://127.0.0.1") else None)
    yield opened
    context.close()
    assert outside == [], f"requests left the server: {outside}"


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/book")


def accessible(page, name: str) -> None:
    """axe-core in the page: no serious or critical violation; and a screenshot for the record."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)""")
    assert violations == [], f"{name}: {violations}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def cli_status(url: str, facility: str, day: str) -> dict:
    return json.loads(run(url, "status", "--facility", facility, "--as-of", day, "--json"))


def test_the_agent_reads_the_seed_down_to_its_clause(site, page):
    """Availability on 2002-10-15 as the command line gives it (0.00: 1,147,000.00 of capacity, 1,390,000.00
    used); its explanation reaches Schedule Item 1's text; on 2002-10-28 the overadvance limit is 0.00 (the cap
    falls to 0.00 that day: min(0.00, Term Loan Reserve 250,000.00))."""
    base, url = site
    log_in(page, base, "hsbc-ops")
    accessible(page, "book")
    page.get_by_role("link", name="IEC Electronics Corp. revolving and term facility (HSBC Bank USA, Agent)").click()
    page.get_by_label("As of").fill("2002-10-15")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**as_of=2002-10-15**")
    cli = cli_status(url, "iec-2002", "2002-10-15")
    assert page.locator("#availability-advances").inner_text() == f"{D(cli['availability']):,.2f}" == "0.00"
    assert page.locator("#overadvance-limit-advances").inner_text() == "250,000.00"
    page.wait_for_function("document.querySelector('#chart').getBoundingClientRect().height > 100")
    accessible(page, "facility-iec-2002-2002-10-15")

    with page.expect_download() as downloading:  # the certificate of the page's day, as the browser saves it
        page.get_by_role("link", name="Borrowing base certificate at the end of 2002-10-15 as PDF").click()
    download = downloading.value
    assert download.suggested_filename == "iec-2002-borrowing-base-certificate-2002-10-15.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    page.locator("#availability-advances a").click()
    page.wait_for_url("**/explain/availability**")
    accessible(page, "explain-availability")
    page.get_by_role("link", name="Schedule Item 1 - Borrowing Capacity").first.click()
    page.wait_for_url("**/agreement?as_of=2002-10-15#schedule.item-1")
    clause = page.locator("section#schedule\\.item-1")
    assert "Borrowing Capacity at any time shall be the net amount" in clause.inner_text()
    assert clause.is_visible()
    accessible(page, "agreement-iec-2002")

    page.goto(f"{base}/book/iec-2002?as_of=2002-10-15")
    page.get_by_label("As of").fill("2002-10-28")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**as_of=2002-10-28**")
    assert page.locator("#overadvance-limit-advances").inner_text() == "0.00"
    assert cli_status(url, "iec-2002", "2002-10-28")["overadvance_limit"] == "0.00"


def test_the_dnow_page_shows_its_borrowing_base_lines(site, page):
    base, url = site
    log_in(page, base, "hsbc-ops")
    page.goto(f"{base}/book/dnow-2022?as_of=2023-05-12")
    expected = cli_status(url, "dnow-2022", "2023-05-12")["borrowing_base"]["lines"]
    lines = page.locator("tr.base-line")
    assert lines.count() == len(expected) == 4
    for i, line in enumerate(expected):
        row = lines.nth(i).inner_text()
        assert line["label"] in row and f"{D(line['value']):,.2f}" in row
    accessible(page, "facility-dnow-2022")


def test_the_borrower_requests_and_the_agent_approves(site, browser):
    """1.00 on 2002-10-15 takes the overadvance to 243,001.00, within its limit of 250,000.00: the engine leaves it
    to the Agent (pending), who approves it."""
    base, _url = site
    borrower = browser.new_context(bypass_csp=True).new_page()
    log_in(borrower, base, "iec-treasury")
    borrower.goto(f"{base}/book/iec-2002/requests")
    borrower.get_by_label("Date of the advance").fill("2002-10-15")
    borrower.get_by_label("Amount").fill("1.00")
    borrower.get_by_role("button", name="Request").click()
    decision = borrower.locator("#decision")
    decision.wait_for()
    assert decision.get_attribute("data-status") == "pending"
    assert "within the limit 250,000.00" in decision.inner_text()
    accessible(borrower, "request-decision")

    agent = browser.new_context(bypass_csp=True).new_page()
    log_in(agent, base, "hsbc-ops")
    agent.goto(f"{base}/book/iec-2002/requests")
    queued = agent.locator("#queue tr[data-request]")
    assert queued.count() == 1
    request_id = queued.first.get_attribute("data-request")
    accessible(agent, "request-queue")
    agent.get_by_role("button", name=f"Approve {request_id}").click()
    agent.wait_for_url(f"**shown={request_id}")
    assert agent.locator("#decision").get_attribute("data-status") == "approved"
    assert agent.locator("#queue").count() == 0  # nothing waiting any more
    agent.goto(f"{base}/book/iec-2002/audit")
    decided = agent.get_by_role("row", name=f"{request_id}: 1.00 on 2002-10-15").inner_text()
    assert "iec-treasury" in decided and "approved" in decided and "hsbc-ops" in decided
    accessible(agent, "audit-iec-2002")
    borrower.context.close()
    agent.context.close()


def test_a_borrower_cannot_open_another_facility(site, browser):
    base, _url = site
    borrower = browser.new_context(bypass_csp=True).new_page()
    log_in(borrower, base, "iec-treasury")
    answer = borrower.goto(f"{base}/book/dnow-2022")
    assert answer is not None and answer.status == 403
    assert borrower.get_by_role("heading", name="Not permitted").is_visible()
    accessible(borrower, "forbidden")
    borrower.context.close()


def test_the_pages_work_at_a_phone_s_width(site, browser):
    base, _url = site
    phone = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844}).new_page()
    log_in(phone, base, "hsbc-ops")
    phone.goto(f"{base}/book/iec-2002?as_of=2002-10-15")
    assert phone.locator("#availability-advances").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at a 390 px viewport"
    accessible(phone, "facility-iec-2002-390px")
    for path in ("/book", "/book/iec-2002/what-if", "/book/iec-2002/requests", "/book/iec-2002/audit", "/calendar"):
        phone.goto(f"{base}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
    phone.context.close()


def test_the_api_docs_page_loads_offline(site, page):
    base, _url = site
    page.goto(f"{base}/docs")
    page.get_by_text("/facilities/{facility_id}/status").first.wait_for()


def test_every_page_passes_axe(site, page):
    """The pages not visited above, each checked by axe-core: the log-in, a clause's history, an amendment's
    redline, the certificate upload, the what-if with its comparison, and a page for a day the record cannot
    answer."""
    base, _url = site
    page.goto(f"{base}/login")
    accessible(page, "login")
    log_in(page, base, "hsbc-ops")
    for name, path in (("clause-history", "/book/iec-2002/agreement/clauses/schedule.item-1"),
                       ("amendment-10", "/book/iec-2002/agreement/documents/amendment-10"),
                       ("certificates", "/book/iec-2002/certificates"),
                       ("explain-dnow-line", "/book/dnow-2022/explain/us_inventory_line?as_of=2023-05-12"),
                       ("book-filtered", "/book?q=dnow&sort=availability&order=desc"),
                       ("calendar", "/calendar"),
                       ("unanswerable-day", "/book/dnow-2022?as_of=2024-06-01")):
        page.goto(f"{base}{path}")
        accessible(page, name)
    page.goto(f"{base}/book/iec-2002/what-if")
    page.get_by_label("Compare on").fill("2002-12-31")
    page.get_by_label("Events to add (YAML)").fill('- {date: 2002-12-31, type: advance, amount: "50000.00"}')
    page.get_by_role("button", name="Compare").click()
    comparison = page.locator("#compared")
    comparison.wait_for()
    assert "-50,000.00" in comparison.inner_text()  # 71,000.00 available, 21,000.00 after the advance
    accessible(page, "what-if")
    page.goto(f"{base}/calendar")
    page.get_by_role("button", name="Make my feed's address").click()
    page.locator("#calendar-url").wait_for()
    accessible(page, "calendar-made")
