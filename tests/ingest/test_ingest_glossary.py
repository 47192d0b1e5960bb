"""`loanbook ingest` reading words a filing uses but does not define as the facility's glossary reads them (the
reviewer's decision, in facility.yaml, with its reason), and citing the entry beside the block; words the glossary
lacks, however close, stay unmapped. The texts are in other words and figures than the examples; each expected block
is worked by hand in the comments."""
from __future__ import annotations

import shutil
from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from conftest import ROOT, accepted_terms, edit
from loanbook.agreement.formula import parse_formula
from loanbook.agreement.glossary import GlossaryEntry
from loanbook.cli import app
from loanbook.ingest import phrasings  # noqa: F401  (registers the proposers)
from loanbook.ingest.draft import ingest
from loanbook.ingest.terms import Facility, Proposal, clause_text, propose

runner = CliRunner()
FIXTURE = ROOT / "tests" / "fixtures" / "ingest" / "glossary"
TEXT = (FIXTURE / "agreement.txt").read_text()
FEE = TEXT[TEXT.index("Section 2.6"):TEXT.index("Section 2.8")].strip()
VOCABULARY = {
    "tranches": [{"id": "revolver", "label": "Revolving Loans", "type": "revolving", "figure": "revolving_loans"}],
    "contingents": [{"id": "documentary_lc", "label": "Documentary Letters of Credit (Aggregate Effective Amount)",
                     "figure": "documentary_letters_of_credit"}],
}
WHY = "Schedule 2.1 is not in the filing"


def _entry(words: str = "Tranche B Commitments", means: str = "maximum_credit") -> GlossaryEntry:
    return GlossaryEntry(words, parse_formula(means), WHY, "facility.yaml", "glossary entry 1 (line 20)")


def _fees(*glossary: GlossaryEntry, text: str = TEXT, defined: frozenset[str] = frozenset()) -> list[Proposal]:
    fee = FEE if FEE in text else text[text.index("Section 2.6"):text.index("Section 2.8")].strip()
    facility = Facility(VOCABULARY, [], [], "doc", date(2024, 1, 2), defined, text, glossary)
    return [p for p in propose(clause_text("section-2.6", "", fee, text.index(fee)), facility)
            if p.block["kind"] == "computed_fee"]


def test_a_fee_on_words_the_glossary_reads_cites_the_entry():
    entry = _entry()
    [proposal] = _fees(entry)
    # "0.40% per annum times the result of (i) the aggregate amount of the Tranche B Commitments, less (ii) the sum of
    # (a) the Revolving Loans outstanding plus (b) the Aggregate Effective Amount of all Documentary Letters of
    # Credit outstanding": the Tranche B Commitments, which the filing does not define, are maximum_credit by the
    # glossary; (a) is the tranche's figure, (b) the contingent kind's. "payable monthly in arrears on the first
    # day of each month": every month, due the first day after; "All fees ... a 360 day year" (Section 2.8); no
    # date it runs from: the document's, 2024-01-02.
    assert proposal.block == {"kind": "computed_fee", "id": "commitment_fee", "label": "Commitment Fee",
                              "base": "maximum_credit - (revolving_loans + documentary_letters_of_credit)",
                              "rate": "0.40", "day_basis": "actual/360", "every": "month",
                              "accrues_from": date(2024, 1, 2), "due": "first_day_after"}
    assert proposal.glossary == [entry]


def test_without_the_entry_the_fee_is_not_proposed():
    assert _fees() == []


@pytest.mark.parametrize("words", [
    "Tranche B Commitment",  # the singular is other words
    "Tranche A Commitments",
    "Tranche B Commitments Amount",
    "Commitments",
])
def test_near_misses_of_the_glossary_s_words_propose_nothing(words):
    assert _fees(_entry()) != []  # the entry as written reads them
    assert _fees(_entry(words)) == []


def test_words_spaced_and_capitalised_otherwise_are_the_same_words():
    text = TEXT.replace("Tranche B\nCommitments", "TRANCHE  B\ncommitments")
    [proposal] = _fees(_entry(), text=text)
    assert proposal.block["base"] == "maximum_credit - (revolving_loans + documentary_letters_of_credit)"


def test_a_formula_of_several_figures_is_read_in_parentheses():
    entry = _entry(means="maximum_credit - term_loan_outstanding")
    [proposal] = _fees(entry)
    # (maximum_credit - term_loan_outstanding) less the sum of the loans and the letters of credit: the glossary's
    # formula is one operand, so the parentheses keep its minus apart from the sum taken off
    assert proposal.block["base"] == ("(maximum_credit - term_loan_outstanding) - (revolving_loans + "
                                      "documentary_letters_of_credit)")
    assert proposal.glossary == [entry]


def test_a_term_the_document_defines_is_read_as_defined_not_as_the_glossary_reads_it():
    [proposal] = _fees(_entry(), defined=frozenset({"tranche_b_commitments"}))
    assert proposal.block["base"] == "tranche_b_commitments - (revolving_loans + documentary_letters_of_credit)"
    assert proposal.glossary == []  # the glossary is for words used undefined: nothing of it is read here


