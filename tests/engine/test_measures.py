"""Measures that were never reported: a grid takes the level its agreement sets until a certificate reports (and
says so), or refuses to guess; a covenant without its certificate is not_reported, neither met nor breached; a
money measure may be a loss where it says so; a value of the wrong unit names the unit expected."""
import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from conftest import FIXTURES, facility
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError, RecordError
from loanbook.projection import explanation_json

WIDGET = FIXTURES / "widget"
OPENING = [{"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"},
           {"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": "1000000.00"}]


@pytest.fixture
def widget(tmp_path):
    """The widget with no level forced at the start: until a Compliance Certificate, the grid has no level."""
    folder = tmp_path / "widget"
    shutil.copytree(WIDGET, folder)
    doc = folder / "documents" / "credit-agreement.yaml"
    text = doc.read_text()
    forced = "        forced:\n          - {level: I, from: 2024-01-02, to: 2024-03-31}\n"
    assert forced in text
    doc.write_text(text.replace(forced, ""))
    return folder


def with_until_reported(folder: Path, level: str) -> Path:
    doc = folder / "documents" / "credit-agreement.yaml"
    doc.write_text(doc.read_text().replace("        while_default: I\n",
                                           f"        while_default: I\n        until_reported: {level}\n", 1))
    return folder


def test_a_grid_with_no_report_and_no_level_until_reported_refuses_to_guess(widget):
    engine = facility(load_agreement(widget), OPENING)
    with pytest.raises(RecordError, match="no compliance_certificate has reported leverage_ratio yet.*until_reported"):
        engine.book(date(2024, 1, 15)).value("applicable_margin")


def test_a_grid_takes_its_level_until_reported_and_says_so(widget):
    engine = facility(load_agreement(with_until_reported(widget, "II")), OPENING)
    book = engine.book(date(2024, 1, 15))
    assert book.value("applicable_margin") == D("0.75")  # level II's margin, by the grid's column
    why = book.explain("applicable_margin")
    assert "no compliance_certificate has reported leverage_ratio yet: level II until one does" in why.formula
    # a certificate reporting 3.50 (level I: 3.00 and above) delivered 2024-02-10 takes effect the next month
    certified = facility(load_agreement(widget), OPENING + [
        {"date": "2024-02-10", "type": "document_delivered", "document": "compliance_certificate",
         "period_end": "2024-01-31", "figures": {"leverage_ratio": "3.50", "ebitda": "100000.00",
                                                 "fixed_charges": "50000.00"}}])
    assert certified.book(date(2024, 3, 1)).value("applicable_margin") == D("1.00")


def test_until_reported_names_a_level_of_the_grid(widget):
    with pytest.raises(InputError, match="forced level 'IV' is not one of the levels"):
        load_agreement(with_until_reported(widget, "IV"))


def test_a_covenant_without_its_certificate_is_not_reported_never_zero():
    engine = facility(load_agreement(WIDGET), OPENING)
    results = [r for r in engine.covenant_tests(date(2024, 2, 15)) if r.covenant == "fixed_charge_coverage"]
    assert results and all(r.status in ("not_reported", "certificate_late") and r.measure is None for r in results)


def test_an_unreported_measure_says_so_in_its_explanation():
    engine = facility(load_agreement(WIDGET), OPENING)
    leaf = engine.book(date(2024, 1, 15)).explain("past_due_payables")
    assert explanation_json(leaf)["not_reported"] is True and "not reported yet" in leaf.source


def test_a_money_measure_may_be_a_loss_where_it_says_signed(tmp_path):
    folder = tmp_path / "widget"
    shutil.copytree(WIDGET, folder)
    agreement = load_agreement(folder)
    loss = {"date": "2024-01-10", "type": "measure_reported", "measure": "past_due_payables", "value": "-5000.00"}
    with pytest.raises(InputError, match="past_due_payables must not be negative.*says signed: true"):
        facility(agreement, OPENING + [loss])
    vocabulary = folder / "facility.yaml"
    vocabulary.write_text(vocabulary.read_text().replace(
        "{id: past_due_payables, label: trade payables unpaid more than 60 days after due, unit: money}",
        "{id: past_due_payables, label: trade payables unpaid more than 60 days after due, unit: money, signed: true}"))
    engine = facility(load_agreement(folder), OPENING + [loss])
    assert engine.book(date(2024, 1, 15)).value("past_due_payables") == D("-5000.00")


def test_a_value_of_the_wrong_unit_names_the_unit_expected():
    agreement = load_agreement(WIDGET)
    with pytest.raises(InputError, match=r"net_recovery_rate is a percentage in percent, like \"4.25\""):
        facility(agreement, OPENING + [{"date": "2024-01-10", "type": "measure_reported",
                                        "measure": "net_recovery_rate", "value": "$55,000.00"}])
