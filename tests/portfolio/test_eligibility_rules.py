"""Eligible receivables from an aging, against arithmetic worked by hand from docs/eligibility.md
("The rules, in order", 1-8, and its two public worked examples). Every certificate is also checked for
gross - sum(categories) == eligible (rule 6)."""
from datetime import date, timedelta
from decimal import Decimal as D
from itertools import count

import pytest

from conftest import SPARK
from loanbook.portfolio.aging import invoices_from_rows
from loanbook.portfolio.rules import EligibilityRules, certificate

AS_OF = date(2024, 3, 31)
CATEGORIES = {"affiliates", "foreign", "government", "disputed", "bill_and_hold", "consignment",
              "progress_billing", "aging", "credit_balances", "cross_aging", "contra", "concentration"}
FLAGS = {"affiliate", "foreign", "insured", "government", "assigned", "disputed", "bill_and_hold",
         "consignment", "progress_billing"}
_ids = count(1)


def inv(debtor, amount, age, past_due=None, **flags):
    """One aging row of `debtor` for `amount` (negative: a credit), `age` days from invoice on AS_OF; due 30
    days after the invoice unless `past_due` (days past due on AS_OF) is given."""
    invoice_date = AS_OF - timedelta(days=age)
    due_date = AS_OF - timedelta(days=past_due) if past_due is not None else invoice_date + timedelta(days=30)
    row = {"debtor_id": debtor, "debtor_name": f"{debtor} Corp", "invoice_id": f"INV-{next(_ids):05d}",
           "invoice_date": invoice_date, "due_date": due_date, "amount": f"{D(amount):.2f}"}
    payable = flags.pop("payable_to_debtor", None)
    unknown = set(flags) - FLAGS
    assert not unknown, unknown
    row.update({flag: bool(value) for flag, value in flags.items()})
    if payable is not None:
        row["payable_to_debtor"] = D(payable)
    return row


def run(rows, engine=None, **rules):
    """The certificate for `rows` under EligibilityRules(**rules) on AS_OF, with rule 6 checked."""
    invoices = invoices_from_rows(rows)
    kwargs = {} if engine is None else {"engine": engine}
    cert = certificate(EligibilityRules(**rules), invoices, AS_OF, **kwargs)
    assert set(cert.categories) == CATEGORIES
    # rule 6: eligible = gross (every row) - the categories of rules 1 to 5
    assert cert.gross - sum(cert.categories.values(), D(0)) == cert.eligible
    # the gross is every row
    assert cert.gross == sum((D(r["amount"]) for r in rows), D(0))
    return cert


def categories(cert, **expected):
    """Assert the categories named in `expected` have those amounts and every other category is 0.00."""
    want = {name: D("0") for name in CATEGORIES}
    want.update({name: D(value) for name, value in expected.items()})
    assert {k: D(v) for k, v in cert.categories.items()} == want


# --- 1. the two public worked examples ---------------------------------------------------------------

def test_public_example_aging_at_75_percent():
    rows = [inv("A", "600000.00", 20), inv("B", "350000.00", 45), inv("C", "50000.00", 120)]
    c = run(rows, aging_invoice_days=90, advance_percent=D("75"))
    assert c.gross == D("1000000.00")
    categories(c, aging="50000.00")
    assert c.eligible == D("950000.00")                       # 1,000,000 - 50,000 over 90 days
    assert c.dilution == D("0")
    assert c.value == D("712500.00")                          # (1,000,000 - 50,000) x 75% = 712,500


def test_public_example_concentration_at_85_percent():
    rows = [inv("BIG", "40000000.00", 30), inv("B", "20000000.00", 30), inv("C", "20000000.00", 30),
            inv("D", "20000000.00", 30)]
    c = run(rows, concentration_percent=D("25"), advance_percent=D("85"))
    assert c.gross == D("100000000.00")
    # T = 100,000,000; limit 25% x T = 25,000,000; BIG 40,000,000 - 25,000,000 = 15,000,000 (others at 20M)
    categories(c, concentration="15000000.00")
    assert c.eligible == D("85000000.00")                     # 100,000,000 - 15,000,000
    assert c.value == D("72250000.00")                        # (100,000,000 - 15,000,000) x 85% = 72,250,000


