"""Each kind says which names it refers to and which formulas it holds; the load-time check refuses a name that is
not there, with its field, in the order of the clauses and of each block's fields."""
import pytest

from conftest import FIXTURES, SEED, copy_of, edit
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError


def problems(folder) -> list[tuple[str | None, str]]:
    with pytest.raises(InputError) as exc:
        load_agreement(folder)
    return [(p.field, p.message) for p in exc.value.problems]


def test_documents_tranches_and_indices_a_clause_names_are_declared(tmp_path):
    folder = copy_of(SEED, tmp_path)
    doc = folder / "documents" / "amendment-10.yaml"
    edit(doc, "documents: [purchase_offer, financing_commitment]", "documents: [purchase_ofer, financing_commitment]")
    edit(doc, "{document: executed_originals}", "{document: executed_original}")
    edit(doc, "tranches: [term_loan]", "tranches: [term_loans]")
    edit(doc, "loan_class: term_loan, index: prime", "loan_class: term_loan, index: libor")
    documents = "purchase_offer, financing_commitment, texas_property_offer, auction_agreement, executed_originals"
    assert problems(folder) == [
        ("deadline_obligation.satisfied_by.document",
         f"unknown document 'executed_original'; this facility declares: {documents}"),
        ("installment_schedule.waivers.documents",
         f"unknown document 'purchase_ofer'; this facility declares: {documents}"),
        ("triggered_obligation.tranches", "unknown tranche 'term_loans'; this facility declares: advances, term_loan"),
        ("pricing_grid.rows.index", "unknown index 'libor'; this facility declares: prime"),
    ]


def test_a_ratings_grid_reads_declared_ratings_each_in_its_turn(tmp_path):
    folder = copy_of(FIXTURES / "ratedco", tmp_path)
    edit(folder / "facility.yaml", "{id: moodys_rating, label: Moody's senior unsecured rating, unit: rating,",
         "{id: moodys_rating, label: Moody's senior unsecured rating, unit: number,")
    edit(folder / "documents" / "credit-agreement.yaml", "lower_of: [sp_rating, moodys_rating]",
         "lower_of: [moodys_rating, sp_ratings]")
    assert problems(folder) == [
        ("rating_level.ratings.lower_of", "'moodys_rating' is a measure in number, not a rating"),
        ("rating_level.ratings.lower_of",
         "unknown measure 'sp_ratings'; this facility declares: sp_rating, moodys_rating"),
    ]


def test_a_waiver_waives_a_covenant_of_the_agreement(tmp_path):
    folder = copy_of(FIXTURES / "widget", tmp_path)
    edit(folder / "documents" / "waiver-1.yaml", "covenant: fixed_charge_coverage", "covenant: fixed_charge")
    edit(folder / "documents" / "waiver-1.yaml", "{document: business_plan", "{document: businessplan")
    assert problems(folder) == [
        ("covenant_waiver.covenant",
         "no covenant 'fixed_charge'; the covenants: fixed_charge_coverage, minimum_ebitda"),
        ("covenant_waiver.condition.document",
         "unknown document 'businessplan'; this facility declares: inventory_appraisal, compliance_certificate, "
         "business_plan"),
    ]


def test_the_figure_a_clause_names_comes_before_its_formulas_and_names_after_both(tmp_path):
    folder = copy_of(FIXTURES / "widget", tmp_path)
    doc = folder / "documents" / "credit-agreement.yaml"
    edit(doc, "tranche: term\n        installments", "tranche: terms\n        installments")  # section 2.4
    edit(doc, "applies_while: {figure: excess_availability", "applies_while: {figure: excess")  # section 6.2
    edit(doc, "measure: ebitda\n        unit: money", "measure: ebitdax\n        unit: money")
    found = problems(folder)
    assert [field for field, _ in found] == ["minimum_ebitda.applies_while", "minimum_ebitda.measure",
                                             "amortization.tranche"]
    assert found[0][1] == "unknown figure 'excess'"
    assert found[1][1].startswith("in 'ebitdax': unknown name 'ebitdax'; the names it may use: applicable_margin, ")
    assert found[2][1] == "unknown tranche 'terms'; this facility declares: revolver, term"
