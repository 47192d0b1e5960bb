"""A facility that fails its fidelity check computes nothing (docs/agreement-format.md, step 4).

Terms that say 9,750,000 where the text says 1,750,000 used to compute from the terms with a warning on stderr
and exit 0. Every command that computes now refuses, naming the first difference and how many there are, unless
asked --unchecked; the answer then says so. The check's outcome is kept by the files' fingerprint."""
import json
import shutil

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import SEED, copy_of, edit
from loanbook.agreement import gate
from loanbook.agreement.load import load_agreement
from loanbook.api.app import create_app
from loanbook.cli import app
from loanbook.store.users import add_user

runner = CliRunner()
FIRST = "schedule.item-1: amendment-10: the text gives '$1,750,000', which the terms do not use"


@pytest.fixture
def contradicted(tmp_path):
    """The seed with its Maximum Limit typed 9,750,000 in the terms; the text still says $1,750,000."""
    folder = copy_of(SEED, tmp_path)
    edit(folder / "documents" / "amendment-10.yaml", 'value: "1750000.00"', 'value: "9750000.00"')
    return folder


COMMANDS = [("status", "--as-of", "2002-10-15"), ("advance", "--on", "2002-10-15", "--amount", "1000.00"),
            ("fees", "--as-of", "2002-10-15"), ("obligations", "--as-of", "2002-10-15"),
            ("covenants", "--as-of", "2002-10-15"), ("payoff", "--on", "2002-10-15"),
            ("explain", "availability", "--as-of", "2002-10-15"),
            ("interest", "--from", "2002-10-01", "--to", "2002-10-31"),
            ("timeline", "--from", "2002-10-01", "--to", "2002-10-05")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_command_refuses_a_facility_that_fails_its_check(contradicted, command):
    result = runner.invoke(app, [*command, "--facility", str(contradicted)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1  # one line
    assert f"{contradicted} fails `loanbook check` (2 difference(s)); the first: {FIRST}" in result.stderr
    assert "--unchecked" in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_unchecked_computes_and_says_so(contradicted, command):
    people = runner.invoke(app, [*command, "--facility", str(contradicted), "--unchecked"])
    assert people.exit_code == 0, people.output
    assert people.stdout.startswith(f"UNCHECKED: {contradicted} fails `loanbook check` (2 difference(s)")
    scripts = runner.invoke(app, [*command, "--facility", str(contradicted), "--unchecked", "--json"])
    assert scripts.exit_code == 0 and json.loads(scripts.stdout)["checked"] is False


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_checked_facility_says_checked(command):
    result = runner.invoke(app, [*command, "--facility", str(SEED), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["checked"] is True


def test_the_unchecked_figure_is_the_terms_as_written(contradicted):
    """What --unchecked computes is the terms' figure, not the text's: the limit is 9,750,000 there."""
    result = runner.invoke(app, ["status", "--as-of", "2002-10-15", "--facility", str(contradicted), "--unchecked",
                                 "--json"])
    assert json.loads(result.stdout)["maximum_limit"] == "9750000.00"


def test_bbc_compute_refuses_too(contradicted):
    aging = SEED / "agings" / "aging-2002-12-16.csv"
    result = runner.invoke(app, ["bbc", "compute", "--facility", str(contradicted), "--aging", str(aging),
                                 "--as-of", "2002-12-16"])
    assert result.exit_code == 2 and FIRST in result.stderr


def test_an_unchecked_certificate_is_computed_but_never_recorded(store, contradicted):
    store.import_folder(contradicted)
    aging, env = SEED / "agings" / "aging-2002-12-16.csv", {"LOANBOOK_DATABASE_URL": store.url}
    ask = ["bbc", "compute", "--facility", "iec-2002", "--aging", str(aging), "--as-of", "2002-12-16", "--unchecked"]
    shown = runner.invoke(app, [*ask, "--json"], env=env)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["checked"] is False
    refused = runner.invoke(app, [*ask, "--record"], env=env)
    assert refused.exit_code == 2 and refused.stdout.startswith("UNCHECKED: iec-2002 fails `loanbook check`")
    assert refused.stderr == ("loanbook: --record: a certificate computed from terms that fail `loanbook check` is "
                              "not recorded\n")
    assert len(store.event_rows("iec-2002")) == 27  # the imported events only


def test_a_book_with_a_facility_that_fails_refuses_unless_unchecked(contradicted, tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copytree(SEED, book / "good")
    shutil.copytree(contradicted, book / "bad")
    (book / "bad" / "facility.yaml").write_text((book / "bad" / "facility.yaml").read_text()
                                                .replace("id: iec-2002", "id: iec-bad", 1))
    args = ["portfolio", "run", "--as-of", "2002-12-16", "--book", str(book), "--workers", "1"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "iec-bad fails `loanbook check` (2 difference(s))" in refused.stderr
    rows = json.loads(runner.invoke(app, [*args, "--unchecked", "--json"]).stdout)
    assert rows["checked"] is False
    assert {r["facility_id"]: r["checked"] for r in rows["facilities"]} == {"iec-2002": True, "iec-bad": False}


# --- the outcome is kept by the files' fingerprint -----------------------------------------------------------

def test_a_checked_facility_is_not_checked_again_until_a_file_changes(contradicted, monkeypatch, tmp_path):
    monkeypatch.setenv(gate.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(gate, "_MEMORY", {})
    agreement = load_agreement(contradicted)
    first = gate.outcome(agreement)
    assert (first.differences, first.first) == (2, FIRST)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1

    def no_check(_agreement):
        raise AssertionError("checked again")
    monkeypatch.setattr(gate, "fidelity_check", no_check)
    monkeypatch.setattr(gate, "_MEMORY", {})  # a new process: only the file remains
    assert gate.outcome(load_agreement(contradicted)) == first

    terms = contradicted / "documents" / "amendment-10.yaml"
    terms.write_text(terms.read_text().replace('value: "9750000.00"', 'value: "1750000.00"'))
    with pytest.raises(AssertionError, match="checked again"):  # another fingerprint: the check runs
        gate.outcome(load_agreement(contradicted))


def test_a_text_file_is_part_of_the_fingerprint(tmp_path):
    folder = tmp_path / "iec"
    shutil.copytree(SEED, folder)
    before = load_agreement(folder).fingerprint
    text = next((folder / "documents").glob("*.txt"))
    text.write_text(text.read_text() + "\n")
    assert load_agreement(folder).fingerprint != before


# --- the API ---------------------------------------------------------------------------------------------------

@pytest.fixture
def api(store, contradicted):
    store.import_folder(contradicted)
    tokens = {name: add_user(store, name, role, ["iec-2002"], party)[1] for name, role, party in (
        ("hsbc-ops", "agent", None), ("ge-capital", "lender", "ge-capital"))}
    client = TestClient(create_app(store))
    client.as_ = lambda name: {"Authorization": f"Bearer {tokens[name]}"}
    return client


def test_the_api_answers_409_with_the_first_difference(api):
    response = api.get("/facilities/iec-2002/status?as_of=2002-10-15", headers=api.as_("hsbc-ops"))
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert (detail["differences"], detail["first"]) == (2, FIRST)


def test_the_agent_may_ask_unchecked_and_a_lender_may_not(api):
    agent = api.get("/facilities/iec-2002/status?as_of=2002-10-15&unchecked=true", headers=api.as_("hsbc-ops"))
    assert agent.status_code == 200 and agent.json()["checked"] is False
    assert agent.json()["maximum_limit"] == "9750000.00"
    lender = api.get("/facilities/iec-2002/status?as_of=2002-10-15&unchecked=true", headers=api.as_("ge-capital"))
    assert lender.status_code == 403