# --- 2. each rule alone ------------------------------------------------------------------------------

FLAG_RULES = [  # (rule field, category, row flag)
    ("affiliates", "affiliates", "affiliate"),
    ("foreign", "foreign", "foreign"),
    ("government", "government", "government"),
    ("disputed", "disputed", "disputed"),
    ("bill_and_hold", "bill_and_hold", "bill_and_hold"),
    ("consignment", "consignment", "consignment"),
    ("progress_billing", "progress_billing", "progress_billing"),
]


@pytest.mark.parametrize("rule,category,flag", FLAG_RULES)
def test_flag_rule_alone(rule, category, flag):
    rows = [inv("A", "250.00", 10, **{flag: True}), inv("A", "700.00", 10), inv("B", "50.00", 5)]
    c = run(rows, **{rule: True})
    assert c.gross == D("1000.00")                            # 250 + 700 + 50
    categories(c, **{category: "250.00"})                     # the flagged row
    assert c.eligible == D("750.00")                          # 1,000 - 250
    assert c.value == D("750.00")                             # no dilution, no advance rate: 100%


@pytest.mark.parametrize("rule,category,flag", FLAG_RULES)
def test_flag_without_its_rule_is_eligible(rule, category, flag):
    rows = [inv("A", "250.00", 10, **{flag: True}), inv("A", "750.00", 10)]
    c = run(rows)                                             # the rule is off: the flag takes nothing
    categories(c)
    assert c.eligible == D("1000.00")                         # 250 + 750


def test_foreign_insured_stays_eligible():
    rows = [inv("F", "400.00", 10, foreign=True), inv("G", "600.00", 10, foreign=True, insured=True)]
    c = run(rows, foreign=True)
    categories(c, foreign="400.00")                           # foreign and not insured only
    assert c.eligible == D("600.00")                          # 1,000 - 400: the insured foreign invoice stays


def test_government_assigned_stays_eligible():
    rows = [inv("G", "300.00", 10, government=True), inv("H", "700.00", 10, government=True, assigned=True)]
    c = run(rows, government=True)
    categories(c, government="300.00")                        # government and not assigned only
    assert c.eligible == D("700.00")                          # 1,000 - 300: the assigned claim stays


def test_aging_by_days_from_invoice():
    rows = [inv("A", "100.00", 30), inv("A", "200.00", 91), inv("B", "300.00", 200), inv("B", "400.00", 60)]
    c = run(rows, aging_invoice_days=90)
    assert c.gross == D("1000.00")
    categories(c, aging="500.00")                             # 200 (91 days) + 300 (200 days) > 90 days
    assert c.eligible == D("500.00")                          # 1,000 - 500


def test_aging_by_days_past_due():
    rows = [inv("A", "100.00", 91, past_due=61),              # 61 days past due > 60: aged
            inv("A", "200.00", 150, past_due=10),             # old from invoice, but only 10 past due: eligible
            inv("B", "300.00", 120, past_due=90),             # aged
            inv("B", "400.00", 40, past_due=10)]
    c = run(rows, aging_due_days=60)
    categories(c, aging="400.00")                             # 100 + 300
    assert c.eligible == D("600.00")                          # 1,000 - 400


def test_aging_by_either_limit():
    rows = [inv("A", "100.00", 100, past_due=5),              # > 90 from invoice
            inv("A", "200.00", 80, past_due=65),              # > 60 past due
            inv("A", "300.00", 90, past_due=60),              # exactly at both limits: eligible
            inv("A", "400.00", 20)]
    c = run(rows, aging_invoice_days=90, aging_due_days=60)
    categories(c, aging="300.00")                             # 100 + 200
    assert c.eligible == D("700.00")                          # 1,000 - 300


