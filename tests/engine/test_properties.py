"""Properties over random histories of the seed facility (hypothesis).

Each property can fail: it holds the engine to a model written here from RULES.md (not from the engine's
code), or to a relation between two histories that a wrong engine would break. The docstrings say which.
"""
from datetime import date, timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import facility, flat

START = date(2002, 10, 1)
END = date(2002, 12, 31)  # the end of the Initial Term (I-1) and of the seed's pricing grid
DAYS = 92  # 2002-10-01 .. 2002-12-31: the days the seed's pricing grid prices
CENT = D("0.01")
ZERO = D("0.00")
money = st.integers(min_value=1, max_value=50_000_000).map(lambda cents: D(cents) / 100)

# Days where a rule changes (RULES.md 3-5): the overadvance cap's steps, the prime rate's change, the fee's
# due dates and the waiver's cut-off. Histories and as-of days land on them, and on the day either side, often.
KEY_DAYS = [date(2002, 10, 1), date(2002, 10, 13), date(2002, 10, 14), date(2002, 10, 20), date(2002, 10, 21),
            date(2002, 10, 27), date(2002, 10, 28), date(2002, 10, 31), date(2002, 11, 1), date(2002, 11, 6),
            date(2002, 11, 7), date(2002, 11, 15), date(2002, 11, 27), date(2002, 11, 28), date(2002, 12, 16),
            date(2002, 12, 30), date(2002, 12, 31)]
offsets = st.one_of(st.integers(min_value=0, max_value=DAYS - 1),
                    st.sampled_from([(d - START).days for d in KEY_DAYS]))

step = st.tuples(
    offsets,
    st.sampled_from(["advance", "repayment", "borrowing_base_report", "contingent_issued", "contingent_closed",
                     "term_loan_reserve", "fee_payment", "document_delivered", "amendment_executed",
                     "prime_rate", "expense_demanded", "expense_payment"]),
    money,
    st.sampled_from(["financing_commitment", "purchase_offer", "texas_property_offer", "executed_originals"]),
)


def build(steps, base: D | None = None) -> list[dict]:
    """A history that could have happened: repayments within principal, closings of open ids only, expense
    payments within what is demanded. Borrowing base reports reach past the Maximum Limit (x 5), so that
    availability is often positive and the Maximum Limit sometimes binds; `base` opens with a report."""
    rows = [{"date": START.isoformat(), "type": "opening_balance", "loan": "advances", "amount": "500000.00"},
            {"date": START.isoformat(), "type": "opening_balance", "loan": "term_loan", "amount": "700000.00"}]
    if base is not None:
        rows.append({"date": START.isoformat(), "type": "borrowing_base_report",
                     "receivables_borrowing_base": str(base)})
    advances, open_ids, counter, expenses = D("500000.00"), [], 0, ZERO
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
            row["receivables_borrowing_base"] = str(amount * 5)
        elif kind == "contingent_issued":
            counter += 1
            open_ids.append(f"LC-{counter}")
            row.update(kind="letter_of_credit", id=f"LC-{counter}", amount=str(amount))
        elif kind == "contingent_closed":
            if not open_ids:
                continue
            row["id"] = open_ids.pop(int(amount * 100) % len(open_ids))  # any open one, not only the oldest
        elif kind == "term_loan_reserve":
            row["amount"] = str(amount)
        elif kind == "fee_payment":
            row["amount"] = str(amount % 60_000 or CENT)  # part of an installment, one or several
        elif kind == "expense_demanded":
            expenses += amount
            row.update(amount=str(amount), description="Getzler review")
        elif kind == "expense_payment":
            amount = min(amount, expenses)
            if amount == 0:
                continue
            expenses -= amount
            row["amount"] = str(amount)
        elif kind == "document_delivered":
            row.update(document=document, accepted=amount * 100 % 5 != 0)  # one in five not accepted
        elif kind == "amendment_executed":
            row["amendment"] = "amendment-10"
        elif kind == "prime_rate":
            row["rate"] = str((amount % 10) + 1)
        rows.append(row)
    return rows


