"""A store's book keeps each agreement's `loanbook check` outcome in the store (agreement/gate.py), by the
fingerprint of its files and the checking code's digest, read in one query before the run's workers start: a
checked facility is not checked again, a changed file or new code checks again, and a failing facility is refused
exactly as when its check runs. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from conftest import SEED, copy_of, edit
from loanbook.agreement import gate
from loanbook.agreement.gate import FailsCheck
from loanbook.portfolio.run import run_portfolio, store_book
from loanbook.store import schema

DAY = date(2002, 12, 16)
FIRST = "schedule.item-1: amendment-10: the text gives '$1,750,000', which the terms do not use"
AMENDMENT = "documents/amendment-10.yaml"


@pytest.fixture
def book(store, tmp_path, monkeypatch):
    """The seed, and the seed with its Maximum Limit typed 9,750,000 in the terms (the text says $1,750,000)."""
    monkeypatch.setenv(gate.CACHE_ENV, str(tmp_path / "cache"))  # the file cache: never used by a store's book
    monkeypatch.setattr(gate, "_MEMORY", {})
    bad = copy_of(SEED, tmp_path)
    edit(bad / AMENDMENT, 'value: "1750000.00"', 'value: "9750000.00"')
    store.import_folder(SEED)
    store.import_folder(bad, facility_id="iec-bad")
    return store


def _kept(store) -> dict[str, tuple[str, int, str | None]]:
    """The kept outcomes by facility: the code they are of, the differences, the first."""
    fingerprints = {f.id: f.read().fingerprint for f in store_book(store)}
    with store.reading() as connection:
        rows = {fp: (code, n, first) for fp, code, n, first in connection.execute(select(schema.check_outcomes))}
    return {facility: rows[fp] for facility, fp in fingerprints.items() if fp in rows}


def _run(store, *, unchecked: bool = False):
    return {r.facility: r for r in run_portfolio(store_book(store), DAY, workers=1, unchecked=unchecked)}


def _no_check(_agreement):
    raise AssertionError("checked again")


def test_a_run_keeps_each_outcome_and_the_next_run_reads_it_refusing_as_before(book, tmp_path, monkeypatch):
    with pytest.raises(FailsCheck, match=r"^iec-bad fails `loanbook check` \(2 difference\(s\)\); the first: "
                                         + FIRST.replace("$", r"\$").replace("(", r"\(")):
        _run(book)
    assert _kept(book) == {"iec-2002": (gate.code(), 0, None), "iec-bad": (gate.code(), 2, FIRST)}
    assert not (tmp_path / "cache").exists()  # kept in the store, not a file per facility
    rows = _run(book, unchecked=True)
    assert {f: r.checked for f, r in rows.items()} == {"iec-2002": True, "iec-bad": False}

    monkeypatch.setattr(gate, "fidelity_check", _no_check)  # from now on, a check that runs fails the test
    with pytest.raises(FailsCheck) as refused:
        _run(book)
    assert (refused.value.facility, refused.value.outcome) == ("iec-bad", gate.Outcome(2, FIRST))
    assert _run(book, unchecked=True) == rows


def test_new_checking_code_finds_no_outcome_and_checks_again(book, monkeypatch):
    _run(book, unchecked=True)
    monkeypatch.setattr(gate, "fidelity_check", _no_check)
    monkeypatch.setattr(gate, "code", lambda: "f" * 64)  # as a new version of loanbook would
    with pytest.raises(AssertionError, match="checked again"):
        _run(book, unchecked=True)


def test_a_changed_file_finds_no_outcome_and_is_checked_from_its_own_text(book, monkeypatch):
    _run(book, unchecked=True)
    f = schema.facility_files.c
    with book.reading() as connection:
        text = connection.execute(select(f.content).where(f.facility_id == "iec-bad", f.path == AMENDMENT)).scalar()
    # the terms corrected under the store to the text's 1,750,000 (and a comment: not the seed's very files)
    corrected = bytes(text).replace(b'value: "9750000.00"', b'value: "1750000.00"') + b"# corrected\n"
    with book.writing() as connection:
        connection.execute(update(schema.facility_files).where(f.facility_id == "iec-bad", f.path == AMENDMENT)
                           .values(content=corrected))
    with monkeypatch.context() as patched:
        patched.setattr(gate, "fidelity_check", _no_check)
        with pytest.raises(AssertionError, match="checked again"):
            _run(book)
    rows = _run(book)  # checked: it passes now, and its outcome is kept beside the old files'
    assert {f: r.checked for f, r in rows.items()} == {"iec-2002": True, "iec-bad": True}
    assert _kept(book)["iec-bad"] == (gate.code(), 0, None)


def test_files_loaded_before_by_this_code_are_not_checked_for_their_definitions_again(book, monkeypatch):
    """A kept outcome says these very files loaded whole by this code (its digest covers the reading code): their
    definitions are not checked again at the next load; files not kept, or read with another reading in force, are."""
    from loanbook.agreement import load

    checked: list[str] = []
    real = load.check_definitions
    monkeypatch.setattr(load, "check_definitions", lambda agreement: checked.append(agreement.facility_id)
                        or real(agreement))
    files = book.every_facility_files()["iec-2002"]
    first = load.load_agreement(files)  # nothing kept yet: checked
    assert checked == ["iec-2002"]
    again = load.load_agreement(files, loaded_before={first.fingerprint})
    assert checked == ["iec-2002"] and again == first  # the same agreement, its definitions not read again
    load.load_agreement(files, loaded_before={"another fingerprint"})
    load.load_agreement(files, {"I-3": "actual/365"}, loaded_before={first.fingerprint})  # another reading in force
    assert checked == ["iec-2002"] * 3


def test_a_definition_problem_in_changed_files_is_found_though_the_old_files_were_kept(book, tmp_path):
    """Changed files have another fingerprint: their definitions are read again, and a problem refuses them."""
    from loanbook.agreement.load import load_agreement
    from loanbook.core.errors import InputError

    good = load_agreement(SEED)
    broken = copy_of(SEED, tmp_path / "broken")
    edit(broken / AMENDMENT, 'value: "1750000.00"', 'value: "maximum_limit_typo * 2"')
    with pytest.raises(InputError, match="maximum_limit_typo"):
        load_agreement(broken, loaded_before={good.fingerprint})
