"""`loanbook ingest` on messy filings: page furniture inside a clause, quoted new text across pages, signature
blocks, a lettered part missing, tables drawn with spaces and with pipes, dates in three forms, HTML and a real
PDF's text layer; refusals that write nothing; the draft that computes nothing until accepted; --diff."""
import functools
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfs import pdf_of
from typer.testing import CliRunner

from conftest import ROOT, SEED
from loanbook.agreement.check import located_figures
from loanbook.cli import app
from loanbook.core.errors import InputError
from loanbook.ingest.draft import build, ingest, same_terms
from loanbook.ingest.source import clean, read_filing
from loanbook.ingest.structure import parse

runner = CliRunner()
FIXTURES = ROOT / "tests" / "fixtures" / "ingest"
MESSY = FIXTURES / "messy-amendment.txt"
SEED_TEXT = SEED / "documents" / "amendment-10.txt"


def _draft(path: Path = MESSY, doc_id: str = "amendment-12"):
    return ingest(path, SEED, doc_id)


def _operation(draft, clause: str) -> dict:
    return next(op for op in draft.operations if op["clause"] == clause)


def test_page_footers_and_filing_tags_leave_a_clause_whole():
    """The pricing grid's new text runs over a page break with "Page 2", "Page 89 of 104" and <PAGE> between its
    two tables: the clause is read as one, without them, and its rows are both read."""
    op = _operation(_draft(), "schedule.item-18g")
    assert "Page" not in op["text"] and "<PAGE>" not in op["text"] and "104" not in op["text"]
    assert op["text"].startswith("(g) Pricing Grid") and op["text"].endswith("Prime Rate plus 4.0%            None.")
    rows = op["terms"][0]["rows"]
    assert [(r["loan_class"], r["margin"]) for r in rows] == [("advances", "3.5"), ("term_loan", "4.0")]
    assert all(r["from"] == date(2002, 10, 1) and r["to"] == date(2002, 12, 31) for r in rows)  # 10/1/02 - 12/31/02


def test_a_footer_inside_a_quoted_clause_with_a_pipe_table():
    """Section 10.21's new text has a pipe table and then "-3-" (a page number) before its last line."""
    op = _operation(_draft(), "section-10.21")
    assert "-3-" not in op["text"]
    assert op["text"].endswith("commencing on the 1st day of November, 2002.")


def test_lettered_parts_with_one_missing():
    """A, B, D, E (no C): each part and its paragraphs are clauses, and no C is invented."""
    ids = [c["id"] for c in _draft().document["clauses"]]
    assert ids == ["amendment-12.preamble", "amendment-12.a", "amendment-12.a-1", "amendment-12.b",
                   "amendment-12.b-1", "amendment-12.b-2", "amendment-12.d", "amendment-12.d-1", "amendment-12.e",
                   "amendment-12.e-1"]


def test_the_signature_block_is_no_clause():
    draft = _draft()
    last = draft.document["clauses"][-1]
    assert "IN WITNESS" not in draft.text[last["span"][0]:last["span"][1]]
    assert all("1st DAY OF OCTOBER" not in op.get("text", "") for op in draft.operations)


def test_dates_in_three_forms_are_figures_with_their_spans():
    """"October 1, 2002", "10/1/02" and "1st DAY OF OCTOBER, 2002" are each the date 2002-10-01, read by the
    check's own reader, and each span is where the text writes it."""
    text = "as of October 1, 2002; as of 10/1/02; AGREED AS OF THIS 1st DAY OF OCTOBER, 2002."
    found = [(f.figure.kind, f.figure.value, text[f.start:f.end]) for f in located_figures(text)]
    assert found == [("date", date(2002, 10, 1), "October 1, 2002"), ("date", date(2002, 10, 1), "10/1/02"),
                     ("date", date(2002, 10, 1), "1st DAY OF OCTOBER, 2002")]


