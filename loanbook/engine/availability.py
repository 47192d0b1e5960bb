"""What a borrower may borrow: availability per revolving tranche, overadvances, the limits they set, and the
decision on an advance request (RULES.md 2-3, in general form).

Availability, the overadvance figures and the limits are lowered here into the day's figure graph
(`graph.py`); every value comes from `DayView`, the one evaluator. A request is judged by evaluating the same
graph with the requested amount added to the tranche, so the decision can never measure against a different
figure than the status shows.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ..agreement.definitions import Definition
from ..agreement.formula import Formula, parse_formula
from ..agreement.kinds import Availability, BorrowingBase, Overadvance
from ..agreement.model import ClauseVersion
from ..agreement.quantity import Quantity
from ..core.errors import RecordError
from ..core.money import ZERO
from .borrowing_base import advance_rate, cap_names
from .graph import ZERO as ZERO_EXPR
from .graph import Expr, Figure, Graph, Op, Ref, Rule, limits, lowers, render
from .results import (
    REFUSED,
    REQUIRES_APPROVAL,
    WITHIN_CAPACITY,
    AvailabilityResult,
    BorrowingBaseResult,
    Breach,
    BreachFact,
    Decision,
    OveradvanceResult,
    Reason,
)
from .results import (
    Figure as Result,
)

if TYPE_CHECKING:
    from .figures import DayView


# --- lowering ------------------------------------------------------------------------------------------------

@lowers("availability")
def availability(d: Definition, graph: Graph) -> Figure:
    """max(0, capacity - usage): each a name, or a part of its own when the clause writes a formula."""
    block = d.block
    assert isinstance(block, Availability)
    capacity, usage = parts(graph, block)
    label = f"availability of {block.tranche}"
    ended = graph.ledger.lending_ended(graph.day)
    if ended is not None:  # the right to borrow is over: nothing is available, whatever the capacity
        on, how, where = ended
        return Figure(block.id, ZERO_EXPR, label=label, version=d.version,
                      note=f"the facility was {how} on {on} ({where}): no more is lent")
    return Figure(block.id, headroom(capacity, usage), label=label, version=d.version)


def headroom(capacity: Expr, usage: Expr) -> Expr:
    """What a capacity leaves to borrow: max(0, capacity - usage)."""
    return Op("max", (ZERO_EXPR, Op("sub", (capacity, usage))))


def excess(usage: Expr, measured: Expr) -> Expr:
    """Usage above what it is measured against: max(0, usage - measured)."""
    return Op("max", (ZERO_EXPR, Op("sub", (usage, measured))))


def parts(graph: Graph, block: Availability) -> tuple[Ref, Ref]:
    """An availability clause's capacity and usage, each one name (a part of its own where the clause writes a
    formula): availability is max(0, capacity - usage) while the right to borrow lasts."""
    version = graph.definition(block.id).version
    capacity = _whole(graph, f"{block.id}.capacity", block.capacity, version, "capacity", rounded=True)
    usage = _whole(graph, f"{block.id}.usage", usage_formula(graph, block), version, "usage")
    return capacity, usage


@lowers("overadvance")
def overadvance(d: Definition, graph: Graph) -> Figure:
    block = d.block
    assert isinstance(block, Overadvance)
    if d.id == "overadvance_cap":
        expr, note = graph.quantity(block.cap, d.version, "overadvance cap")
        return Figure(d.id, expr, rounded=True, version=d.version, note=note)
    if d.id == "overadvance_limit":
        caps: list[Expr] = [Ref("overadvance_cap"), *[
            _whole(graph, f"overadvance.ceiling_{i}", ceiling, d.version, "overadvance ceiling", rounded=True)
            for i, ceiling in enumerate(block.ceilings, start=1)]]
        return Figure(d.id, caps[0] if len(caps) == 1 else Op("min", tuple(caps)), version=d.version)
    capacity, usage = parts(graph, availability_of(graph, block.tranche))
    measured = capacity if block.measured_against is None else _whole(
        graph, "overadvance.measured_against", block.measured_against, d.version, "measured_against", rounded=True)
    interpretation = next((i for path, i in d.version.interpretations_used if path.endswith(".measured_against")),
                          None)
    return Figure(d.id, excess(usage, measured), version=d.version, interpretation=interpretation)


@limits
def availability_limits(version: ClauseVersion, block: object, graph: Graph) -> list[Rule]:
    """Usage above capacity, where no overadvance clause governs the tranche; with one, the overadvance above its
    limit, and usage above the total ceiling."""
    if isinstance(block, Availability):
        if any(o.tranche == block.tranche for o in graph.blocks(Overadvance)):
            return []
        capacity, usage = parts(graph, block)
        return [Rule("availability", version, block.tranche, _named(graph, usage), _named(graph, capacity))]
    if not isinstance(block, Overadvance):
        return []
    found = [Rule("overadvance_limit", version, block.tranche, "overadvance", "overadvance_limit")]
    if block.total_ceiling is not None:
        expr, _ = graph.quantity(block.total_ceiling, version, "total_ceiling")
        ceiling = _whole(graph, "overadvance.total_ceiling", block.total_ceiling, version, "total_ceiling",
                         rounded=True)
        _, usage = parts(graph, availability_of(graph, block.tranche))
        found.append(Rule(render(expr), version, block.tranche, _named(graph, usage), ceiling.name))
    return found


def _whole(graph: Graph, name: str, quantity: Quantity, version: ClauseVersion, what: str, *,
           rounded: bool = False) -> Ref:
    """A quantity as one name: itself where the clause writes one name, else a part of its own (rounded half-up
    to the cent where `rounded`, as capacity and every limit is)."""
    expr, note = graph.quantity(quantity, version, what)
    if isinstance(expr, Ref):
        return expr
    return graph.part(Figure(name, expr, rounded=rounded, label=what.replace("_", " "), note=note))


def _named(graph: Graph, expr: Ref) -> str:
    return expr.name


def usage_formula(graph: Graph, block: Availability) -> Formula:
    tranche = graph.agreement.vocabulary.get("tranches", block.tranche)
    return block.usage or parse_formula(tranche.name)


def availability_of(graph: Graph, tranche: str) -> Availability:
    """The availability clause of a tranche in force on the day."""
    found = [block for block in graph.blocks(Availability) if block.tranche == tranche]
    if not found:
        raise RecordError(f"no availability clause of {tranche} is in force on {graph.day}")
    return found[0]


def amount_problem(amount: Decimal) -> str | None:
    """Why an amount is no advance request at all, whatever the agreement says (an amount of nothing would be
    judged within capacity and recorded as an advance): a request asks for more than zero."""
    return None if amount > ZERO else "must be more than zero"


def _size_problem(block: Availability, amount: Decimal) -> Reason | None:
    """An advance smaller than the clause's minimum, or not a whole multiple of its step above the minimum."""
    rule = block.advances
    if rule is None:
        return None
    minimum = rule.minimum or ZERO
    if amount < minimum:
        return Reason("below_minimum", {"minimum": minimum})
    if rule.multiple is not None and (amount - minimum) % rule.multiple != 0:
        return Reason("not_a_multiple", {"multiple": rule.multiple, "minimum": minimum})
    return None


