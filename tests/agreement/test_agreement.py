"""The agreement as data: the seed's chain, as-of resolution, history, conformed copy, fidelity check."""
from datetime import date

import pytest

from conftest import SEED
from loanbook.agreement.check import fidelity_check, passed, text_figures
from loanbook.agreement.conformed import conformed_html, conformed_markdown, history
from loanbook.agreement.kinds import BorrowingBase, PricingGrid, Term
from loanbook.core.errors import RecordError


def test_chain_has_every_document_in_date_order(seed):
    ids = [d.id for d in seed.documents]
    assert ids[0] == "lsa-1999" and "amendment-10" in ids and "amendment-11" in ids
    assert len([d for d in seed.documents if d.kind == "amendment"]) == 11
    assert len([d for d in seed.documents if d.kind == "modification_letter"]) == 4
    assert [d.effective for d in seed.documents] == sorted(d.effective for d in seed.documents)
    only_text = [d.id for d in seed.documents if d.text is not None]
    assert only_text == ["amendment-10"]
    assert seed.document("amendment-05").text_status == "text not in record"


def test_amendment_10_replaces_five_clauses_as_of_its_date(seed):
    replaced = {v.clause_id for c in seed.clauses.values() for v in c.versions
                if v.document_id == "amendment-10" and v.op == "replace"}
    assert replaced == {"schedule.item-1", "schedule.item-18g", "schedule.item-32", "section-10.19",
                        "section-10.21"}
    version = seed.clause_on("schedule.item-1", date(2002, 10, 1))
    assert version.document_id == "amendment-10"
    assert "Maximum Limit of $1,750,000" in version.text


def test_item_32_as_of_each_amendment(seed):
    # Amendments 6, 7, 8, 9, 10 set the end of the term to 3/15, 4/8, 6/30, 9/30, 12/31 (2002).
    expected = {date(2002, 3, 1): date(2002, 3, 15), date(2002, 3, 20): date(2002, 4, 8),
                date(2002, 5, 1): date(2002, 6, 30), date(2002, 9, 30): date(2002, 9, 30),
                date(2002, 10, 1): date(2002, 12, 31)}
    for day, end in expected.items():
        _, term = seed.terms_on(Term, day)
        assert term.initial_term_end == end, day


def test_clause_before_its_first_version_is_an_error_naming_clause_and_date(seed):
    with pytest.raises(RecordError, match=r"Schedule Item 1.*schedule.item-1.*before 2002-10-01 is not in the record"):
        seed.clause_on("schedule.item-1", date(2002, 9, 15))
    with pytest.raises(RecordError, match="schedule.item-1"):
        seed.terms_on(BorrowingBase, date(2002, 9, 15))


def test_history_lists_every_version_with_sources(seed):
    rows = history(seed, "schedule.item-32")
    assert [r["document"] for r in rows] == [None, "amendment-06", "amendment-07", "amendment-08", "amendment-09",
                                             "amendment-10"]
    assert rows[-1]["until"] is None and rows[1]["until"] == "2002-03-15"
    assert all("EDGAR" in r["source"] for r in rows[1:5])


def test_conformed_markdown_and_html_redline(seed):
    text = conformed_markdown(seed, date(2002, 10, 15))
    assert "Schedule Item 1 - Borrowing Capacity" in text and "Prime Rate plus 3.5%" in text
    assert ("Amendment No. 3 to Loan and Security Agreement (as of 2001-04-24; effective 2001-04-24): "
            "text not in record") in text
    page = conformed_html(seed, date(2002, 10, 15))
    assert "<del>" not in page.split("schedule.item-1")[0]
    assert "replaced: text not in record" in page
    assert "<ins>" in page


def test_text_figures_reads_amounts_percentages_and_dates():
    figures = text_figures('Maximum Limit of $1,750,000; up to 85% ... October 13, 2002 ... 10/1/02 - 12/31/02 '
                           '... December 31, 200\n')
    kinds = [(f.kind, f.value) for f in figures]
    assert ("amount", 1750000) in kinds and ("percent", 85) in kinds
    assert ("date", date(2002, 10, 13)) in kinds and ("date", date(2002, 10, 1)) in kinds
    assert ("date", date(2002, 12, 31)) in kinds
    assert ("truncated_date", None) in kinds


def test_fidelity_check_passes_on_seed_and_reports_i1(seed):
    findings = fidelity_check(seed)
    assert passed(findings)
    resolved = [f for f in findings if f.severity == "resolved"]
    assert len(resolved) == 1 and "December 31, 200" in resolved[0].message and "I-1" in resolved[0].message
    notes = [f.message for f in findings if f.severity == "note"]
    assert any("no advances pricing row from 2002-07-01 to 2002-09-30" in n for n in notes)


def test_interpretation_switch_changes_the_terms(seed):
    from loanbook.agreement.load import load_agreement
    switched = load_agreement(SEED, {"I-3": "actual/365"})
    _, grid = switched.terms_on(PricingGrid, date(2002, 10, 15))
    assert grid.day_basis == "actual/365"
    _, grid = seed.terms_on(PricingGrid, date(2002, 10, 15))
    assert grid.day_basis == "actual/360"
