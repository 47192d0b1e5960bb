"""The store keeps each imported YAML file as read (core/yamlform.py), so a book's run reads JSON instead of
parsing YAML: the same data and lines as the parse, never a form of other text or of other code, and a damaged
or stale form is parsed again, never read as a wrong figure."""
from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select, update
from test_book_balances import folder_with

from conftest import SEED
from loanbook.core import yamlform
from loanbook.core.yamlform import Forms, NoForm, form_of, located_of
from loanbook.core.yamlio import load_yaml
from loanbook.portfolio.run import folder_book, run_portfolio, store_book
from loanbook.store import schema

DAY = date(2024, 1, 31)
EVENTS = [{"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": "1000.00"},
          {"date": "2024-01-05", "type": "borrowing_base_report", "values": {"accounts": "4000.00"}}]
AGREEMENT = "documents/agreement.yaml"


def _read(text: str) -> object:
    return load_yaml(Path("f.yaml"), text=text)


def test_a_form_reads_back_as_the_yaml_did_numbers_their_type_and_places_kept():
    text = 'a: 5.\nb: 85\nc: "85"\nd: 0.50\ne: [true, null, -0.0]\nf: {x: 1.25, "y z": [1, 2.]}\n'
    parsed = _read(text)
    back = located_of(form_of(parsed))
    assert back == parsed and repr(back.data) == repr(parsed.data)
    # 5. is Decimal('5') (not the integer 5), 0.50 keeps its places, -0.0 its sign
    assert repr(back.data["a"]) == "Decimal('5')" and repr(back.data["d"]) == "Decimal('0.50')"
    assert back.line(("f", "y z", 1)) == 6
    for path in [SEED / "facility.yaml", *sorted((SEED / "documents").glob("*.yaml"))]:
        parsed = load_yaml(path)
        assert located_of(form_of(parsed)) == parsed, path


def test_a_key_that_is_not_text_has_no_form_and_is_always_parsed():
    parsed = _read("1: one\n")
    with pytest.raises(NoForm):
        form_of(parsed)
    forms = Forms()
    assert forms.read("f.yaml", "1: one\n", "digest").data == {1: "one"} and forms.take() == {}


def test_a_damaged_form_is_never_read_the_yaml_is_parsed_and_a_whole_form_made():
    text = 'rate: "85"\n'
    form = form_of(_read(text))
    damaged = form.replace('"85"', '"80"')
    with pytest.raises(NoForm):
        located_of(damaged)
    with pytest.raises(NoForm):
        located_of("not a form")
    forms = Forms({"sha": damaged})
    assert forms.read("f.yaml", text, "sha").data == {"rate": "85"}
    assert forms.take() == {"sha": form}


# --- in the store, on SQLite and PostgreSQL --------------------------------------------------------------------

def _kept(store) -> dict[tuple[str, str], str]:
    with store.reading() as connection:
        return {(sha, code): form for sha, code, form in connection.execute(select(schema.yaml_forms))}


def _sha(folder: Path, rel: str) -> str:
    return hashlib.sha256((folder / rel).read_bytes()).hexdigest()


def _row(store):
    [row] = run_portfolio(store_book(store, workers=1), DAY, workers=1)
    return row


def _by_hand(row, rate: str) -> None:
    """At the end of 2024-01-31: accounts 4,000.00 reported; 85% of it is a borrowing base of 3,400.00 (80%:
    3,200.00); the line cap min(5,000.00, base) - 0.00 of letters of credit; availability base - 1,000.00."""
    base = {"85": D("3400.00"), "80": D("3200.00")}[rate]
    assert (row.borrowing_base, row.availability, row.problem) == (base, base - D("1000.00"), None)


def test_import_keeps_each_yaml_file_s_form_and_the_run_reads_them_not_yaml(store, tmp_path, monkeypatch):
    folder = folder_with(tmp_path, "revolver", EVENTS)
    store.import_folder(folder)
    code = yamlform.code()
    assert set(_kept(store)) == {(_sha(folder, "facility.yaml"), code), (_sha(folder, AGREEMENT), code)}
    parsed = _row(store)
    _by_hand(parsed, "85")

    def no_yaml(*_args, **_kwargs):
        raise AssertionError("a stored form was not read")

    monkeypatch.setattr(yamlform, "load_yaml", no_yaml)
    assert _row(store) == parsed


def test_forms_of_other_code_are_not_read_the_run_parses_and_keeps_this_code_s(store, tmp_path, monkeypatch):
    store.import_folder(folder_with(tmp_path, "revolver", EVENTS))
    before = _kept(store)
    monkeypatch.setattr(yamlform, "code", lambda: "f" * 64)  # as a new version of the reading code would
    _by_hand(_row(store), "85")
    after = _kept(store)
    assert {sha for sha, _ in before} == {sha for sha, code in after if code == "f" * 64}
    assert all(located_of(form) for form in after.values())


def test_a_damaged_form_in_the_store_gives_the_figures_of_the_yaml_and_is_replaced(store, tmp_path):
    folder = folder_with(tmp_path, "revolver", EVENTS)
    store.import_folder(folder)
    key = (_sha(folder, AGREEMENT), yamlform.code())
    damaged = _kept(store)[key].replace('"rate":"85"', '"rate":"80"')
    assert damaged != _kept(store)[key]
    y = schema.yaml_forms.c
    with store.writing() as connection:
        connection.execute(update(schema.yaml_forms).where(y.sha256 == key[0]).values(form=damaged))
    _by_hand(_row(store), "85")
    assert located_of(_kept(store)[key]).data == load_yaml(folder / AGREEMENT).data


def test_a_changed_file_is_read_from_its_own_text_never_from_the_old_text_s_form(store, tmp_path):
    """A file's form is found by the SHA-256 of the text read: the stored file changed under the store (85% made
    80%), the run reads the new text."""
    folder = folder_with(tmp_path, "revolver", EVENTS)
    store.import_folder(folder)
    text = (folder / AGREEMENT).read_text()
    assert 'rate: "85"' in text
    f = schema.facility_files.c
    with store.writing() as connection:
        connection.execute(update(schema.facility_files).where(f.facility_id == "revolver", f.path == AGREEMENT)
                           .values(content=text.replace('rate: "85"', 'rate: "80"').encode()))
    _by_hand(_row(store), "80")
    assert not store.verify("revolver").ok  # and the record says its files changed


def test_the_store_s_rows_with_forms_are_the_folder_s_rows(store, tmp_path):
    """Every row, field by field, the same from stored forms as from the folders parsed, and as from the store
    without forms (the seed, and the revolver), on SQLite and PostgreSQL."""
    book = tmp_path / "book"
    book.mkdir()
    folder_with(book, "revolver", EVENTS)
    store.import_folder(book / "revolver")
    from_store = run_portfolio(store_book(store, workers=1), DAY, workers=1)
    from_folders = run_portfolio(folder_book(book, workers=1), DAY, workers=1)
    assert from_store == from_folders
    store.import_folder(SEED)
    seed_day = date(2002, 12, 16)
    rows = {r.facility: r for r in run_portfolio(store_book(store, workers=1), seed_day, workers=1)}
    with store.writing() as connection:
        connection.execute(schema.yaml_forms.delete())
    parsed = {r.facility: r for r in run_portfolio(store_book(store, workers=1), seed_day, workers=1)}
    assert rows == parsed and rows["iec-2002"].borrowing_base == D("875500.00")
