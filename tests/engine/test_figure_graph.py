"""The figure graph's expression trees: what `render` writes is read back by the formula language to the same tree
value, and a sum the engine states outside the day's graph (the payoff) takes its amount and its explanation's
formula from one tree."""
from datetime import date
from decimal import Decimal as D
from decimal import localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SEED, folder_facility
from loanbook.agreement.formula import parse_formula
from loanbook.core.errors import RecordError
from loanbook.engine.facility import UnknownFigure
from loanbook.engine.graph import Const, Op, Ref, evaluate, from_formula, render, total_of

NAMES = ("a", "b", "c")
_numbers = st.decimals(min_value=0, max_value=10_000, places=2).map(lambda d: Const(d, str(d)))
_leaves = st.one_of(_numbers, st.sampled_from([Ref(n) for n in NAMES]))
_trees = st.recursive(_leaves, lambda inner: st.one_of(
    st.tuples(st.sampled_from(["add", "sub", "mul", "min", "max"]), inner, inner).map(lambda t: Op(t[0], t[1:])),
    st.tuples(inner).map(lambda t: Op("neg", t))), max_leaves=8)


@settings(max_examples=1000, deadline=None)
@given(_trees, st.fixed_dictionaries({n: st.decimals(min_value=-1000, max_value=1000, places=2) for n in NAMES}))
def test_a_rendered_formula_reads_back_to_the_same_value(tree, values):
    """The text an explanation shows is the tree: parsed back, it computes what the tree computes (a parenthesis
    `render` left out would change `a - (b + c)` into `a - b + c`)."""
    read = from_formula(parse_formula(render(tree)).tree)
    with localcontext() as exact:  # every product of eight 7-digit numbers held whole: the order of a product's
        exact.prec = 100           # factors, which the text does not keep (`a * (b * c)` is `a * b * c`), is moot
        assert evaluate(read, values) == evaluate(tree, values)


def test_a_sum_of_parts_renders_as_written_and_adds_exactly():
    tree = total_of("principal", "interest", "fees", "expenses")
    assert render(tree) == "principal + interest + fees + expenses"
    # 1,170,000.00 + 1,234.56 + 25,000.00 + 0.01 = 1,196,234.57
    assert evaluate(tree, {"principal": D("1170000.00"), "interest": D("1234.56"), "fees": D("25000.00"),
                           "expenses": D("0.01")}) == D("1196234.57")


def test_the_payoff_is_its_explanation_s_formula_over_its_inputs(seed):
    """On the seed, on days before and after the extension fee's installments and the overadvance window, the
    payoff's amount is the sum its explanation writes, of the inputs it shows, and the status's payoff."""
    engine = folder_facility(SEED, seed)
    for day in (date(2002, 10, 15), date(2002, 11, 30), date(2003, 1, 2)):
        explained = engine.explain("payoff", day)
        assert explained.formula == "principal + interest + fees + expenses"
        assert explained.value == sum((x.value for x in explained.inputs), D(0)) == engine.payoff(day).total


def test_an_unknown_figure_is_refused_with_the_figures_the_day_has(seed):
    """The engine's refusal carries what each edge answers with: the figure, the day and the explainable names."""
    engine = folder_facility(SEED, seed)
    day = date(2002, 10, 15)
    with pytest.raises(UnknownFigure) as refused:
        engine.explain("nonsense", day)
    assert (refused.value.figure, refused.value.day) == ("nonsense", day)
    assert refused.value.explainable == tuple(engine.explainable(day)) and "availability" in refused.value.explainable
    assert str(refused.value) == f"unknown figure 'nonsense' on 2002-10-15; explainable: {refused.value.names}"
    assert isinstance(refused.value, RecordError)
