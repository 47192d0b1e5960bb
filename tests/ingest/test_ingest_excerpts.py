"""`loanbook ingest` on an excerpt: text left out ("[...]") cuts the headings some quoted clauses stand under. A
subsection whose section heading is cut takes its section from its own words ("this Section 4.2(c)"), or the id the
facility records it by; a paragraph no heading opens after a "[...]" is a clause of its own, with its figures read;
the preamble ends at the first "[...]". Each text is written in other words than the examples, with its
near-misses."""
from __future__ import annotations

from loanbook.ingest.draft import _as_recorded, build
from loanbook.ingest.source import Filing, clean
from loanbook.ingest.structure import parse

CUT_SECTIONS = clean("""Excerpts of a credit agreement between a borrower and its bank.

[...]

(c) Late Charges. Any payment not made when due bears a charge of 1% a month. A charge under this
Section 4.2(c) is due on demand.

[...]

(b) Facility Fee. The Borrower shall pay a facility fee of 0.10% a year, as this Section 5.3 provides.

[...]

(d) Prepayments. The Borrower may prepay any loan on notice given under Section 6.1(a).

[...]

(e) Conversions. A conversion made under this Section 6.4(f) takes effect on the next Business Day.

[...]

(a) Notices. A notice under this Section 8.1 or under this Section 8.2 is given in writing.

[...]

(f) Increases. The Borrower may ask for an increase under this Section 2.11A(f) once a year.

[...]

4.7 Charges Generally.

(b) Each charge is due on demand, whatever this Section 9.9(b) says.
""")


def _ids(text: str) -> list[str]:
    return [c.id for c in parse(text, "doc").clauses]


def test_a_subsection_whose_section_heading_is_cut_takes_its_section_from_its_own_words():
    """(c) says "this Section 4.2(c)", its own letter: Section 4.2(c); (b) says "this Section 5.3": a subsection of
    Section 5.3, so 5.3(b)."""
    ids = _ids(CUT_SECTIONS)
    assert ids[1:3] == ["section-4.2c", "section-5.3b"]


def test_a_subsection_whose_words_name_no_section_of_its_own_keeps_its_title():
    """Near-misses: "under Section 6.1(a)" is another clause (no "this"); "this Section 6.4(f)" in (e) names
    another letter; (a) names two sections; "this Section 2.11A(f)" is Section 2.11A, not 2.11. Each is named by
    its title. A subsection under a heading the text gives keeps that section, whatever its words say."""
    ids = _ids(CUT_SECTIONS)
    assert ids[3:] == ["doc.prepayments", "doc.conversions", "doc.notices", "doc.increases", "section-4.7",
                       "section-4.7b"]


def test_two_subsections_naming_the_same_section_and_letter_are_both_kept():
    text = clean("Excerpts of a credit agreement between a borrower and its bank.\n\n[...]\n\n"
                 "(c) Late Charges. A charge under this Section 4.2(c) is due.\n\n[...]\n\n"
                 "(c) Late Charges. Again, this Section 4.2(c) applies.\n")
    assert _ids(text)[1:] == ["section-4.2c", "section-4.2c-2"]


PASSAGE = clean("""Excerpts, verbatim, of a loan agreement dated as of March 3, 2021.

[...]

"Term Loan" means the loan of $5,000,000 made on the Closing Date.

[...]

provided that the Borrower shall deliver such reports within 30 days after each quarter end,
as the Lender may ask.

[...]

"Revolving Loan" means each loan made under the revolving commitment of $2,000,000.

provided further that no Revolving Loan is made after the Maturity Date.
""")


def test_a_paragraph_after_a_cut_that_no_heading_opens_is_a_clause_with_its_figures():
    """The proviso after "[...]" is a piece of a clause whose heading the excerpt cuts: a clause of its own, its
    text whole (two lines), and its "30 days" read as a figure for the reviewer."""
    draft = build(Filing("x.txt", "text", PASSAGE), "doc", {})
    rows = {row["id"]: row for row in draft.document["clauses"]}
    passage = rows["doc.passage-1"]
    assert passage["level"] == "passage"
    assert draft.text[passage["span"][0]:passage["span"][1]] == (
        "provided that the Borrower shall deliver such reports within 30 days after each quarter end,\n"
        "as the Lender may ask.")
    assert [f["written"] for f in passage["figures"]] == ["30 days"]
    assert any(f["written"] == "30 days" for f in draft.document["unmapped"])


def test_a_paragraph_that_goes_on_a_clause_without_a_cut_stays_in_it_and_the_preamble_ends_at_the_first_cut():
    """Near-miss: "provided further ..." follows the definition with no "[...]" between: it is the definition's.
    The preamble is its opening paragraph, not the "[...]" after it."""
    clauses = {c.id: c for c in parse(PASSAGE, "doc").clauses}
    assert [c for c in clauses if "passage" in c] == ["doc.passage-1"]
    revolving = clauses["def.revolving-loan"]
    assert PASSAGE[revolving.start:revolving.end].endswith("no Revolving Loan is made after the Maturity Date.")
    preamble = clauses["doc.preamble"]
    assert PASSAGE[preamble.start:preamble.end] == "Excerpts, verbatim, of a loan agreement dated as of March 3, 2021."


RECORDED = clean("""Exhibit A, the Credit Agreement as amended (excerpts).

[...]

(b) Commitment Fee. The Borrower shall pay a commitment fee of 0.20% a year on the unused commitment.

[...]

(c) Agency Fee. The Borrower shall pay the Agent a fee of $25,000 each year.
""")


def test_a_subsection_whose_section_heading_is_cut_takes_the_id_the_facility_records_it_by():
    """"(b) Commitment Fee." is the facility's "Section 6.3(b) - Commitment Fee" (same letter, same title)."""
    fee, agency = [c for c in parse(RECORDED, "doc").clauses if c.level == "subsection"]
    prior = {"section-6.3b": "Section 6.3(b) - Commitment Fee", "def.other": "Definition of Other"}
    assert _as_recorded(fee, prior).id == "section-6.3b"
    assert _as_recorded(agency, prior).id == agency.id == "doc.agency-fee"  # no recorded clause of that title
    draft = build(Filing("x.txt", "text", RECORDED), "doc", {"clauses_before_record": [
        {"id": "section-6.3b", "title": "Section 6.3(b) Commitment Fee"}]})
    assert [row["id"] for row in draft.document["clauses"]][1:] == ["section-6.3b", "doc.agency-fee"]


def test_a_recorded_subsection_of_another_letter_or_title_or_recorded_twice_is_not_taken():
    fee = next(c for c in parse(RECORDED, "doc").clauses if c.level == "subsection")
    assert _as_recorded(fee, {"section-6.3c": "Section 6.3(c) - Commitment Fee"}).id == fee.id  # another letter
    assert _as_recorded(fee, {"section-6.3b": "Section 6.3(b) - Facility Fee"}).id == fee.id  # another title
    assert _as_recorded(fee, {"section-6.3b": "Section 6.3(b) - Commitment Fee",
                              "section-7.3b": "Section 7.3(b) - Commitment Fee"}).id == fee.id  # two