def test_aging_more_than_n_days_boundary():
    rows = [inv("A", "100.00", 90, past_due=10),             # exactly 90 from invoice
            inv("A", "10.00", 91, past_due=10),               # 91 from invoice
            inv("B", "1.00", 80, past_due=61),                # 61 past due
            inv("B", "1000.00", 70, past_due=60)]             # exactly 60 past due
    c = run(rows, aging_invoice_days=90)
    categories(c, aging="10.00")                              # 91 days: 10; exactly 90 days is eligible
    assert c.eligible == D("1101.00")                         # 1,111 - 10
    c = run(rows, aging_due_days=60)
    categories(c, aging="1.00")                               # 61 past due: 1; exactly 60 past due is eligible
    assert c.eligible == D("1110.00")                         # 1,111 - 1


def test_aged_credit_nets_in_the_aging_category():
    rows = [inv("A", "500.00", 120), inv("A", "-100.00", 120), inv("A", "1000.00", 10)]
    c = run(rows, aging_invoice_days=90)
    assert c.gross == D("1400.00")                            # 500 - 100 + 1,000
    categories(c, aging="400.00")                             # 500 - 100: the aged credit nets (rule 1)
    assert c.eligible == D("1000.00")                         # 1,400 - 400


def test_credit_balances_old_credit_added_back_recent_not():
    rows = [inv("A", "1000.00", 10), inv("A", "-100.00", 120), inv("B", "-30.00", 10), inv("B", "500.00", 5)]
    c = run(rows, aging_invoice_days=90, credit_invoice_days=90)
    assert c.gross == D("1370.00")                            # 1,000 - 100 - 30 + 500
    # rule 1: the 120-day credit is aged: aging = -100; rule 2: it is added back, |-100| = 100; the 10-day credit
    # stays in the eligible rows (and keeps reducing them)
    categories(c, aging="-100.00", credit_balances="100.00")
    assert c.eligible == D("1370.00")                         # 1,370 - (-100) - 100: the old credit counts once
    without = run(rows, aging_invoice_days=90)
    assert without.eligible == D("1470.00")                   # 1,370 - (-100): without rule 2 an old credit drops out


def test_credit_balances_only_takes_back_what_the_aging_rule_took():
    """A credit still among the eligible rows already reduces them: rule 2 adds back only aged credits."""
    rows = [inv("A", "1000.00", 10), inv("A", "-100.00", 120)]
    c = run(rows, credit_invoice_days=90)                     # no aging rule: the old credit stays in the rows
    categories(c)
    assert c.eligible == D("900.00")                          # 1,000 - 100, counted once


def test_credit_balances_by_days_past_due():
    rows = [inv("A", "1000.00", 10), inv("A", "-40.00", 100, past_due=70), inv("A", "-25.00", 100, past_due=20)]
    c = run(rows, aging_due_days=60, credit_due_days=60)
    assert c.gross == D("935.00")                             # 1,000 - 40 - 25
    categories(c, aging="-40.00", credit_balances="40.00")    # -40 is 70 past due > 60: aged, then added back;
    assert c.eligible == D("935.00") - D("-40.00") - D("40.00")  # -25 is 20 past due: eligible; = 935


def test_old_credit_with_the_aging_rule_leaves_the_aged_bucket():
    rows = [inv("X", "1000.00", 120), inv("X", "-100.00", 120), inv("X", "2000.00", 10), inv("X", "-50.00", 10)]
    c = run(rows, aging_invoice_days=90, credit_invoice_days=90)
    assert c.gross == D("2850.00")                            # 1,000 - 100 + 2,000 - 50
    # rule 1: aging = 1,000 - 100 = 900 (credits included); rule 2: the old credit added back, |-100| = 100
    categories(c, aging="900.00", credit_balances="100.00")
    assert c.eligible == D("1850.00")                         # 2,850 - 900 - 100 = 2,000 - 50 - 100


