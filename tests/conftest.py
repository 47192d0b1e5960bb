"""Shared helpers: the example facilities, and facilities built from event lists written in the tests."""
from __future__ import annotations

import os
import re
import secrets
import shutil
from collections import Counter
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from servers import POSTGRES_ADMIN, postgres_database
from sqlalchemy.exc import OperationalError

from loanbook.agreement.load import load_agreement
from loanbook.engine.facility import Facility
from loanbook.events.parse import events_from, parse_events
from loanbook.market import shipped_prime_series
from loanbook.projection import decision_json, status_json

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "iec-2002"
DNOW = ROOT / "examples" / "dnow-2022"
RICHEY = ROOT / "examples" / "richey-1995"
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # folders the tests build facilities from
ACME = FIXTURES / "acme"
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

# The tests that start a Spark session run on one pytest-xdist worker (`--dist loadgroup`): one JVM per run.
ONE_SPARK = pytest.mark.xdist_group("spark")
SPARK = pytest.param("spark", marks=ONE_SPARK)

# The Spark tests run a handful of tiny tables through a long plan: the JVM's cost is starting, compiling and
# scheduling, not data. For them (never for loanbook itself) the JVM only JIT-compiles quickly (C1) with one GC
# thread, and Spark runs one shuffle partition, plans once (no adaptive re-planning) and interprets expressions
# instead of generating and compiling Java for each query. Same answers, a third of the JVM's CPU.
SPARK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
SPARK_TEST_CONF = {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "false",
                   "spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}


# The modules holding the longest single tests (tens of seconds: servers in their own processes, worker pools,
# long property tests), longest first. pytest-xdist hands out the groups (Spark, the browser) first, then tests in
# collection order: these start early, and the run ends on short tests that fill both workers to the end.
LONGEST_FIRST = ("test_server.py", "test_portfolio.py", "test_store.py", "test_item_eligibility.py",
                 "test_portfolio_sources.py", "test_ingest.py", "test_reports.py")


def pytest_collection_modifyitems(items):
    """The modules of LONGEST_FIRST first (each module's own order kept). And: pytest-xdist schedules tests by
    their id: two tests of one id would run as one, and the other would be lost without a word. Refuse such a
    collection."""
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
    ids = Counter(item.nodeid for item in items)
    twice = sorted(nodeid for nodeid, n in ids.items() if n > 1)
    if twice:
        raise pytest.UsageError(f"tests collected twice under one id (give each its own): {twice[:5]}")


def pytest_runtest_setup(item):
    """Under `--dist loadgroup`, pytest-xdist keeps a group on one worker by writing the group into each test's id
    (`...::test@spark`); a pytest that ignores that write spreads the group over every worker without a word (each
    would start a JVM). A grouped test whose id lacks its group fails, saying so."""
    mark = item.get_closest_marker("xdist_group")
    grouping = getattr(item.config.option, "loadgroup", False)  # set in pytest-xdist's workers only
    if mark is not None and grouping and not item.nodeid.endswith(f"@{mark.args[0]}"):
        pytest.fail("--dist loadgroup does not group with this pytest and pytest-xdist (see pyproject's dev extra)",
                    pytrace=False)




@pytest.fixture(autouse=True, scope="session")
def _private_store(tmp_path_factory):
    """Commands that open the default store, or keep the check's outcomes, use files of this run, never the
    user's."""
    os.environ["LOANBOOK_DB"] = str(tmp_path_factory.mktemp("default-store") / "loanbook.db")
    os.environ["LOANBOOK_CACHE"] = str(tmp_path_factory.mktemp("check-cache"))  # the check's outcomes
    os.environ.pop("LOANBOOK_DATABASE_URL", None)


@pytest.fixture(scope="session")
def _lean_spark():
    """The run's one Spark session, started with SPARK_JVM and tuned by SPARK_TEST_CONF (runtime settings, so
    they hold over the ones loanbook's builder gives)."""
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", f'--driver-java-options "{SPARK_JVM}" pyspark-shell')
    from loanbook.portfolio.engines import spark_session

    session = spark_session()
    for key, value in SPARK_TEST_CONF.items():
        session.conf.set(key, value)
    return session


@pytest.fixture(autouse=True)
def _spark_tests_lean(request):
    """A test of the Spark group gets the lean session before it starts one of its own."""
    group = request.node.get_closest_marker("xdist_group")
    if group is not None and group.args == ("spark",):
        request.getfixturevalue("_lean_spark")


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2():
    """Tokens and passwords hashed and verified in the tests' own process with argon2 at its cheapest settings:
    one pass over 8 KiB, not three over 64 MiB (0.2 s of CPU a hash, and the API and web tests make over a hundred
    hashes and log-ins). A hash keeps its settings, so hashes of either kind verify; the `loanbook` processes the
    tests start hash with loanbook's own."""
    from argon2 import PasswordHasher

    from loanbook.store import users

    users._HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@contextmanager
def fresh_postgres(template: str | None = None):
    """A new database on the machine's PostgreSQL server, dropped afterwards: empty, or a copy of the database
    `template`. Without a reachable server the test is skipped, unless LOANBOOK_REQUIRE_POSTGRES=1 (CI), where it
    fails."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_database(f"loanbook_test_{secrets.token_hex(6)}", template))
        except OperationalError as exc:
            reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN}: {str(exc).splitlines()[0]}"
            if os.environ.get("LOANBOOK_REQUIRE_POSTGRES") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """The same store tests on a SQLite file and on a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with fresh_postgres() as url:
            yield url


@pytest.fixture
def store(store_url):
    from loanbook.store.store import Store

    opened = Store(store_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def seed():
    return load_agreement(SEED)


def copy_of(folder: Path, tmp_path: Path) -> Path:
    """A copy of a facility folder that a test may edit."""
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` of a file (which must be there) by `new`."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def accepted_terms(folder: Path, doc_id: str) -> dict[str, list]:
    """`loanbook accept` of an ingested draft, then `loanbook check` finding no difference: the accepted
    document's terms blocks by clause."""
    import yaml
    from typer.testing import CliRunner

    from loanbook.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["accept", doc_id, "--facility", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["check", "--facility", str(folder)])
    assert result.exit_code == 0 and "0 difference(s)" in result.output, result.output
    accepted = yaml.safe_load((folder / "documents" / f"{doc_id}.yaml").read_text())
    assert "proposed" not in accepted
    return {op["clause"]: op["terms"] for op in accepted["operations"] if "terms" in op}


def make_events(agreement, rows: list[dict]) -> tuple:
    """Events as the parser makes them, from dicts written in a test (file order kept)."""
    return events_from(rows, agreement, "test")


def facility(agreement, rows: list[dict], known_at=None) -> Facility:
    """The facility on those events, its history checked (a history the engine refuses is refused here)."""
    built = Facility(agreement, make_events(agreement, rows), shipped_prime_series(), known_at=known_at)
    return built.history_checked()


def folder_facility(folder: Path, agreement) -> Facility:
    """A facility on its own folder's events.yaml (the agreement may be loaded with other readings)."""
    return Facility(agreement, parse_events(folder / "events.yaml", agreement), shipped_prime_series())


def decimals(value):
    """JSON as a script reads it, with every number string turned back into a Decimal."""
    if isinstance(value, str) and _NUMBER.match(value):
        return Decimal(value)
    if isinstance(value, dict):
        return {k: decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decimals(v) for v in value]
    return value


def flat(status) -> dict:
    """A status as `status --json` gives it, numbers as Decimals."""
    return decimals(status_json(status))


def decide(engine: Facility, day, amount, tranche=None) -> dict:
    return decimals(decision_json(engine.advance(day, amount, tranche)))