histories = st.lists(step, max_size=25).map(build)
# histories that open with a borrowing base report of 0.5 to 2.5 million: room to lend from the first day; half
# of those reports are x.x0 or x.x10 cents (c = 10 mod 20), where 85% of them is exactly half a cent
opening_base = st.integers(min_value=50_000_000, max_value=250_000_000)
opening_base = st.one_of(opening_base, opening_base.map(lambda c: c - c % 20 + 10)).map(lambda c: D(c) / 100)
lending_histories = st.builds(build, st.lists(step, max_size=25), opening_base)
# histories where several letters of credit are open at once, and closed in any order
lc_step = st.tuples(offsets, st.sampled_from(["contingent_issued", "contingent_issued", "contingent_closed",
                                              "contingent_closed", "advance", "borrowing_base_report"]),
                    money, st.just("executed_originals"))
lc_histories = st.builds(build, st.lists(lc_step, min_size=4, max_size=15), opening_base)
# histories where the Extension Fee moves: payments, deliveries of the waiving documents, the execution
installment_sized = st.one_of(st.sampled_from([D("15000.00"), D("25000.00"), D("30000.00"), D("40000.00")]),
                              st.integers(min_value=1, max_value=6_000_000).map(lambda cents: D(cents) / 100))
fee_step = st.tuples(offsets, st.sampled_from(["fee_payment", "fee_payment", "document_delivered", "amendment_executed",
                                               "advance", "repayment", "expense_demanded", "expense_payment"]),
                     installment_sized,
                     st.sampled_from(["financing_commitment", "purchase_offer", "executed_originals"]))
fee_histories = st.lists(fee_step, min_size=4, max_size=14).map(build)
any_history = st.one_of(histories, lending_histories, fee_histories, lc_histories)
days = offsets.map(lambda n: START + timedelta(days=n))
quick = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def on_or_before(rows: list[dict], day: date) -> list[dict]:
    """The rows of the days up to `day`, in the engine's order (by date, file order within a day)."""
    return sorted((r for r in rows if date.fromisoformat(r["date"]) <= day), key=lambda r: r["date"])


