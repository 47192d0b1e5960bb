"""The API as it runs: `loanbook serve` in its own process, clients over loopback. A new user's first session
(from the README), fifty advance requests at once on PostgreSQL, and a server killed while clients write."""
import json
import os
import signal
import subprocess
import threading
from contextlib import contextmanager
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import httpx
import pytest
from servers import LOANBOOK, serving

from conftest import SEED, fresh_postgres
from loanbook.store.records import body_value
from loanbook.store.store import Store


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([LOANBOOK, *args], env={**os.environ, "LOANBOOK_DATABASE_URL": url}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def token(url: str, name: str, role: str, facility: str = "iec-2002", party: str | None = None) -> str:
    args = ["users", "add", name, "--role", role, "--facility", facility, "--json"]
    return json.loads(run(url, *args, *(["--party", party] if party else [])).stdout)["token"]


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


def test_a_new_user_s_first_session(store_url):
    """The README's steps: import the seed, add an agent and a borrower, start the server; the borrower reports
    a borrowing base and asks for an advance; the agent sees the request and approves it."""
    run(store_url, "import", str(SEED))
    agent, borrower = token(store_url, "hsbc-ops", "agent"), token(store_url, "iec-treasury", "borrower")
    with serving(store_url) as (base, _):
        with httpx.Client(base_url=base, timeout=30) as client:
            report = client.post("/facilities/iec-2002/events", headers=bearer(borrower), json={"events": [
                {"date": "2002-12-30", "type": "borrowing_base_report", "receivables_borrowing_base": "1450000.00"}]})
            assert report.status_code == 201, report.text
            # an overadvance on a day the limit allows it, and that fits every later day: for the agent
            more = client.post("/facilities/iec-2002/advance-requests", headers=bearer(borrower),
                               json={"on": "2002-10-15", "amount": "1.00"}).json()
            assert more["status"] == "pending", more
            seen = client.get("/facilities/iec-2002/advance-requests?status=pending", headers=bearer(agent)).json()
            assert [r["id"] for r in seen["requests"]] == [more["id"]]
            decided = client.post(f"/facilities/iec-2002/advance-requests/{more['id']}/decision",
                                  headers=bearer(agent), json={"decision": "approve"}).json()
            assert (decided["status"], decided["decided_by"]) == ("approved", "hsbc-ops")
            # 2002-12-30: capacity 85% x 1,450,000 = 1,232,500 against 1,170,000 + 1 of advances: 62,499.00
            status = client.get("/facilities/iec-2002/status?as_of=2002-12-30", headers=bearer(borrower)).json()
            assert status["availability"] == "62499.00"
            asked = client.post("/facilities/iec-2002/advance-requests", headers=bearer(borrower),
                                json={"on": "2002-12-30", "amount": "62499.00"}).json()
            assert (asked["status"], asked["judgement"]) == ("approved", "within_capacity")
    assert "chain intact" in run(store_url, "verify", "--facility", "iec-2002").stdout


def test_fifty_advance_requests_at_once_on_postgresql():
    """Fifty borrowers' clients ask for 10,000.00 each on 2002-12-31, at the same moment, against two server
    processes. Judged one at a time under the facility's lock: exactly as many are approved as availability
    allows (all within capacity), the rest are declined (on 2002-12-31 the overadvance limit is 0), and the
    record afterwards shows availability used to the cent and no breach."""
    with fresh_postgres() as url:
        run(url, "import", str(SEED))
        borrower = token(url, "iec-treasury", "borrower")
        store = Store(url)
        before = store.facility("iec-2002").status(date(2002, 12, 31))
        # the seed's history on 2002-12-31: 85% x 1,460,000 = 1,241,000 of capacity, no letters of credit open,
        # 1,170,000 of advances: availability 71,000.00, room for seven advances of 10,000.00
        available = before.availabilities[0].availability.value
        assert available == D("71000.00")
        store.close()
        results: list[dict] = []
        with serving(url, workers=2) as (base, _):
            start = threading.Barrier(50)

            def ask():
                with httpx.Client(base_url=base, timeout=60) as client:
                    start.wait()
                    response = client.post("/facilities/iec-2002/advance-requests", headers=bearer(borrower),
                                           json={"on": "2002-12-31", "amount": "10000.00"})
                    results.append(response.json() | {"code": response.status_code})

            threads = [threading.Thread(target=ask) for _ in range(50)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert all(r["code"] == 201 for r in results), results[:3]
        approved = [r for r in results if r["status"] == "approved"]
        assert len(approved) == 7
        assert {r["status"] for r in results} - {"approved"} == {"declined"}
        store = Store(url)
        after = store.facility("iec-2002").status(date(2002, 12, 31))
        assert after.availabilities[0].availability.value == D("1000.00")  # 71,000 - 7 x 10,000
        assert not after.breaches
        assert store.verify("iec-2002").ok and store.get("iec-2002").events == 27 + 7
        store.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_killed_server_leaves_a_whole_record_and_retries_record_once(kind, tmp_path):
    """Clients append events, each with its own Idempotency-Key, while the server is killed (SIGKILL). After a
    restart the chain verifies, and every client retries every request: each key's event is recorded once."""
    context = fresh_postgres() if kind == "postgresql" else _sqlite(tmp_path)
    with context as url:
        run(url, "import", str(SEED))
        agent = token(url, "hsbc-ops", "agent")
        keys = [f"client-{c}-{n}" for c in range(4) for n in range(40)]

        def body(key: str) -> dict:
            return {"events": [{"date": "2002-12-31", "type": "fee_payment", "amount": "0.01", "note": key}]}

        answered: list[str] = []  # the keys the server has answered, in order (list.append is atomic)
        some_answered = threading.Event()

        def send(base: str, mine: list[str], stop: threading.Event | None = None) -> None:
            with httpx.Client(base_url=base, timeout=10) as client:
                for key in mine:
                    if stop is not None and stop.is_set():
                        return
                    try:
                        client.post("/facilities/iec-2002/events", json=body(key),
                                    headers={**bearer(agent), "Idempotency-Key": key})
                    except httpx.TransportError:
                        return  # the server is gone
                    answered.append(key)
                    if len(answered) >= len(keys) // 8:
                        some_answered.set()

        with serving(url) as (base, process):
            stop = threading.Event()
            clients = [threading.Thread(target=send, args=(base, keys[c::4], stop)) for c in range(4)]
            for t in clients:
                t.start()
            # killed once an eighth of the requests are answered, whatever the machine's speed: mid-stream
            assert some_answered.wait(timeout=60), "an eighth of the requests were not answered in 60 s"
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            stop.set()
            for t in clients:
                t.join()
        store = Store(url)
        written = store.get("iec-2002").events - 27
        assert 0 < written < len(keys), "the kill should land while clients are still writing"
        assert store.verify("iec-2002").ok
        store.close()
        with serving(url) as (base, _):
            retries = [threading.Thread(target=send, args=(base, keys[c::4])) for c in range(4)]
            for t in retries:
                t.start()
            for t in retries:
                t.join()
        store = Store(url)
        notes = [body_value(r.body).get("note") for r in store.event_rows("iec-2002")[27:]]
        assert sorted(notes) == sorted(keys)  # every key once, none twice
        assert store.verify("iec-2002").ok
        store.close()


@contextmanager
def _sqlite(tmp_path: Path):
    yield f"sqlite:///{tmp_path / 'store.db'}"