def test_cross_aging_at_the_percent_exactly():
    rows = [inv("P", "500.00", 100), inv("P", "500.00", 10), inv("Q", "1000.00", 10)]
    c = run(rows, cross_percent=D("50"), cross_invoice_days=90)
    # P: aged share 500 / (500 + 500) = 50% >= 50%: its eligible balance 1,000 is ineligible
    categories(c, cross_aging="1000.00")
    assert c.eligible == D("1000.00")                         # 2,000 - 1,000 (Q stays)


def test_cross_aging_just_below_the_percent():
    rows = [inv("P", "499.99", 100), inv("P", "500.01", 10), inv("Q", "1000.00", 10)]
    c = run(rows, cross_percent=D("50"), cross_invoice_days=90)
    # P: aged share 499.99 / 1,000 = 49.999% < 50%: nothing taken
    categories(c)
    assert c.eligible == D("2000.00")


def test_cross_aging_by_days_past_due():
    rows = [inv("P", "600.00", 100, past_due=70), inv("P", "400.00", 100, past_due=20), inv("Q", "300.00", 10)]
    c = run(rows, cross_percent=D("60"), cross_due_days=60)
    # P: 600 is 70 past due > 60; aged share 600 / 1,000 = 60% >= 60%: 1,000 ineligible
    categories(c, cross_aging="1000.00")
    assert c.eligible == D("300.00")                          # 1,300 - 1,000


def test_cross_aging_debtor_with_net_credit_stays_in():
    rows = [inv("N", "600.00", 100), inv("N", "-1000.00", 10), inv("M", "1000.00", 10)]
    c = run(rows, cross_percent=D("50"), cross_invoice_days=90)
    # N: aged share 600 / 600 = 100% but its balance 600 - 1,000 = -400 is not above zero: stays in
    categories(c)
    assert c.gross == D("600.00")                             # 600 - 1,000 + 1,000
    assert c.eligible == D("600.00")                          # M 1,000 + N -400: the credit keeps reducing it


def test_contra_payable_smaller_and_larger_than_the_balance():
    rows = [inv("A", "600.00", 10, payable_to_debtor="200.00"), inv("A", "400.00", 20, payable_to_debtor="100.00"),
            inv("B", "500.00", 10, payable_to_debtor="800.00"),
            inv("C", "100.00", 10, payable_to_debtor="50.00"), inv("C", "-200.00", 10),
            inv("E", "700.00", 10)]
    c = run(rows, contra=True)
    assert c.gross == D("2100.00")                            # 1,000 + 500 - 100 + 700
    # A: lesser of balance 1,000 and payable 200 + 100 = 300 -> 300
    # B: lesser of balance 500 and payable 800 -> 500
    # C: balance -100 is not above zero -> 0; E: no payable -> 0
    categories(c, contra="800.00")                            # 300 + 500
    assert c.eligible == D("1300.00")                         # 2,100 - 800


def test_concentration_one_debtor_over_and_one_at_the_limit():
    rows = [inv("A", "400.00", 10), inv("B", "300.00", 10), inv("C", "300.00", 10)]
    c = run(rows, concentration_percent=D("30"))
    # T = 1,000; limit 30% = 300; A 400 - 300 = 100; B and C at 300 exactly: nothing above
    categories(c, concentration="100.00")
    assert c.eligible == D("900.00")                          # 1,000 - 100


def test_concentration_two_debtors_over():
    rows = [inv("A", "400.00", 10), inv("B", "300.00", 10), inv("C", "200.00", 10), inv("D", "100.00", 10)]
    c = run(rows, concentration_percent=D("25"))
    # T = 1,000; limit 25% = 250; A 400 - 250 = 150; B 300 - 250 = 50
    categories(c, concentration="200.00")
    assert c.eligible == D("800.00")                          # 1,000 - 200


def test_concentration_limit_rounded_half_up():
    rows = [inv("A", "500.00", 10), inv("B", "200.00", 10), inv("C", "200.00", 10), inv("D", "100.02", 10)]
    c = run(rows, concentration_percent=D("25"))
    # T = 1,000.02; 25% x 1,000.02 = 250.005 -> 250.01 (half-up); A 500.00 - 250.01 = 249.99
    categories(c, concentration="249.99")
    assert c.eligible == D("750.03")                          # 1,000.02 - 249.99


