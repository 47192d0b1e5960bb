"""Properties over random histories of the seed facility (hypothesis)."""
from datetime import date, timedelta
from decimal import Decimal as D
from decimal import localcontext

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import facility, flat

START = date(2002, 10, 1)
DAYS = 92  # 2002-10-01 .. 2002-12-31: the days the seed's pricing grid prices
money = st.integers(min_value=1, max_value=50_000_000).map(lambda cents: D(cents) / 100)

step = st.tuples(
    st.integers(min_value=0, max_value=DAYS - 1),
    st.sampled_from(["advance", "repayment", "borrowing_base_report", "contingent_issued", "contingent_closed",
                     "term_loan_reserve", "fee_payment", "document_delivered", "amendment_executed",
                     "prime_rate"]),
    money,
    st.sampled_from(["financing_commitment", "purchase_offer", "texas_property_offer", "executed_originals"]),
)


def build(steps) -> list[dict]:
    """A history that could have happened: repayments within principal, closings of open ids only."""
    rows = [{"date": START.isoformat(), "type": "opening_balance", "loan": "advances", "amount": "500000.00"},
            {"date": START.isoformat(), "type": "opening_balance", "loan": "term_loan", "amount": "700000.00"}]
    advances, open_ids, counter = D("500000.00"), [], 0
    for offset, kind, amount, document in sorted(steps, key=lambda s: s[0]):
        day = (START + timedelta(days=offset)).isoformat()
        row = {"date": day, "type": kind}
        if kind == "repayment":
            amount = min(amount, advances)
            if amount == 0:
                continue
            advances -= amount
            row.update(loan="advances", amount=str(amount))
        elif kind == "advance":
            advances += amount
            row["amount"] = str(amount)
        elif kind == "borrowing_base_report":
            row["receivables_borrowing_base"] = str(amount)
        elif kind == "contingent_issued":
            counter += 1
            open_ids.append(f"LC-{counter}")
            row.update(kind="letter_of_credit", id=f"LC-{counter}", amount=str(amount))
        elif kind == "contingent_closed":
            if not open_ids:
                continue
            row["id"] = open_ids.pop(0)
        elif kind in ("term_loan_reserve", "fee_payment"):
            row["amount"] = str(amount)
        elif kind == "document_delivered":
            row["document"] = document
        elif kind == "amendment_executed":
            row["amendment"] = "amendment-10"
        elif kind == "prime_rate":
            row["rate"] = str((amount % 10) + 1)
        rows.append(row)
    return rows


histories = st.lists(step, max_size=25).map(build)
days = st.integers(min_value=0, max_value=DAYS - 1).map(lambda n: START + timedelta(days=n))
quick = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@quick
@given(histories, days)
def test_availability_never_negative(seed, rows, day):
    assert flat(facility(seed, rows).status(day))["availability"] >= 0


@quick
@given(histories, days)
def test_fee_installments_add_up_to_the_fee(seed, rows, day):
    fees = facility(seed, rows).fees(day)
    assert fees.total_waived + fees.total_paid + fees.total_due + fees.total_scheduled == D("150000.00")


@quick
@given(histories, days, days)
def test_interest_is_additive_over_adjacent_periods(seed, rows, a, b):
    engine = facility(seed, rows)
    lo, hi = min(a, b), max(a, b)
    mid = lo + (hi - lo) / 2
    with localcontext() as ctx:
        ctx.prec = 80  # add the engine's 50-digit figures without rounding them again
        for loan_class in ("advances", "term_loan"):
            whole = engine.interest.accrued(loan_class, lo, hi)
            parts = (engine.interest.accrued(loan_class, lo, mid)
                     + engine.interest.accrued(loan_class, mid + timedelta(1), hi))
            assert abs(whole - parts) < D("1e-40")


@quick
@given(histories, days)
def test_events_after_the_as_of_date_change_nothing(seed, rows, day):
    before = [r for r in rows if date.fromisoformat(r["date"]) <= day]
    full, cut = facility(seed, rows), facility(seed, before)
    assert flat(full.status(day)) == flat(cut.status(day))
    assert full.fees(day).installments == cut.fees(day).installments
    assert [(o.id, o.status) for o in full.obligations(day)] == [(o.id, o.status) for o in cut.obligations(day)]


@quick
@given(histories, days, st.randoms(use_true_random=False))
def test_reordering_events_of_different_days_changes_nothing(seed, rows, day, rnd):
    by_day: dict[str, list[dict]] = {}
    for row in rows:
        by_day.setdefault(row["date"], []).append(row)
    groups = list(by_day.values())
    rnd.shuffle(groups)
    shuffled = [row for group in groups for row in group]  # same-day order kept
    a, b = facility(seed, rows), facility(seed, shuffled)
    assert flat(a.status(day)) == flat(b.status(day))
    assert a.payoff(day) == b.payoff(day)