def test_every_figure_span_is_where_the_text_writes_it():
    """In the draft, each figure's span cuts from the draft's text exactly what the figure's written form says
    (spacing aside): the spans count in the text file accept writes beside the document."""
    for path, doc_id in [(MESSY, "amendment-12"), (SEED_TEXT, "amendment-10")]:
        draft = _draft(path, doc_id)
        figures = [f for c in draft.document["clauses"] for f in c["figures"]]
        assert figures
        for figure in figures:
            start, end = figure["span"]
            assert " ".join(draft.text[start:end].split()) == figure["written"]


def test_each_proposed_term_carries_its_spans():
    draft = _draft(SEED_TEXT, "amendment-10")
    overadvance = next(p for p in draft.document["proposed"] if p["kind"] == "overadvance")
    cut = [" ".join(draft.text[s:e].split()) for s, e in overadvance["spans"]]
    assert "exceed $400,000 from October 14, 2002 to October 20, 2002" in cut
    assert "from and after October 28, 2002 no Overadvances shall be permitted" in cut


def test_unmapped_figures_are_listed_never_guessed():
    """Section 10.21's fees are in a table whose kind the vocabulary cannot name: no terms, each figure listed."""
    draft = _draft()
    assert "terms" not in _operation(draft, "section-10.21")
    unmapped = [(u["clause"], u["written"]) for u in draft.document["unmapped"]]
    assert ("amendment-12.b-2", "0.375%") in unmapped and ("amendment-12.b-2", "2.50%") in unmapped


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"   \n\n  ", "empty"),
    (b"\x00\x01\x02ELF binary\x00" * 20, "binary"),
    (b"Grocery list: eggs, milk, bread.\nCall the plumber on Tuesday.\n", "not a loan agreement"),
])
def test_what_is_not_a_filing_is_refused_and_nothing_is_written(tmp_path, content, message):
    source = tmp_path / "filing.txt"
    source.write_bytes(content)
    folder = tmp_path / "new-facility"
    result = runner.invoke(app, ["ingest", str(source), "--facility", str(folder)])
    assert result.exit_code == 2
    assert message in result.output and "filing.txt" in result.output
    assert not folder.exists()


def test_a_new_folder_gets_a_scaffold_and_accept_waits_for_its_vocabulary(tmp_path):
    """Into a folder that does not exist: a scaffold facility.yaml (an empty vocabulary) and the draft. Accept
    refuses until the vocabulary is declared, naming the facility's file, and writes nothing."""
    folder = tmp_path / "iec"
    result = runner.invoke(app, ["ingest", str(SEED_TEXT), "--facility", str(folder), "--id", "amendment-10"])
    assert result.exit_code == 0, result.output
    scaffold = yaml.safe_load((folder / "facility.yaml").read_text())
    assert scaffold["id"] == "iec" and scaffold["vocabulary"]["tranches"] == []
    # the parties the opening paragraph names, with the roles it gives them: "IEC ELECTRONICS CORP. ("IEC" or
    # "Debtor")", "HSBC BANK USA, as Agent ("Agent")", "GENERAL ELECTRIC CAPITAL CORPORATION ("GE Capital") as
    # lenders"
    parties = {p["id"]: p["roles"] for p in scaffold["parties"]}
    assert parties["iec"] == ["debtor"] and parties["hsbc-bank-usa"] == ["agent"]
    assert parties["ge-capital"] == ["lender"]
    result = runner.invoke(app, ["accept", "amendment-10", "--facility", str(folder)])
    assert result.exit_code == 2  # the scaffold declares no tranche yet: refused, named as the folder's file
    assert f"{folder}/facility.yaml" in result.output and "vocabulary.tranches" in result.output
    assert not (folder / "documents").exists()
    assert (folder / "drafts" / "amendment-10.yaml").exists()  # the draft stays, to be resolved


