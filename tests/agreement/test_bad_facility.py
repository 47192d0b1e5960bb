"""A malformed facility folder is refused whole, every problem listed by file, position and field."""
import shutil
from datetime import date

import pytest

from conftest import ACME, SEED, copy_of, edit
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.conformed import conformed_markdown
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError


@pytest.fixture
def acme(tmp_path):
    return copy_of(ACME, tmp_path)


def problems(folder):
    with pytest.raises(InputError) as exc:
        load_agreement(folder)
    return exc.value.problems


def test_every_problem_is_listed_with_file_line_and_field(acme):
    doc = acme / "documents" / "loan-agreement.yaml"
    edit(doc, "kind: borrowing_base", "kind: borrowing_bass")            # unknown clause kind
    edit(doc, ', rate: "80"}', "}")                                       # a missing field (in the first block)
    edit(doc, "{due: 2024-03-01,", "{due: 2024-02-30,")                  # a date that does not parse
    edit(acme / "documents" / "amendment-1.yaml", "clause: schedule.item-1",
         "clause: schedule.item-9")  # replaces nothing
    found = problems(acme)
    text = "\n".join(str(p) for p in found)
    assert "unknown kind 'borrowing_bass'" in text
    assert "loan-agreement.yaml: operation 1 (schedule.item-1) (line" in text
    assert "field 'terms.0.components.0.installments.0.due'" in text and "not a real date" in text
    assert "replaces schedule.item-9, which does not exist on 2024-04-01" in text
    assert all(p.file.endswith(".yaml") for p in found)


def test_missing_field_is_named(acme):
    edit(acme / "documents" / "amendment-1.yaml", ', rate: "80"}', "}")
    found = problems(acme)
    assert any(p.field == "terms.0.lines.0.rate" and "missing" in p.message for p in found)


def test_overlapping_versions_are_refused(acme):
    edit(acme / "documents" / "amendment-1.yaml", "as_of: 2024-04-01", "as_of: 2024-01-02")
    found = problems(acme)
    assert any("two versions of schedule.item-1 take effect on 2024-01-02" in p.message for p in found)


def test_inserting_a_clause_in_force_is_refused(acme):
    edit(acme / "documents" / "amendment-1.yaml", "op: replace", "op: insert")
    assert any("already in force" in p.message for p in problems(acme))


def test_overlapping_windows_and_bad_sums_are_refused(acme):
    doc = acme / "documents" / "loan-agreement.yaml"
    edit(doc, '- {due: 2024-06-01, amount: "5000.00"}', '- {due: 2024-06-01, amount: "5000.01"}')
    edit(doc, '- {from: 2024-01-02, to: 2024-12-31, loan_class: term_loan',
         '- {from: 2024-01-02, to: 2024-12-31, loan_class: advances')
    text = "\n".join(str(p) for p in problems(acme))
    assert "installments add up to 10000.01, not the total 10000.00" in text
    assert "advances pricing periods overlap" in text


def test_yaml_syntax_error_names_line(acme):
    (acme / "documents" / "amendment-1.yaml").write_text("id: x\n  bad: [\n")
    found = problems(acme)
    assert found[0].position.startswith("line ")


def test_check_finds_a_number_the_text_does_not_give(tmp_path):
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    edit(folder / "documents" / "amendment-10.yaml", 'value: "1750000.00"', 'value: "1800000.00"')
    findings = fidelity_check(load_agreement(folder))
    assert not passed(findings)
    messages = [f.message for f in findings if f.severity == "difference"]
    assert any("'$1,750,000', which the terms do not use" in m for m in messages)
    assert any("figures[0].value = 1800000.00, which the text does not state" in m for m in messages)


def test_check_finds_a_gap_in_cap_windows(tmp_path):
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    edit(folder / "documents" / "amendment-10.yaml", "{from: 2002-10-14, to: 2002-10-20,",
         "{from: 2002-10-15, to: 2002-10-20,")
    findings = fidelity_check(load_agreement(folder))
    assert any(f.severity == "difference" and "no cap window from 2002-10-14 to 2002-10-14" in f.message
               for f in findings)


# --- the glossary: words the filings use undefined, read as a formula of the facility's figures -----------------

GLOSSARY = """glossary:
  - {words: Revolving Commitments, means: maximum_limit, why: the schedule of commitments is not in the record}
"""


def _with_glossary(acme, entries: str) -> None:
    edit(acme / "facility.yaml", "interpretations:", GLOSSARY + entries + "interpretations:")


def test_a_glossary_entry_is_read_with_its_formula_and_reason_and_shown_in_the_conformed_copy(acme):
    _with_glossary(acme, "")
    agreement = load_agreement(acme)
    [entry] = agreement.glossary
    assert (entry.words, entry.means.text, entry.why) == ("Revolving Commitments", "maximum_limit",
                                                          "the schedule of commitments is not in the record")
    assert ('- "Revolving Commitments" is read as `maximum_limit`: the schedule of commitments is not in the record'
            in conformed_markdown(agreement, date(2024, 5, 1)).splitlines())


def test_a_glossary_naming_an_unknown_figure_is_refused_as_a_terms_formula_is(acme):
    edit(acme / "facility.yaml", "interpretations:", GLOSSARY.replace("maximum_limit", "maximum_limt")
         + "interpretations:")
    [problem] = problems(acme)
    line = (acme / "facility.yaml").read_text().splitlines().index("  - {words: Revolving Commitments, means: "
                                                                   "maximum_limt, why: the schedule of commitments "
                                                                   "is not in the record}") + 1
    assert (problem.file, problem.position, problem.field) == (str(acme / "facility.yaml"),
                                                               f"glossary entry 1 (line {line})", "means")
    assert "unknown name 'maximum_limt'; did you mean 'maximum_limit'?" in problem.message


@pytest.mark.parametrize("entry, field, message", [
    ("  - {words: '  revolving   COMMITMENTS', means: advances_outstanding, why: the same words}\n", "words",
     "is already glossary entry 1"),  # case and spacing aside, the same words
    ("  - {words: ' ', means: advances_outstanding, why: no words}\n", "words", "no words"),
    ("  - {words: Term Commitments, means: term_loan_outstanding, why: ' '}\n", "why", "no reason"),
])
def test_a_bad_glossary_entry_is_refused_by_line_and_field(acme, entry, field, message):
    _with_glossary(acme, entry)
    [problem] = problems(acme)
    line = (acme / "facility.yaml").read_text().splitlines().index(entry.rstrip("\n")) + 1
    assert (problem.position, problem.field) == (f"glossary entry 2 (line {line})", field)
    assert message in problem.message


@pytest.mark.parametrize("entry, field", [
    ("  - {words: Term Commitments, means: term_loan_outstanding}\n", "glossary.1.why"),  # no reason at all
    ("  - {words: Term Commitments, means: 'term_loan_outstanding +', why: a formula cut short}\n", "glossary.1.means"),
    ("  - {words: Term Commitments, means: term_loan_outstanding, why: x, note: y}\n", "glossary.1.note"),
])
def test_a_malformed_glossary_entry_is_refused_with_its_field(acme, entry, field):
    _with_glossary(acme, entry)
    assert field in [p.field for p in problems(acme)]
