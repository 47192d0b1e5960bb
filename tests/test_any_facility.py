"""Every command on every facility, names the facility declares, and the defects found by trying
facilities other than the seed (issue 6)."""
import json
import re
from datetime import date
from decimal import Decimal as D

import pytest
from typer.testing import CliRunner

from conftest import ACME, DNOW, RICHEY, SEED, copy_of, facility, flat, folder_facility
from loanbook.agreement.formula import FormulaError, evaluate, parse_formula, unit_of
from loanbook.agreement.load import load_agreement
from loanbook.cli import app
from loanbook.core.errors import InputError, RecordError
from loanbook.projection import explanation_json

runner = CliRunner()
BARE = ACME.parent / "bare"
WIDGET = ACME.parent / "widget"
DAYS = {SEED: "2002-10-15", DNOW: "2023-03-15", RICHEY: "1996-02-15", ACME: "2024-01-31", BARE: "2024-03-01",
        WIDGET: "2024-04-15"}


@pytest.mark.parametrize("folder", [SEED, DNOW, RICHEY, ACME, BARE, WIDGET], ids=lambda p: p.name)
def test_every_command_answers_on_every_facility(folder):
    day = DAYS[folder]
    f = ["--facility", str(folder)]
    commands = [["status", "--as-of", day, "--explain"], ["fees", "--as-of", day], ["obligations", "--as-of", day],
                ["payoff", "--on", day], ["conformed", "--as-of", day], ["check"],
                ["interest", "--from", day, "--to", day], ["timeline", "--from", day, "--to", day]]
    tranche = {DNOW: ["--tranche", "us_revolver"]}.get(folder, [])
    commands.append(["advance", "--on", day, "--amount", "1000.00", *tranche])
    engine_names = json.loads(runner.invoke(app, ["explain", "fees", "--as-of", day, *f, "--json"]).stdout)
    assert engine_names["figure"] == "fees_due"
    for args in commands:
        for form in ([], ["--json"]):
            result = runner.invoke(app, [*args, *f, *form])
            assert result.exit_code == 0, (args, result.output)
    status = json.loads(runner.invoke(app, ["status", "--as-of", day, *f, "--json"]).stdout)
    for name in ("borrowing_base", "availability", "excess_availability", "loans", "breaches", "overadvance"):
        assert name in status
    for figure in ("availability", "fees", "payoff", "interest"):
        assert runner.invoke(app, ["explain", figure, "--as-of", day, *f]).exit_code == 0