def test_a_draft_computes_nothing(tmp_path):
    """The seed without Amendment 10, with its draft: the facility computes as if the draft were not there."""
    folder = tmp_path / "iec-2002"
    shutil.copytree(SEED, folder)
    for name in ("amendment-10.yaml", "amendment-10.txt"):
        (folder / "documents" / name).unlink()
    before = runner.invoke(app, ["conformed", "--facility", str(folder), "--as-of", "2002-10-15", "--json"])
    runner.invoke(app, ["ingest", str(SEED_TEXT), "--facility", str(folder), "--id", "amendment-10"])
    after = runner.invoke(app, ["conformed", "--facility", str(folder), "--as-of", "2002-10-15", "--json"])
    assert before.output == after.output


def test_accept_refuses_a_draft_whose_terms_the_text_does_not_state(tmp_path):
    folder = tmp_path / "iec-2002"
    shutil.copytree(SEED, folder)
    for name in ("amendment-10.yaml", "amendment-10.txt"):
        (folder / "documents" / name).unlink()
    runner.invoke(app, ["ingest", str(SEED_TEXT), "--facility", str(folder), "--id", "amendment-10"])
    draft = folder / "drafts" / "amendment-10.yaml"
    draft.write_text(draft.read_text().replace("value: '1750000.00'", "value: '1800000.00'"))
    result = runner.invoke(app, ["accept", "amendment-10", "--facility", str(folder), "--json"])
    assert result.exit_code == 1
    assert "1800000.00" in result.output and '"accepted": false' in result.output
    assert not (folder / "documents" / "amendment-10.yaml").exists()


def test_diff_against_the_hand_made_document():
    result = runner.invoke(app, ["ingest", str(SEED_TEXT), "--facility", str(SEED), "--id", "amendment-10",
                                 "--diff"])
    assert result.exit_code == 0, result.output
    assert "schedule.item-1: text same" in result.output
    assert "overadvance: same" in result.output and "installment_schedule: same" in result.output
    assert "DIFFERS" not in result.output and "missing" not in result.output
    assert not (SEED / "drafts").exists()  # --diff writes nothing


def test_html_reads_as_its_text(tmp_path):
    """An HTML filing: paragraphs, curly quotes and entities, a table read as pipes (its figures by the check's
    table reader), the signature paragraph left out."""
    draft = ingest(FIXTURES / "agreement.html", tmp_path / "widget", None)
    assert draft.document["kind"] == "loan_agreement" and draft.document["as_of"] == date(1995, 12, 20)
    clauses = {c["id"]: c for c in draft.document["clauses"]}
    assert {"def.commitment-fee-rate", "def.maturity-date", "section-3.4"} <= set(clauses)
    fee_rate = [f["written"] for f in clauses["def.commitment-fee-rate"]["figures"]]
    assert fee_rate == ["1.50 to 1.00", "0.25%", "1.50 to 1.00", "0.375%"]
    assert [f["value"] for f in clauses["def.maturity-date"]["figures"]] == ["1999-12-31"]
    assert "IN WITNESS" not in draft.text[clauses["section-3.4"]["span"][0]:clauses["section-3.4"]["span"][1]]


def test_a_pdf_text_layer_reads_as_the_text_does(tmp_path):
    """The seed's text laid out as a PDF (a real one: pypdf reads its text layer back), page by page with its
    page numbers: the same operations with the same terms as the text file gives."""
    pages, page = [], []
    for line in SEED_TEXT.read_text().split("\n"):
        page.append(line)
        if len(page) == 60:
            pages.append(page + ["", f"                                     Page {len(pages) + 1}"])
            page = []
    pages.append(page)
    pdf = tmp_path / "amendment-10.pdf"
    pdf.write_bytes(pdf_of(pages))
    assert read_filing(pdf).form == "pdf"
    from_pdf, from_text = ingest(pdf, SEED, "amendment-10"), _draft(SEED_TEXT, "amendment-10")
    assert [op["clause"] for op in from_pdf.operations] == [op["clause"] for op in from_text.operations]
    for pdf_op, text_op in zip(from_pdf.operations, from_text.operations):  # the PDF's font gives ’ for ': prose
        assert same_terms(pdf_op.get("terms"), text_op.get("terms")), pdf_op["clause"]