# --- results -------------------------------------------------------------------------------------------------

def figure(view: DayView, name: str, label: str | None = None) -> Result:
    explanation = view.explain(name)
    return Result(name, label or explanation.label, view.unit(name), view.value(name), explanation)


def blocks(view: DayView, kind: type) -> list:
    return view.graph.blocks(kind)


def borrowing_bases(view: DayView) -> tuple[BorrowingBaseResult, ...]:
    return tuple(BorrowingBaseResult(
        block.id, block.label, tuple(figure(view, line.id) for line in block.lines),
        tuple(figure(view, r.id) for r in block.reserves), figure(view, block.id),
        tuple(figure(view, c) for c in dict.fromkeys(line.collateral for line in block.lines)),
        {line.id: figure(view, advance_rate(line, view.definition(line.id).version, view.graph).name)
         for line in block.lines},
        {line.id: figure(view, line.collateral) for line in block.lines},
        {line.id: tuple(figure(view, name) for name in cap_names(line)) for line in block.lines})
        for block in blocks(view, BorrowingBase))


def availabilities(view: DayView) -> tuple[AvailabilityResult, ...]:
    out = []
    for block in blocks(view, Availability):
        result = figure(view, block.id)
        capacity, usage = view.capacity_and_usage(block)
        excess = figure(view, "excess_availability") if "excess_availability" in view.definitions() else None
        out.append(AvailabilityResult(block.id, block.tranche, capacity, usage, result, excess,
                                      ended=_ended(view)))
    return tuple(out)


def overadvance_clause(graph: Graph) -> Overadvance | None:
    """The overadvance clause in force on the graph's day, if any: a facility has one."""
    found = graph.blocks(Overadvance)
    if len(found) > 1:
        raise RecordError(f"two overadvance clauses are in force on {graph.day}; a facility has one")
    return found[0] if found else None


def limits_in_order(graph: Graph) -> list[Rule]:
    """The day's limits in the order their breaches are reported: an overadvance's first, then availability's."""
    return sorted(graph.rules(), key=lambda r: r.rule == "availability")


def overadvances(view: DayView) -> tuple[OveradvanceResult, ...]:
    block = overadvance_clause(view.graph)
    if block is None:
        return ()
    clause = view.definition("overadvance").version.clause_id
    ceiling = next((rule for rule in view.graph.rules() if rule.tranche == block.tranche
                    and rule.rule not in ("availability", "overadvance_limit")), None)
    total = None
    if ceiling is not None:
        explanation = view.explain(ceiling.limit)
        total = Result(ceiling.rule, explanation.label, "money", view.value(ceiling.limit), explanation)
    return (OveradvanceResult(block.tranche, clause, figure(view, "overadvance"), figure(view, "overadvance_cap"),
                              figure(view, "overadvance_limit"), block.discretionary, total),)