# --- ingested, accepted as drafted and checked ----------------------------------------------------------------------

def _ingest(folder):
    return runner.invoke(app, ["ingest", str(FIXTURE / "agreement.txt"), "--facility", str(folder), "--id",
                               "credit-agreement"])


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "glossary"
    folder.mkdir()
    shutil.copy(FIXTURE / "facility.yaml", folder / "facility.yaml")
    return folder


def test_the_draft_cites_the_glossary_and_is_accepted_and_checked(folder):
    result = _ingest(folder)
    assert result.exit_code == 0, result.output
    draft = yaml.safe_load((folder / "drafts" / "credit-agreement.yaml").read_text())
    [row] = [r for r in draft["proposed"] if r["clause"] == "section-2.6"]
    assert row["glossary"] == [{"words": "Tranche B Commitments", "means": "maximum_credit",
                                "why": "Schedule 2.1 (each Lender's Tranche B Commitment) is not in the filing; the "
                                       "Agent is the only Lender, and its commitment is taken to be the whole "
                                       "Maximum Credit."}]
    [fee] = [op for op in draft["operations"] if op["clause"] == "section-2.6"]
    assert fee["note"] == "The facility's glossary reads \"Tranche B Commitments\" as maximum_credit"
    assert "0.40%" not in [f["written"] for f in draft["unmapped"]]
    terms = accepted_terms(folder, "credit-agreement")
    # "Maximum Credit" means $20,000,000: the figure the glossary's formula names, defined by the filing itself
    assert terms["def.maximum-credit"][0]["figures"] == [{"id": "maximum_credit", "label": "Maximum Credit",
                                                          "value": "20000000.00"}]
    assert terms["section-2.6"][0]["base"] == "maximum_credit - (revolving_loans + documentary_letters_of_credit)"


def test_without_the_glossary_the_fee_s_figures_stay_unmapped(folder):
    text = (folder / "facility.yaml").read_text()
    (folder / "facility.yaml").write_text(text[:text.index("glossary:")])
    assert _ingest(folder).exit_code == 0
    draft = yaml.safe_load((folder / "drafts" / "credit-agreement.yaml").read_text())
    assert [r["clause"] for r in draft["proposed"]] == ["def.maximum-credit"]
    assert "0.40%" in [f["written"] for f in draft["unmapped"]]


def test_ingest_refuses_a_bad_glossary_by_line_and_field_and_writes_nothing(folder):
    edit(folder / "facility.yaml", "  - words: Tranche B Commitments",
         "  - {words: tranche b  commitments, means: maximum_credit, why: twice}\n  - words: Tranche B Commitments")
    line = (folder / "facility.yaml").read_text().splitlines().index("  - words: Tranche B Commitments") + 1
    result = _ingest(folder)
    assert result.exit_code == 2
    assert f"glossary entry 2 (line {line}): field 'words'" in result.output, result.output
    assert not (folder / "drafts").exists()


def test_the_dnow_unused_line_fee_rests_on_the_facility_s_glossary_entry():
    """examples/dnow-2022: Section 2.10(b) measures the fee on "the US Revolver Commitments" (Schedule C-1 not
    filed); facility.yaml's glossary reads those words as the Maximum Revolver Amount."""
    folder = ROOT / "examples" / "dnow-2022"
    draft = ingest(folder / "documents" / "second-amendment.txt", folder, "second-amendment")
    [fee] = [op for op in draft.operations if op["clause"] == "section-2.10b"]
    # "the Applicable Unused Line Fee Percentage per annum times the result of (i) the aggregate amount of the US
    # Revolver Commitments [the glossary: maximum_revolver_amount], less - the sum of the Average US Revolver Usage
    # (...) and the Average Canadian Revolver Usage (...)": the figures the amendment defines; the percentage is the
    # grid's column; "due and payable, in arrears, on the first day of each quarter"; "a 360 day year" (Section
    # 2.6(e)); "from and after the Closing Date", which the filing gives no date: the amendment's, 2022-12-29
    assert fee["terms"] == [{"kind": "computed_fee", "id": "unused_line_fee", "label": "Unused Line Fee",
                             "base": "maximum_revolver_amount - (us_revolver_usage + canadian_revolver_usage)",
                             "rate": "unused_line_fee_percentage", "day_basis": "actual/360", "every": "quarter",
                             "accrues_from": date(2022, 12, 29), "due": "first_day_after"}]
    [row] = [r for r in draft.document["proposed"] if r["clause"] == "section-2.10b"]
    assert [(g["words"], g["means"]) for g in row["glossary"]] == [("US Revolver Commitments",
                                                                    "maximum_revolver_amount")]
    assert row["glossary"][0]["why"].startswith("Schedule C-1 (each Lender's US Revolver Commitment) was not filed")