def test_concentration_on_t_after_the_invoice_rules():
    rows = [inv("A", "400.00", 10), inv("A", "200.00", 120), inv("B", "400.00", 10)]
    c = run(rows, aging_invoice_days=90, concentration_percent=D("25"))
    # rule 1: aging 200; T = A 400 + B 400 = 800; limit 25% = 200; A 400 - 200 = 200; B 400 - 200 = 200
    categories(c, aging="200.00", concentration="400.00")
    assert c.eligible == D("400.00")                          # 1,000 - 200 - 400


def test_dilution_reserve_rounded_half_up():
    rows = [inv("A", "100.20", 10)]
    c = run(rows, dilution_percent=D("2.5"))
    assert c.eligible == D("100.20")
    assert c.dilution == D("2.51")                            # 2.5% x 100.20 = 2.505 -> 2.51 (half-up)
    assert c.value == D("97.69")                              # (100.20 - 2.51) x 100% = 97.69


def test_dilution_then_advance_rate_both_rounded_half_up():
    rows = [inv("A", "100.20", 10)]
    c = run(rows, dilution_percent=D("2.5"), advance_percent=D("50"))
    assert c.dilution == D("2.51")                            # 2.5% x 100.20 = 2.505 -> 2.51
    assert c.value == D("48.85")                              # (100.20 - 2.51) x 50% = 48.845 -> 48.85


def test_dilution_and_advance_rate_round_figures():
    rows = [inv("A", "6000.00", 10), inv("B", "4000.00", 10)]
    c = run(rows, dilution_percent=D("2"), advance_percent=D("85"))
    assert c.eligible == D("10000.00")
    assert c.dilution == D("200.00")                          # 2% x 10,000 = 200
    assert c.value == D("8330.00")                            # (10,000 - 200) x 85% = 8,330


def test_advance_rate_rounded_half_up_at_a_half_cent():
    rows = [inv("A", "1000.10", 10)]
    c = run(rows, advance_percent=D("85"))
    assert c.eligible == D("1000.10")
    assert c.dilution == D("0")
    assert c.value == D("850.09")                             # 1,000.10 x 85% = 850.085 -> 850.09 (half-up)
    c = run([inv("A", "0.01", 10)], advance_percent=D("50"))
    assert c.value == D("0.01")                               # 0.01 x 50% = 0.005 -> 0.01 (half-up)


# --- 3. the order ------------------------------------------------------------------------------------

ALL_INVOICE_RULES = {"affiliates": True, "foreign": True, "government": True, "disputed": True,
                     "bill_and_hold": True, "consignment": True, "progress_billing": True,
                     "aging_invoice_days": 90}


def test_affiliate_and_disputed_counts_once_as_affiliates():
    rows = [inv("A", "300.00", 10, affiliate=True, disputed=True), inv("B", "700.00", 10)]
    c = run(rows, **ALL_INVOICE_RULES)
    categories(c, affiliates="300.00")                        # once, in the first category: affiliates
    assert c.eligible == D("700.00")                          # 1,000 - 300


def test_disputed_and_aged_counts_once_as_disputed():
    rows = [inv("A", "300.00", 120, disputed=True), inv("B", "700.00", 10)]
    c = run(rows, **ALL_INVOICE_RULES)
    categories(c, disputed="300.00")                          # disputed comes before aging
    assert c.eligible == D("700.00")                          # 1,000 - 300