def half_up(value) -> D:
    return D(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- RULES.md 2-3 in the test: borrowing capacity, availability, overadvance -----------------------------

MAXIMUM_LIMIT = D("1750000.00")
OVERADVANCE_CAP = [(date(2002, 10, 1), D("300000.00")), (date(2002, 10, 14), D("400000.00")),
                   (date(2002, 10, 21), D("300000.00")), (date(2002, 10, 28), D("0.00"))]


def model_borrowing(rows: list[dict], day: date) -> dict:
    """RULES.md sections 2 and 3 at the end of `day`, from the history alone."""
    base = reserve = advances = ZERO
    open_lcs: dict[str, D] = {}
    for r in on_or_before(rows, day):
        kind = r["type"]
        if kind == "borrowing_base_report":
            base = D(r["receivables_borrowing_base"])
        elif kind == "term_loan_reserve":
            reserve = D(r["amount"])
        elif kind in ("opening_balance", "advance") and r.get("loan", "advances") == "advances":
            advances += D(r["amount"])
        elif kind == "repayment" and r["loan"] == "advances":
            advances -= D(r["amount"])
        elif kind == "contingent_issued":
            open_lcs[r["id"]] = D(r["amount"])
        elif kind == "contingent_closed":
            del open_lcs[r["id"]]
    iec = half_up(base * 85 / 100)
    capacity = min(MAXIMUM_LIMIT, iec) - sum(open_lcs.values(), start=ZERO)
    cap = [value for start, value in OVERADVANCE_CAP if start <= day][-1]
    overadvance = max(ZERO, advances - capacity)
    limit = min(cap, reserve)
    breaches = {rule for rule, broken in (("overadvance_limit", overadvance > limit),
                                          ("maximum_limit", advances > MAXIMUM_LIMIT)) if broken}
    return {"advances_outstanding": advances, "receivables_borrowing_base": base, "iec_borrowing_capacity": iec,
            "letters_of_credit": sum(open_lcs.values(), start=ZERO), "borrowing_capacity": capacity,
            "availability": max(ZERO, capacity - advances), "overadvance": overadvance, "overadvance_cap": cap,
            "term_loan_reserve": reserve, "overadvance_limit": limit, "breaches": breaches}


@quick
@given(any_history, days)
def test_borrowing_figures_are_rules_md_computed_from_the_history(seed, rows, some_day):
    """Capacity, availability, overadvance, its limit and the breaches equal RULES.md 2-3 computed here from
    the events: the last base report, 85% rounded half-up once, the Maximum Limit, open letters of credit,
    the cap of the day; checked on a random day and on every day where a rule changes. Fails if the engine
    rounds the IEC Borrowing Capacity another way or place, reads a stale report, closes another letter of
    credit than the one named, dates a cap step a day off, or takes the wrong limit."""
    engine = facility(seed, rows)
    for day in [some_day, *KEY_DAYS]:
        status = flat(engine.status(day))
        expected = model_borrowing(rows, day)
        found = {b["rule"] for b in status["breaches"] if b["rule"] in ("overadvance_limit", "maximum_limit")}
        assert found == expected.pop("breaches"), day
        assert {name: status[name] for name in expected} == expected, day
        (revolver,) = status["availabilities"]
        assert (revolver["capacity"], revolver["usage"], revolver["availability"]) == (
            expected["borrowing_capacity"], expected["advances_outstanding"], expected["availability"]), day


@quick
@given(lending_histories, days, st.integers(min_value=1, max_value=1000), st.integers(min_value=0, max_value=20))
def test_an_advance_within_availability_lowers_it_by_exactly_its_amount(seed, rows, day, share, later_by):
    """Advancing X <= availability on day D (the day's last event): availability falls by X to the cent, the
    Borrowing Capacity does not move, no overadvance or breach appears; on every later day the advances are
    X higher and the capacity is unchanged. Fails if an advance is booked at another amount (rounded, say)
    or on another day, or if capacity depends on the advances."""
    before_engine = facility(seed, rows)
    before = flat(before_engine.status(day))
    assume(before["availability"] > 0)
    amount = max(CENT, (before["availability"] * share / 1000).quantize(CENT))
    after_engine = facility(seed, rows + [{"date": day.isoformat(), "type": "advance", "amount": str(amount)}])
    after = flat(after_engine.status(day))
    assert after["availability"] == before["availability"] - amount
    assert after["borrowing_capacity"] == before["borrowing_capacity"]
    assert after["advances_outstanding"] == before["advances_outstanding"] + amount
    assert after["overadvance"] == before["overadvance"] == ZERO
    assert after["breaches"] == before["breaches"]
    later = min(END, day + timedelta(days=later_by))
    was, now = flat(before_engine.status(later)), flat(after_engine.status(later))
    assert now["advances_outstanding"] == was["advances_outstanding"] + amount
    assert now["borrowing_capacity"] == was["borrowing_capacity"]


@quick
@given(st.one_of(lending_histories, lc_histories), days, days, money.map(lambda m: m * 5), days)
def test_a_letter_of_credit_issued_then_closed_leaves_capacity_where_it_was(seed, rows, d1, d2, amount, day):
    """A letter of credit of A issued on D1 and closed on D2 >= D1: while open, the letters of credit are A
    higher and the Borrowing Capacity A lower (availability follows, floored at 0); from D2 on, every figure
    of the status, the fees and the payoff are as if it had never been issued. Fails if a letter of credit is
    counted twice (or under another kind too), if a closing leaves it open or closes another one, or if the
    capacity is floored where RULES.md lets it go negative."""
    issued, closed = min(d1, d2), max(d1, d2)
    probe = [{"date": issued.isoformat(), "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-PROBE",
              "amount": str(amount)},
             {"date": closed.isoformat(), "type": "contingent_closed", "id": "LC-PROBE"}]
    without, with_lc = facility(seed, rows), facility(seed, rows + probe)
    was, now = flat(without.status(day)), flat(with_lc.status(day))
    if issued <= day < closed:
        assert now["letters_of_credit"] == was["letters_of_credit"] + amount
        assert now["borrowing_capacity"] == was["borrowing_capacity"] - amount
        assert now["availability"] == max(ZERO, was["borrowing_capacity"] - amount - was["advances_outstanding"])
        assert now["bankers_acceptances"] == was["bankers_acceptances"]
        assert now["letters_of_guaranty"] == was["letters_of_guaranty"]
    else:
        assert now == was
        assert with_lc.payoff(day) == without.payoff(day)
        assert with_lc.fees(day).installments == without.fees(day).installments


# --- RULES.md 4 in the test: interest day by day ---------------------------------------------------------

SHIPPED_PRIME = {date(2001, 12, 12): D("4.75"), date(2002, 11, 7): D("4.25")}  # RULES.md 4 (H.15)
MARGIN = {"advances": D("3.50"), "term_loan": D("4.00")}


def model_daily(rows: list[dict], last: date) -> dict[str, list[Fraction]]:
    """Each tranche's interest of each day from START to `last`, exactly: the principal at the end of the
    day x (prime that day + margin) / 100 / 360. A prime_rate event holds from its day (over the shipped
    series that day) until the next change."""
    changes = dict(SHIPPED_PRIME)
    for r in on_or_before(rows, last):
        if r["type"] == "prime_rate":
            changes[date.fromisoformat(r["date"])] = D(r["rate"])
    out: dict[str, list[Fraction]] = {"advances": [], "term_loan": []}
    principal = dict.fromkeys(out, ZERO)
    by_day: dict[date, list[dict]] = {}
    for r in on_or_before(rows, last):
        by_day.setdefault(date.fromisoformat(r["date"]), []).append(r)
    day = START
    while day <= last:
        for r in by_day.get(day, []):
            if r["type"] in ("opening_balance", "advance"):
                principal[r.get("loan", "advances")] += D(r["amount"])
            elif r["type"] == "repayment":
                principal[r["loan"]] -= D(r["amount"])
        prime = changes[max(d for d in changes if d <= day)]
        for tranche in out:
            out[tranche].append(Fraction(principal[tranche]) * Fraction(prime + MARGIN[tranche]) / 100 / 360)
        day += timedelta(days=1)
    return out


def rounded_once(exact: Fraction) -> set[D]:
    """The total rounded half-up to the cent; both neighbours if it is exactly half a cent (the engine works
    at 50 digits, so there it may sit a hair either side)."""
    cents = exact * 100
    if (cents - int(cents)) == Fraction(1, 2):
        return {D(int(cents)) / 100, D(int(cents) + 1) / 100}
    return {half_up(D(exact.numerator) / D(exact.denominator))}


@quick
@given(any_history, days, days)
def test_interest_is_the_sum_of_each_days_principal_times_rate_over_360(seed, rows, a, b):
    """Interest over [lo, hi] of each tranche equals the sum, day by day, of the principal at the end of the
    day x (prime + margin) / 360 computed here from the events (to 1e-30); the status's interest accrued and
    unpaid on hi is the total from the first day, rounded half-up once. Fails if a day is dropped or
    doubled, the day of a repayment or advance is counted the wrong way, a prime change applies a day
    early or late, a margin is swapped, the basis is not 360, or each day (or tranche) is rounded."""
    lo, hi = min(a, b), max(a, b)
    engine = facility(seed, rows)
    daily = model_daily(rows, hi)
    first = (lo - START).days
    for tranche, per_day in daily.items():
        expected = sum(per_day[first:], start=Fraction(0))
        assert abs(Fraction(engine.interest.accrued(tranche, lo, hi)) - expected) < Fraction(1, 10**30), tranche
    total = sum((sum(per_day, start=Fraction(0)) for per_day in daily.values()), start=Fraction(0))
    assert flat(engine.status(hi))["interest_accrued_unpaid"] in rounded_once(total)


# --- RULES.md 5 in the test: the Extension Fee ------------------------------------------------------------

# (component, due date or "execution", amount), components in the agreement's order
EXTENSION_FEE = [("base", "execution", D("15000.00")), ("base", date(2002, 11, 15), D("15000.00")),
                 ("base", date(2002, 12, 16), D("30000.00")), ("base", date(2002, 12, 31), D("40000.00")),
                 ("additional", date(2002, 10, 31), D("25000.00")), ("additional", date(2002, 11, 27), D("25000.00"))]


def model_fees(rows: list[dict], day: date, full_payment: date | None = None) -> tuple[list[tuple], D]:
    """RULES.md 5 on `day`: each installment as (component, due, amount, status, paid, provisional), and the
    credit. The first installment falls on the execution date (provisionally 2002-10-01); an accepted
    purchase offer or financing commitment received on R <= 2002-11-27 waives the Additional Fee due on or
    after R; Full Payment on F < 2002-12-31 waives every installment due after F; payments form one pool,
    applied to the unwaived installments oldest due first."""
    seen = on_or_before(rows, day)
    executed = next((date.fromisoformat(r["date"]) for r in seen if r["type"] == "amendment_executed"), None)
    received = next((date.fromisoformat(r["date"]) for r in seen if r["type"] == "document_delivered"
                     and r["document"] in ("purchase_offer", "financing_commitment") and r.get("accepted", True)),
                    None)
    pool = sum((D(r["amount"]) for r in seen if r["type"] == "fee_payment"), start=ZERO)
    schedule = []
    for component, due, amount in EXTENSION_FEE:
        provisional = due == "execution" and executed is None
        if due == "execution":
            due = executed or START
        waived = ((component == "additional" and received is not None and received <= date(2002, 11, 27)
                   and due >= received)
                  or (full_payment is not None and full_payment < END and due > full_payment))
        schedule.append((component, due, amount, provisional, waived))
    schedule.sort(key=lambda s: (s[1], s[0] != "base"))
    out = []
    for component, due, amount, provisional, waived in schedule:
        paid = ZERO if waived else min(pool, amount)
        pool -= paid
        status = "waived" if waived else "paid" if paid == amount else "due" if due <= day else "scheduled"
        out.append((component, due, amount, status, paid, provisional))
    return out, pool


def installments(state) -> list[tuple]:
    return [(s.component, s.due, s.amount, s.status, s.paid, s.provisional) for s in state.installments]


def waivers(state) -> list[tuple | None]:
    """Why each installment is waived (the cause, day and document; not the event's place in the file)."""
    return [(w.cause, w.day, w.document) if (w := s.waived_by) else None for s in state.installments]


# a purchase offer or financing commitment received on a day near the Additional Fee's due dates or its cut-off
waiver_days = st.sampled_from([date(2002, 10, 31), date(2002, 11, 27), date(2002, 11, 27), date(2002, 11, 28)])
waiving_delivery = st.tuples(st.sampled_from(["purchase_offer", "financing_commitment"]), st.one_of(waiver_days, days))


@quick
@given(st.one_of(fee_histories, histories), waiving_delivery)
def test_fee_installments_follow_the_schedule_waivers_and_oldest_first(seed, rows, delivery):
    """On every day of the term, every Extension Fee installment's due date, status and amount paid, the fees
    due and the credit equal RULES.md 5 computed here from the events. Fails if a payment goes to a later
    installment before an older one (or to a waived one), if a waiver takes the wrong side of its day or of
    2002-11-27, if the execution date does not move the first installment, or if an excess is not kept as a
    credit. (The days before the delivery added here see no waiver, unless the history has an earlier one.)"""
    rows = rows + [{"date": delivery[1].isoformat(), "type": "document_delivered", "document": delivery[0]}]
    engine = facility(seed, rows)
    for day in (START + timedelta(days=n) for n in range(DAYS)):
        state = engine.fees(day)
        expected, credit = model_fees(rows, day)
        assert installments(state) == expected, day
        assert state.credit == credit, day
        assert state.total_due == sum((e[2] - e[4] for e in expected if e[3] == "due"), start=ZERO), day


# --- RULES.md 7: the payoff --------------------------------------------------------------------------------

@quick
@given(any_history, days)
def test_a_payoff_paid_in_full_leaves_nothing_owed_the_next_day(seed, rows, payday):
    """Paying on day F exactly what the payoff on F says (principal repaid, interest, fees and expenses paid)
    and recording paid_in_full: the engine accepts the history, and on F + 1 principal, interest accrued and
    unpaid, fees due and expenses are all zero; installments due after F are waived by Full Payment (if F is
    before 2002-12-31), those due on or before F are paid unless a document waived them. Fails if the payoff
    counts interest through F instead of F - 1 (or the day of repayment accrues), leaves out a fee due on F
    or an expense, or waives the installment due on F itself."""
    rows = on_or_before(rows, payday)
    pay = facility(seed, rows).payoff(payday)
    on = payday.isoformat()
    settle = [{"date": on, "type": "repayment", "loan": loan, "amount": str(amount)}
              for loan, amount in pay.loans.items() if amount > 0]
    settle += [{"date": on, "type": kind, "amount": str(amount)}
               for kind, amount in (("interest_payment", pay.interest), ("fee_payment", pay.fees),
                                    ("expense_payment", pay.expenses)) if amount]
    settled = rows + settle + [{"date": on, "type": "paid_in_full"}]
    engine = facility(seed, settled)  # refused if anything is still owed on F
    after = payday + timedelta(days=1)
    status = flat(engine.status(after))
    assert all(amount == 0 for amount in status["loans"].values())
    assert status["interest_accrued_unpaid"] == 0
    assert status["expenses_unpaid"] == 0
    nothing = engine.payoff(after)
    assert (nothing.principal, nothing.interest, nothing.fees, nothing.expenses, nothing.total) == (0, 0, 0, 0, 0)
    fees = engine.fees(after)
    assert fees.total_due == fees.total_scheduled == 0
    assert installments(fees) == model_fees(settled, after, full_payment=payday)[0]
    for s in fees.installments:
        if s.due > payday and payday < END:
            assert s.status == "waived" and s.waived_by is not None
        elif s.status == "waived":
            assert s.waived_by is not None and s.waived_by.cause == "document_received"
        else:
            assert s.status == "paid"


# --- relations between histories ---------------------------------------------------------------------------

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
    """The engine orders events by date, stably: shuffling the days of the file (each day's events kept in
    their order) changes no figure of the status, the payoff, the fees, the obligations or the interest
    statement. Fails if events are replayed in file order, or a day's events are split or reordered."""
    by_day: dict[str, list[dict]] = {}
    for row in rows:
        by_day.setdefault(row["date"], []).append(row)
    groups = list(by_day.values())
    rnd.shuffle(groups)
    shuffled = [row for group in groups for row in group]  # same-day order kept
    a, b = facility(seed, rows), facility(seed, shuffled)
    assert flat(a.status(day)) == flat(b.status(day))
    assert a.payoff(day) == b.payoff(day)
    assert installments(a.fees(day)) == installments(b.fees(day))
    assert waivers(a.fees(day)) == waivers(b.fees(day))
    assert [(o.id, o.status) for o in a.obligations(day)] == [(o.id, o.status) for o in b.obligations(day)]
    assert a.interest_statement(START, day) == b.interest_statement(START, day)