def test_a_facility_without_a_fee_or_an_overadvance_says_none():
    def ask(*args):
        result = runner.invoke(app, [*args, "--facility", str(BARE), "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)
    fees = ask("fees", "--as-of", "2024-03-01")
    assert fees["installments"] == [] and fees["charges"] == [] and fees["total_due"] == "0.00"
    status = ask("status", "--as-of", "2024-03-01")
    assert status["overadvance"] is None and status["overadvance_limit"] is None
    assert status["interest_accrued_unpaid"] is None  # no pricing clause: no figure, never zero
    # 80% x 500,000 = 400,000 - 100,000 = 300,000
    assert status["availability"] == "300000.00"
    interest = ask("interest", "--from", "2024-01-01", "--to", "2024-12-31")
    assert interest["priced"] is False and interest["months"] == []
    assert ask("covenants", "--as-of", "2024-03-01")["covenants"] == []
    assert ask("payoff", "--on", "2024-03-01")["interest"] is None


def test_a_later_payoff_never_unwaives(seed):
    rows = [{"date": "2002-10-25", "type": "amendment_executed", "amendment": "amendment-10"},
            {"date": "2002-11-20", "type": "fee_payment", "amount": "55000.00"},
            {"date": "2002-11-20", "type": "paid_in_full"}]
    engine = facility(seed, rows)
    # paid 15,000 (10/25) + 25,000 (10/31) + 15,000 (11/15) = 55,000; Full Payment on 11/20 (before 12/31) waives
    # 11/27 (25,000), 12/16 (30,000) and 12/31 (40,000)
    later = engine.payoff(date(2002, 12, 31))
    assert later.fees == D("0") and later.total == D("0") and later.would_waive == ()
    statuses = {s.due: s.status for s in engine.fees(date(2002, 12, 31)).installments}
    assert statuses[date(2002, 12, 16)] == statuses[date(2002, 12, 31)] == "waived"


def test_events_name_only_what_the_facility_declares(seed, tmp_path):
    events = tmp_path / "events.yaml"
    events.write_text("- {date: 2002-10-01, type: opening_balance, loan: revolver, amount: '1.00'}\n"
                      "- {date: 2002-10-02, type: contingent_issued, kind: letter_of_comfort, id: X, amount: '1.00'}\n"
                      "- {date: 2002-10-02, type: document_delivered, document: purchase_ofer}\n")
    result = runner.invoke(app, ["status", "--as-of", "2002-10-15", "--facility", str(SEED), "--events", str(events)])
    assert result.exit_code == 2
    assert "unknown tranche 'revolver'; this facility declares: advances, term_loan" in result.stderr
    assert "unknown contingent obligation kind 'letter_of_comfort'" in result.stderr
    assert "unknown document 'purchase_ofer'; this facility declares: purchase_offer," in result.stderr


def test_one_class_shorthand_needs_one_class(tmp_path):
    events = tmp_path / "events.yaml"
    events.write_text("- {date: 2023-01-03, type: borrowing_base_report, receivables_borrowing_base: '1.00'}\n")
    result = runner.invoke(app, ["status", "--as-of", "2023-01-03", "--facility", str(DNOW), "--events", str(events)])
    assert result.exit_code == 2 and "give values by class (us_rated_accounts, us_other_accounts" in result.stderr


@pytest.fixture
def acme(tmp_path):
    return copy_of(ACME, tmp_path)


def _problems(folder):
    with pytest.raises(InputError) as exc:
        load_agreement(folder)
    return "\n".join(str(p) for p in exc.value.problems)


def test_a_typo_in_a_formula_is_refused_with_its_place(acme):
    doc = acme / "documents" / "loan-agreement.yaml"
    doc.write_text(doc.read_text().replace("min(maximum_limit, borrowing_base_total)",
                                           "min(maximum_limit, borowing_base_total)"))
    text = _problems(acme)
    assert "loan-agreement.yaml: operation 1 (schedule.item-1)" in text
    assert "field 'borrowing_capacity.value'" in text and "unknown name 'borowing_base_total'" in text
    assert "did you mean 'borrowing_base_total'?" in text


def test_a_formula_of_the_wrong_unit_is_refused(acme):
    doc = acme / "documents" / "loan-agreement.yaml"
    doc.write_text(doc.read_text().replace('collateral: eligible_receivables, rate: "80"}',
                                           "collateral: eligible_receivables, rate: eligible_receivables}", 1))
    assert "'eligible_receivables' gives money, but rate is percent" in _problems(acme)


@pytest.mark.parametrize("text, refused", [
    ("max(prime, federal_funds + 0.5)", "0.5 beside a percentage is ambiguous: write 0.5% (0.5 percent) or 50% "
                                        "(0.5 as a fraction)"),
    ("federal_funds + 1/2", "1/2 beside a percentage is ambiguous"),   # the text's "1/2 of 1%", written bare
    ("prime + (1 + 0.5)", "1+0.5 beside a percentage is ambiguous"),
    ("prime - 1", "1 beside a percentage is ambiguous"),
    ("min(prime, 6)", "6 beside a percentage is ambiguous"),
    ("max(0, prime + 0.5%)", None),           # 0 is 0 in any unit; 0.5% says its unit
    ("0.5 * prime", None),                    # a number scales a rate: half of prime
    ("advance_rate * 2 - 10%", None),
    ("1 - advance_rate", None),               # the complement: the rest of the whole
    ("1 - 20%", None),
])
def test_a_bare_number_beside_a_percentage_is_refused(text, refused):
    """A new user wrote `federal_funds + 0.5` for the text's "1/2 of 1%": the formula added 50% (percentages
    are fractions in a formula) and the Alternate Base Rate came out at 55.60%."""
    units = {"prime": "percent", "federal_funds": "percent", "advance_rate": "percent"}.get
    formula = parse_formula(text)
    if refused is None:
        assert unit_of(formula, units) in ("percent", "any")  # 0.5 x a rate is left free (money or a rate)
    else:
        with pytest.raises(FormulaError, match=re.escape(refused)):
            unit_of(formula, units)


def test_a_folder_that_fails_the_check_computes_nothing_unless_unchecked(acme):
    """0.80 written for the text's 80%: the folder loads (a rate of 0.80% is a rate), and the fidelity check finds
    the difference; status refuses (it used to answer with a warning on stderr), and answers --unchecked saying so."""
    doc = acme / "documents" / "loan-agreement.yaml"
    good = runner.invoke(app, ["status", "--facility", str(acme), "--as-of", "2024-01-02"])
    assert good.exit_code == 0 and good.stderr == ""
    doc.write_text(doc.read_text().replace('collateral: eligible_receivables, rate: "80"}',
                                           'collateral: eligible_receivables, rate: "0.80"}', 1))
    result = runner.invoke(app, ["status", "--facility", str(acme), "--as-of", "2024-01-02"])
    assert result.exit_code == 2 and f"{acme} fails `loanbook check` (" in result.stderr
    unchecked = runner.invoke(app, ["status", "--facility", str(acme), "--as-of", "2024-01-02", "--unchecked"])
    assert unchecked.exit_code == 0 and unchecked.stdout.startswith(f"UNCHECKED: {acme} fails `loanbook check`")


def test_an_advance_before_the_agreement_takes_effect_is_refused_with_its_place(acme):
    """It used to pass the events and fail every command with an interest error naming no file or event."""
    events = acme / "events.yaml"
    events.write_text(events.read_text() + '- {date: 2023-12-01, type: advance, amount: "1000.00"}\n')
    result = runner.invoke(app, ["status", "--facility", str(acme), "--as-of", "2024-01-02"])
    assert result.exit_code == 2
    assert (f"{events}: event 4 (line 4): field 'date': 2023-12-01 is before the agreement takes effect "
            "(2024-01-02): nothing is lent or repaid under it yet") in result.stderr
    # a fee paid at signing, before the effective date, stays allowed
    events.write_text(events.read_text().replace('- {date: 2023-12-01, type: advance, amount: "1000.00"}',
                                                 '- {date: 2023-12-01, type: fee_payment, amount: "100.00"}'))
    assert runner.invoke(app, ["status", "--facility", str(acme), "--as-of", "2024-01-02"]).exit_code == 0


def test_an_unquoted_amount_with_commas_in_braces_is_explained(acme):
    """In {...} the commas of 3,500,000.00 end fields: the message says so once, instead of calling '000.00' an
    ambiguous number."""
    events = acme / "events.yaml"
    events.write_text(events.read_text() + "- {date: 2024-01-03, type: advance, amount: 3,500,000.00}\n")
    result = runner.invoke(app, ["status", "--facility", str(acme), "--as-of", "2024-01-03"])
    assert result.exit_code == 2
    assert result.stderr.count("is read as a field of its own") == 1
    assert (f"{events}: event 4 (line 4): '500' is read as a field of its own: in {{...}} a comma ends a field, so "
            'an amount written 3,500,000.00 splits in three; quote it ("3,500,000.00") or write 3500000.00'
            in result.stderr)


def test_a_misspelt_event_type_says_which_it_probably_means(acme):
    events = acme / "events.yaml"
    events.write_text(events.read_text() + '- {date: 2024-01-03, type: advnce, amount: "1.00"}\n')
    result = runner.invoke(app, ["status", "--facility", str(acme), "--as-of", "2024-01-03"])
    assert result.exit_code == 2
    assert "event 4 (line 4): field 'type': unknown event type 'advnce' (did you mean 'advance'?)" in result.stderr


@pytest.mark.parametrize("text, values, expected", [
    # Richey's Alternate Base Rate: the federal funds rate 7.8333% + 0.5% = 8.3333% is above prime 8.25%, and is
    # "rounded upwards ... to the next 1/100 of 1%": 8.34%
    ("round_up(max(prime, federal_funds + 0.5%), 0.01%)", {"prime": "0.0825", "federal_funds": "0.078333"},
     "0.0834"),
    ("round_up(max(prime, federal_funds + 0.5%), 0.01%)", {"prime": "0.0825", "federal_funds": "0.07"}, "0.0825"),
    ("round_down(cap, 1000.00)", {"cap": "1234567.89"}, "1234000.00"),   # down to a multiple of 1,000.00
    ("round_up(cap, 1000.00)", {"cap": "-1234567.89"}, "-1234000.00"),   # upwards: toward +infinity
    ("round_up(cap, 0.25)", {"cap": "3.01"}, "3.25"),
])
def test_rounding_to_a_step(text, values, expected):
    units = {"prime": "percent", "federal_funds": "percent", "cap": "money"}.get
    formula = parse_formula(text)
    unit_of(formula, units)
    assert evaluate(formula, lambda name: D(values[name])) == D(expected)


@pytest.mark.parametrize("text, refused", [
    ("round_up(prime, 0.01)", "0.01 beside a percentage is ambiguous"),
    ("round_up(prime, federal_funds)", "takes a step above zero written as a number"),
    ("round_up(prime, 0%)", "takes a step above zero written as a number"),
    ("round_up(prime)", "round_up(value, step), round_down(value, step)"),
])
def test_a_rounding_step_must_be_a_number_in_the_value_s_unit(text, refused):
    units = {"prime": "percent", "federal_funds": "percent"}.get
    with pytest.raises(FormulaError, match=re.escape(refused)):
        unit_of(parse_formula(text), units)


def test_a_bare_number_beside_a_percentage_is_refused_in_a_folder_with_its_place(acme):
    doc = acme / "documents" / "loan-agreement.yaml"
    doc.write_text(doc.read_text().replace('collateral: eligible_receivables, rate: "80"}',
                                           'collateral: eligible_receivables, rate: "75% + 5"}', 1))
    text = _problems(acme)
    assert "loan-agreement.yaml: operation 1 (schedule.item-1)" in text
    assert "in '75% + 5': 5 beside a percentage is ambiguous" in text


def test_a_schedule_where_one_formula_is_taken_says_so():
    with pytest.raises(FormulaError, match="this field takes one formula, not a schedule or a step-down"):
        parse_formula({"schedule": [{"from": "2024-01-01", "value": "1"}]})


def test_formulas_allow_only_the_language(acme):
    doc = acme / "documents" / "loan-agreement.yaml"
    doc.write_text(doc.read_text().replace("min(maximum_limit, borrowing_base_total) - letters_of_credit",
                                           "__import__('os').system('true')", 1))
    assert "is not part of the formula language" in _problems(acme)


def test_the_prime_series_message_gives_its_start_and_end(acme):
    (acme / "events.yaml").write_text('- {date: 2024-01-02, type: opening_balance, loan: advances, amount: "1.00"}\n')
    agreement = load_agreement(acme)
    engine = folder_facility(acme, agreement)
    with pytest.raises(RecordError, match="runs from 1995-02-01 to 2003-12-31"):
        engine.interest_unpaid(date(2024, 1, 5))


def test_a_usage_that_is_a_sum_is_explained_in_parentheses(acme):
    """Availability is capacity less usage; a usage of two terms is subtracted whole, and the explanation says so
    (it showed `capacity - advances + letters_of_credit`, which reads as adding the letters of credit)."""
    doc = acme / "documents" / "loan-agreement.yaml"
    text = doc.read_text()
    old = "value: min(maximum_limit, borrowing_base_total) - letters_of_credit\n        capacity: borrowing_capacity"
    assert old in text
    doc.write_text(text.replace(old, "value: min(maximum_limit, borrowing_base_total)\n        capacity: "
                                     "borrowing_capacity\n        usage: advances_outstanding + letters_of_credit", 1))
    engine = folder_facility(acme, load_agreement(acme))
    tree = explanation_json(engine.explain("availability", date(2024, 1, 2)))
    assert tree["formula"] == "max(0, borrowing_capacity - (advances_outstanding + letters_of_credit))"
    # min(1,000,000.00, 80% x 1,000,000.00 = 800,000.00) - (500,000.00 advanced + 0 letters of credit)
    assert D(tree["value"]) == D("300000.00")


def test_the_explanation_is_the_definition(seed):
    engine = facility(seed, [{"date": "2002-10-01", "type": "borrowing_base_report",
                              "receivables_borrowing_base": "1000000.00"}])
    tree = explanation_json(engine.explain("availability", date(2002, 10, 2)))
    assert tree["formula"] == "max(0, borrowing_capacity - advances_outstanding)"
    capacity = tree["inputs"][0]
    assert capacity["figure"] == "borrowing_capacity"
    assert capacity["formula"] == ("min(maximum_limit, iec_borrowing_capacity) - (bankers_acceptances + "
                                   "letters_of_guaranty + letters_of_credit)")
    assert [i["figure"] for i in capacity["inputs"]] == ["maximum_limit", "iec_borrowing_capacity",
                                                        "bankers_acceptances", "letters_of_guaranty",
                                                        "letters_of_credit"]
    # advance_rate is a percentage and prints as one
    rate = capacity["inputs"][1]["inputs"][0]["inputs"][0]
    assert (rate["figure"], rate["value"], rate["unit"]) == ("advance_rate", "85.00", "percent")
    assert flat(engine.status(date(2002, 10, 2)))["availability"] == D("850000.00")