def test_first_applicable_category_in_the_documented_order():
    rows = [inv("A", "1.00", 10, foreign=True, government=True),                   # foreign
            inv("A", "2.00", 10, foreign=True, insured=True, government=True),     # insured: government
            inv("A", "4.00", 10, government=True, assigned=True, disputed=True),   # assigned: disputed
            inv("A", "8.00", 10, bill_and_hold=True, consignment=True, progress_billing=True),  # bill_and_hold
            inv("A", "16.00", 10, consignment=True, progress_billing=True),        # consignment
            inv("A", "32.00", 120, progress_billing=True),                          # progress_billing, not aging
            inv("A", "64.00", 120, foreign=True, insured=True),                     # insured: aging
            inv("A", "128.00", 10, affiliate=True, foreign=True, government=True, disputed=True,
                bill_and_hold=True, consignment=True, progress_billing=True),       # affiliates
            inv("B", "1000.00", 10)]
    c = run(rows, **ALL_INVOICE_RULES)
    assert c.gross == D("1255.00")                            # 1 + 2 + 4 + 8 + 16 + 32 + 64 + 128 + 1,000
    categories(c, affiliates="128.00", foreign="1.00", government="2.00", disputed="4.00", bill_and_hold="8.00",
               consignment="16.00", progress_billing="32.00", aging="64.00")
    assert c.eligible == D("1000.00")                         # 1,255 - 255: each row counted once


def test_a_rule_that_is_off_passes_the_row_to_the_next():
    rows = [inv("A", "300.00", 10, affiliate=True, disputed=True), inv("B", "700.00", 10)]
    c = run(rows, disputed=True)                              # affiliates off: the row is disputed
    categories(c, disputed="300.00")
    assert c.eligible == D("700.00")


def test_credit_in_a_flag_category_is_not_added_back():
    rows = [inv("A", "300.00", 10, disputed=True), inv("A", "-80.00", 120, disputed=True),
            inv("B", "1000.00", 10)]
    c = run(rows, disputed=True, credit_invoice_days=90)
    assert c.gross == D("1220.00")                            # 300 - 80 + 1,000
    # disputed = 300 - 80 = 220 (credits included); the old disputed credit is not added back
    categories(c, disputed="220.00")
    assert c.eligible == D("1000.00")                         # 1,220 - 220


def test_cross_aging_takes_the_balance_after_rules_1_and_2():
    rows = [inv("X", "600.00", 120), inv("X", "400.00", 10), inv("X", "100.00", 10, disputed=True),
            inv("X", "-50.00", 120), inv("Y", "1000.00", 10)]
    c = run(rows, disputed=True, aging_invoice_days=90, credit_invoice_days=90,
            cross_percent=D("50"), cross_invoice_days=90)
    assert c.gross == D("2050.00")                            # 600 + 400 + 100 - 50 + 1,000
    # rule 1: aging 600 - 50 = 550, disputed 100; rule 2: |-50| = 50 added back
    # X aged share 600 / 1,100 (or / 1,000) >= 50%: X's balance 400 - 50 = 350 is cross-aged (not 1,000)
    categories(c, aging="550.00", disputed="100.00", credit_balances="50.00", cross_aging="350.00")
    assert c.eligible == D("1000.00")                         # 2,050 - 550 - 100 - 50 - 350 (Y stays)


def test_contra_before_concentration_changes_t():
    rows = [inv("A", "500.00", 10, payable_to_debtor="100.00"), inv("B", "300.00", 10), inv("C", "200.00", 10)]
    c = run(rows, contra=True, concentration_percent=D("25"))
    # contra: A lesser of 500 and 100 = 100; balances A 400, B 300, C 200: T = 900
    # limit 25% x 900 = 225; A 400 - 225 = 175; B 300 - 225 = 75; C under: 250
    categories(c, contra="100.00", concentration="250.00")
    assert c.eligible == D("650.00")                          # 1,000 - 100 - 250 (not 700, with T = 1,000)


def test_cross_aged_debtor_has_no_balance_left_for_contra():
    rows = [inv("P", "800.00", 120), inv("P", "200.00", 10, payable_to_debtor="150.00"), inv("Q", "500.00", 10)]
    c = run(rows, cross_percent=D("50"), cross_invoice_days=90, contra=True)
    # P: aged share 800 / 1,000 = 80%: its balance 1,000 is cross-aged; contra then finds 0 above zero
    categories(c, cross_aging="1000.00")
    assert c.eligible == D("500.00")                          # 1,500 - 1,000