def breaches(view: DayView) -> list[Breach]:
    """Each limit of the day's graph that the day's figures break: an overadvance's first, then availability's.
    Tranches whose availability clauses measure the same usage against the same capacity (base rate loans and
    term SOFR loans under one commitment) share one limit: a breach of it is one breach, of their combined usage,
    naming them all."""
    found = []
    shared: dict[tuple[str, str, str], list[str]] = {}
    for rule in view.graph.rules():
        shared.setdefault(_limit_key(view, rule), []).append(rule.tranche)
    reported: set[tuple[str, str, str]] = set()
    for rule in limits_in_order(view.graph):
        key = _limit_key(view, rule)
        if key in reported:
            continue
        over, limit = view.value(rule.over), view.value(rule.limit)
        if over <= limit:
            continue
        reported.add(key)
        tranches = tuple(dict.fromkeys(shared[key]))
        if len(tranches) > 1:
            loans = {t: view.snap.loan(t) + view.extra.get(t, ZERO) for t in tranches}
            found.append(Breach(rule.rule, rule.version.clause_id, view.day, over, limit, None,
                                {"shared_by": loans}, tranches))
            continue
        facts: dict[str, BreachFact] = {}
        if rule.rule == "overadvance_limit":
            facts = {x.figure: x.value for x in view.explain(rule.limit).inputs}
        elif rule.rule != "availability":
            facts = {"ceiling": rule.rule}
        found.append(Breach(rule.rule, rule.version.clause_id, view.day, over, limit, rule.tranche, facts,
                            (rule.tranche,)))
    return found


def _limit_key(view: DayView, rule: Rule) -> tuple[str, str, str]:
    """What a limit compares, as formulas: two tranches' rules with the same key are one limit."""
    def written(name: str) -> str:
        return name if view.graph.is_input(name) else view.graph.formula(name)
    return rule.rule, written(rule.over), written(rule.limit)


def _ended(view: DayView) -> Reason | None:
    """Why nothing more is lent, once the facility was terminated or accelerated by the day."""
    ended = view.ledger.lending_ended(view.day)
    if ended is None:
        return None
    on, how, where = ended
    return Reason("facility_ended", {"how": how, "on": on, "event": where})


def decide(book: DayView, tranche: str, amount: Decimal, last_day: date | None, *,
           lent_on: date | None = None) -> Decision:
    """The decision on a request to advance `amount` of a tranche, against the state at the end of the day;
    `last_day` is the last day the term allows an advance (None: no term). `lent_on`: the day the advance is
    made, where the day judged is a later one it would still be outstanding on (an end of the facility after
    that day ends only new lending)."""
    day = book.day
    block = next((b for b in blocks(book, Availability) if b.tranche == tranche), None)
    if block is None:
        return Decision(day, tranche, amount, REFUSED, ZERO, (Reason("not_revolving", {"tranche": tranche}),))
    ended = _ended(book)
    if ended is not None:
        on = ended.facts["on"]
        assert isinstance(on, date), on  # _ended gives the day lending ended as a date
        if lent_on is None or lent_on >= on:
            return Decision(day, tranche, amount, REFUSED, ZERO, (ended,))
    size = _size_problem(block, amount)
    if size is not None:
        return Decision(day, tranche, amount, REFUSED, ZERO, (size,))
    before = availabilities(book)
    current = next(a for a in before if a.tranche == tranche)
    after_book = book.with_extra(tranche, amount)
    after = next(a for a in availabilities(after_book) if a.tranche == tranche)
    over_after = next((o for o in overadvances(after_book) if o.tranche == tranche), None)
    capacity, usage = parts(book.graph, block)
    overadvance_after = over_after.overadvance.value if over_after else after_book.evaluate(excess(usage, capacity))
    if last_day is not None and day > last_day:
        return Decision(day, tranche, amount, REFUSED, overadvance_after,
                        (Reason("term_expired", {"last_day": last_day}),))
    # a loan made before the end is judged on a later day against what the capacity leaves, not the 0 available
    room = current.availability.value if ended is None else book.evaluate(headroom(capacity, usage))
    if amount <= room:
        return Decision(day, tranche, amount, WITHIN_CAPACITY, ZERO,
                        (Reason("within_capacity", {"usage_after": after.usage, "capacity": after.capacity}),))
    if over_after is None:
        return Decision(day, tranche, amount, REFUSED, overadvance_after,
                        (Reason("no_overadvance", {"usage_after": after.usage, "capacity": after.capacity}),))
    reasons = []
    if overadvance_after > over_after.limit.value:
        reasons.append(Reason("over_limit", {"overadvance_after": overadvance_after, "limit": over_after.limit.value,
                                             **{x.figure: x.value for x in over_after.limit.explanation.inputs}}))
    ceiling = over_after.total_ceiling
    if ceiling is not None and after.usage > ceiling.value:
        reasons.append(Reason("over_ceiling", {"usage_after": after.usage, "ceiling": ceiling.id,
                                               "limit": ceiling.value}))
    if reasons:
        return Decision(day, tranche, amount, REFUSED, overadvance_after, tuple(reasons))
    return Decision(day, tranche, amount, REQUIRES_APPROVAL, overadvance_after,
                    (Reason("requires_approval", {"overadvance_after": overadvance_after,
                                                  "limit": over_after.limit.value,
                                                  "discretionary": over_after.discretionary}),))