def test_a_pdf_without_a_text_layer_is_refused(tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(pdf_of([[]]))
    with pytest.raises(InputError, match="no text"):
        read_filing(pdf)


def test_ingest_is_deterministic():
    first, second = _draft(SEED_TEXT, "amendment-10"), _draft(SEED_TEXT, "amendment-10")
    assert first.document == second.document and first.text == second.text


_FURNITURE = st.sampled_from(["Page 2", "Page 89 of 104", "<PAGE>", "-4-", "17", "\f"])


@functools.cache
def _seed_draft():
    """The seed's draft from its own text, the same for every example (a build never changes its inputs)."""
    return build(read_filing(SEED_TEXT), "amendment-10", yaml.safe_load((SEED / "facility.yaml").read_text()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), _FURNITURE), max_size=6))
def test_page_furniture_anywhere_between_lines_changes_no_clause(breaks):
    """Page numbers and filing tags put between any lines of the seed (inside quoted clauses too) change neither
    a clause's text (spacing aside) nor a proposed term (its prose aside: an obligation quotes its sentence)."""
    lines = SEED_TEXT.read_text().split("\n")
    for at, furniture in sorted(breaks, reverse=True):
        n = at % len(lines)
        lines[n:n] = ["", f"                        {furniture}", ""]
    base = _seed_draft()
    text = clean("\n".join(lines))
    messy = build(type(read_filing(SEED_TEXT))("x.txt", "text", text), "amendment-10",
                  yaml.safe_load((SEED / "facility.yaml").read_text()))
    assert [" ".join(op.get("text", "").split()) for op in messy.operations] == [
        " ".join(op.get("text", "").split()) for op in base.operations]
    for messy_op, base_op in zip(messy.operations, base.operations):
        assert same_terms(messy_op.get("terms"), base_op.get("terms")), messy_op["clause"]


def test_structure_of_an_agreement_with_sections_and_subsections():
    text = clean("LOAN AGREEMENT\n\nThis Loan Agreement is dated as of May 1, 2020 between the parties, who agree "
                 "as follows:\n\nARTICLE II\n\n2.1 Revolving Loans. The Lenders shall lend.\n\n(a) Advances may be "
                 "made on 5 days' notice.\n\n(b) Each advance shall be at least $100,000.\n\n2.2 Fees. The Borrower"
                 " shall pay fees.\n\nSCHEDULE A\n\nCommitments.\n")
    structure = parse(text, "loan-agreement")
    assert [(c.id, c.parent) for c in structure.clauses] == [
        ("loan-agreement.preamble", None), ("article-ii", None), ("section-2.1", "article-ii"),
        ("section-2.1a", "section-2.1"), ("section-2.1b", "section-2.1"), ("section-2.2", "article-ii"),
        ("schedule-a", None)]


def test_bad_arguments_are_refused_with_the_field(tmp_path):
    not_a_folder = tmp_path / "facility.txt"
    not_a_folder.write_text("x")
    result = runner.invoke(app, ["ingest", str(MESSY), "--facility", str(not_a_folder)])
    assert result.exit_code == 2 and "--facility" in result.output and "not a folder" in result.output
    result = runner.invoke(app, ["ingest", str(MESSY), "--facility", str(tmp_path / "f"), "--id", "../evil"])
    assert result.exit_code == 2 and "--id" in result.output
    assert not (tmp_path / "f").exists()
    result = runner.invoke(app, ["accept", "amendment-12", "--facility", str(SEED)])
    assert result.exit_code == 2 and "no draft 'amendment-12'" in result.output


def _terms_of(facility: str, doc_id: str, text_file: str) -> dict[str, list[dict]]:
    folder = ROOT / "examples" / facility
    draft = ingest(folder / "documents" / text_file, folder, doc_id)
    return {op["clause"]: op.get("terms") or [] for op in draft.operations} | {
        " ".join(op.get("text", "").split())[:30]: op.get("terms") or [] for op in draft.operations}