# --- 4. no rules -------------------------------------------------------------------------------------

def test_no_rule_facility_eligible_is_gross():
    rows = [inv("A", "1000.00", 400, affiliate=True, disputed=True), inv("B", "2500.50", 10, foreign=True),
            inv("C", "-120.25", 200), inv("D", "5000.00", 30, payable_to_debtor="4000.00")]
    c = run(rows)
    assert c.gross == D("8380.25")                            # 1,000 + 2,500.50 - 120.25 + 5,000
    categories(c)
    assert c.eligible == D("8380.25")                         # nothing taken
    assert c.dilution == D("0")
    assert c.value == D("8380.25")                            # no reserve, 100%


# --- 5. the debtors ----------------------------------------------------------------------------------

def test_debtors_sorted_by_ineligible_largest_first():
    rows = [inv("A", "250.00", 10, affiliate=True), inv("B", "500.00", 120), inv("B", "100.00", 10),
            inv("C", "900.00", 10), inv("D", "200.00", 10)]
    c = run(rows, affiliates=True, aging_invoice_days=90, concentration_percent=D("50"))
    assert c.gross == D("1950.00")                            # 250 + 500 + 100 + 900 + 200
    # balances after rules 1-4: B 100, C 900, D 200: T = 1,200; limit 50% = 600; C 900 - 600 = 300
    categories(c, affiliates="250.00", aging="500.00", concentration="300.00")
    assert c.eligible == D("900.00")                          # 1,950 - 1,050 = B 100 + C 600 + D 200
    listed = [(d.debtor_id, d.debtor_name, D(d.ineligible)) for d in c.debtors if d.ineligible != 0]
    # B 500 (aging), C 300 (concentration), A 250 (affiliates); D none
    assert listed == [("B", "B Corp", D("500.00")), ("C", "C Corp", D("300.00")), ("A", "A Corp", D("250.00"))]
    amounts = [d.ineligible for d in c.debtors]
    assert amounts == sorted(amounts, reverse=True)


# --- every rule at once, on both engines -------------------------------------------------------------

def combined_rows():
    return [
        inv("AFF", "1000.00", 10, affiliate=True),
        inv("FOR", "2000.00", 10, foreign=True), inv("FOR", "500.00", 10, foreign=True, insured=True),
        inv("GOV", "700.00", 10, government=True), inv("GOV", "300.00", 10, government=True, assigned=True),
        inv("DIS", "400.00", 120, disputed=True),
        inv("OLD", "3000.00", 120), inv("OLD", "1000.00", 30), inv("OLD", "-200.00", 100),
        inv("CON", "5000.00", 20, payable_to_debtor="1500.00"),
        inv("BIG", "10000.00", 20), inv("BIG", "1000.00", 100),
        inv("SML", "2000.00", 5),
    ]


COMBINED_RULES = dict(affiliates=True, foreign=True, government=True, disputed=True, aging_invoice_days=90,
                      credit_invoice_days=90, cross_percent=D("50"), cross_invoice_days=90, contra=True,
                      concentration_percent=D("40"), dilution_percent=D("2"), advance_percent=D("80"))


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
def test_every_rule_at_once(engine):
    c = run(combined_rows(), engine=engine, **COMBINED_RULES)
    # gross: 1,000 + 2,500 + 1,000 + 400 + 3,800 + 5,000 + 11,000 + 2,000 = 26,700
    assert c.gross == D("26700.00")
    # rule 1: affiliates 1,000; foreign 2,000 (insured 500 stays); government 700 (assigned 300 stays);
    #   disputed 400 (aged too, counted once); aging OLD 3,000 - 200 + BIG 1,000 = 3,800
    # rule 2: OLD's 100-day credit added back: 200
    # rule 3: OLD aged share 3,000 / 4,000 = 75%: balance 1,000 - 200 = 800; BIG 1,000 / 11,000 = 9%: stays
    # rule 4: CON lesser of 5,000 and 1,500 = 1,500
    # rule 5: T = FOR 500 + GOV 300 + CON 3,500 + BIG 10,000 + SML 2,000 = 16,300; limit 40% = 6,520;
    #   BIG 10,000 - 6,520 = 3,480
    categories(c, affiliates="1000.00", foreign="2000.00", government="700.00", disputed="400.00",
               aging="3800.00", credit_balances="200.00", cross_aging="800.00", contra="1500.00",
               concentration="3480.00")
    assert c.eligible == D("12820.00")                        # 26,700 - 13,880 = 500 + 300 + 3,500 + 6,520 + 2,000
    assert c.dilution == D("256.40")                          # 2% x 12,820 = 256.40
    assert c.value == D("10050.88")                           # (12,820 - 256.40) x 80% = 10,050.88
    listed = [(d.debtor_id, D(d.ineligible)) for d in c.debtors if d.ineligible != 0]
    # BIG 1,000 + 3,480 = 4,480; OLD 2,800 + 200 + 800 = 3,800; FOR 2,000; CON 1,500; AFF 1,000; GOV 700; DIS 400
    assert listed == [("BIG", D("4480.00")), ("OLD", D("3800.00")), ("FOR", D("2000.00")), ("CON", D("1500.00")),
                      ("AFF", D("1000.00")), ("GOV", D("700.00")), ("DIS", D("400.00"))]


def test_credits_beyond_the_debits_value_the_class_at_zero():
    """A 5,000.00 invoice and a recent 7,000.00 credit: eligible 5,000.00 - 7,000.00 = -2,000.00; no dilution
    reserve on it (rule 7: 2% of it, -40.00, would be a reserve that adds), and -2,000.00 x 85% = -1,700.00
    would be a negative collateral value: the value is 0.00 (rule 8)."""
    cert = run([inv("A", "5000.00", 10), inv("B", "-7000.00", 5)], dilution_percent=D("2"), advance_percent=D("85"))
    categories(cert)
    assert (cert.eligible, cert.dilution, cert.value) == (D("-2000.00"), D("0.00"), D("0.00"))


def test_cross_aging_on_days_from_invoice_or_past_due():
    """Cross-aging "if 50% of its Accounts are over 90 days from invoice or 60 past due" (both days, as DNOW's
    clause (b) reads clause (a)): the terms take both, and a row old by either counts as aged."""
    from loanbook.agreement.kinds_eligibility import Eligibility

    terms = Eligibility.model_validate({"kind": "eligibility", "collateral": "accounts", "label": "Eligible Accounts",
                                        "rules": {"cross_aging": {"percent": "50", "days_from_invoice": 90,
                                                                  "days_past_due": 60}}})
    rules = EligibilityRules.of(terms)
    assert (rules.cross_invoice_days, rules.cross_due_days, rules.cross_percent) == (90, 60, D("50"))
    rows = [inv("A", "500.00", 100),                 # 100 days from invoice: aged
            inv("A", "300.00", 40, past_due=65),     # 40 days from invoice but 65 past due: aged by due date
            inv("A", "300.00", 10, past_due=0)]      # current
    cert = certificate(rules, invoices_from_rows(rows), AS_OF)
    # aged debits 500 + 300 = 800 of 1,100 debits = 72.7% >= 50%: the whole eligible balance, 1,100.00, is taken
    # (no aging rule here, so every row is still eligible when rule 3 looks at it)
    assert cert.categories["cross_aging"] == D("1100.00") and cert.eligible == D("0.00")
    # on days from invoice alone the share is 500 / 1,100 = 45.5%: below 50%, nothing is taken
    alone = certificate(EligibilityRules(cross_percent=D("50"), cross_invoice_days=90), invoices_from_rows(rows),
                        AS_OF)
    assert alone.categories["cross_aging"] == D("0.00") and alone.eligible == D("1100.00")