def test_defined_figures_of_the_richey_agreement():
    """Each as the hand-made document has it (examples/richey-1995), named from the vocabulary of its folder."""
    terms = _terms_of("richey-1995", "loan-agreement", "loan-agreement.txt")
    # "LINE A COMMITMENT" means, subject to Sections 2.5 and 2.7, $45,000,000.
    assert terms["def.line-a-commitment"] == [{"kind": "definitions", "figures": [
        {"id": "line_a_commitment", "label": "Line A Commitment", "value": "45000000.00"}]}]
    # "LINE A MATURITY DATE" means December 31, 1999; Section 2.1(a) lends "to, but excluding," that date; the
    # tranche is the one labelled "Line A Loans"
    assert terms["def.line-a-maturity-date"] == [{"kind": "term", "initial_term_end": date(1999, 12, 31),
                                                  "tranches": ["line_a"], "maturity_obligation": "line_a_maturity",
                                                  "advances": "before_end"}]
    # "... (rounded upwards, if necessary, to the next 1/100 of 1%) equal to the HIGHER OF (a) the Prime Rate ...
    # and (b) the Federal Funds Rate ... plus 1/2 of 1%": 1/100 of 1% is 0.01%, 1/2 of 1% is 0.5%
    assert terms["def.alternate-base-rate"][0]["figures"][0]["value"] == \
        "round_up(max(prime, federal_funds + 0.5%), 0.01%)"


def test_defined_figures_and_the_default_rate_of_the_dnow_amendment():
    terms = _terms_of("dnow-2022", "second-amendment", "second-amendment.txt")
    # "the lesser of - the Maximum Revolver Amount, and (b) the sum of the Dollar Equivalent of the Canadian
    # Borrowing Base (...) plus the US Borrowing Base": a defined figure, a measure and a figure defined by the text
    assert terms["def.line-cap"][0]["figures"][0]["value"] == \
        "min(maximum_revolver_amount, canadian_borrowing_base + us_borrowing_base)"
    # "the sum of - the amount of outstanding US Revolving Loans (...), plus (b) the amount of the US Letter of
    # Credit Usage": a tranche by its label, a contingent kind by its figure's name
    assert terms["def.us-revolver-usage"][0]["figures"][0]["value"] == "us_revolving_loans + us_letter_of_credit_usage"
    # "(c) Default Rate. ... a per annum rate equal to two percentage points above the per annum rate otherwise
    # applicable": a margin of 2%; its section heading is cut by the excerpt, so the clause takes the id the facility
    # records "Section 2.6(c) - Default Rate" by; "(B) the Letter of Credit Fee shall be increased to two percentage
    # points above ...": the fee Section 2.6(b) defines ("(the "Letter of Credit Fee")") is raised by the same margin
    assert terms["section-2.6c"] == [{"kind": "default_rate", "margin": "2", "fees": ["letter_of_credit_fee"]}]


def test_diff_without_a_hand_made_document_is_refused(tmp_path):
    result = runner.invoke(app, ["ingest", str(MESSY), "--facility", str(SEED), "--id", "amendment-12", "--diff"])
    assert result.exit_code == 2 and "amendment-12.yaml" in result.output and "no hand-made document" in result.output
    assert not (SEED / "drafts").exists()


def test_a_section_of_one_number_keeps_its_number_as_its_id():
    """"9. NEGATIVE COVENANTS." in capitals outside any part is Section 9: "section-9", and "-2" only for a second
    Section 9."""
    from loanbook.ingest.structure import parse
    text = ("Excerpts of an agreement.\n\n[...]\n\n9. NEGATIVE COVENANTS.\n\nThe Borrower shall not merge.\n\n[...]\n\n"
            "9. NEGATIVE COVENANTS.\n\nThe Borrower shall not sell its assets.\n")
    assert [c.id for c in parse(text, "doc").clauses if c.level == "section"] == ["section-9", "section-9-2"]
