"""A portfolio run's rows as the command line and `--json` give them: each row's keys, how a store's run read the
balances, and the book's totals. Kept beside the run, not in the CLI, so every edge renders the same answer."""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .. import projection as out
from ..core.money import ZERO, money_human
from .run import PortfolioRow


def row_json(r: PortfolioRow) -> dict:
    """A row's keys in `--json` (docs/json-keys.md): money with two places, dates as ISO text."""
    return out.plain({"facility_id": r.facility, "name": r.name, "aging": r.aging, "collateral": r.collateral,
                      "gross": r.gross, "eligible": r.eligible, "value": r.value, "borrowing_base": r.borrowing_base,
                      "availability": r.availability, "overadvance": r.overadvance,
                      "overadvance_limit": r.overadvance_limit, "breaches": list(r.breaches), "problem": r.problem,
                      "computed_by": r.computed_by, "rules_without_column": list(r.rules_without_column),
                      "source": r.source, "source_date": r.source_date, "checked": r.checked})


def balances_json(rows: Sequence[PortfolioRow]) -> dict:
    """How a store's run read the balances: how many from the aggregate, and each facility replayed, with why."""
    return {"aggregate": sum(1 for r in rows if r.balances == "aggregate"),
            "replayed": {r.facility: r.balances.removeprefix("replay (").removesuffix(")")
                         for r in rows if r.balances != "aggregate"}}


def book_totals(rows: Sequence[PortfolioRow]) -> str:
    """The book's totals over every facility computed (one with a problem has no figures to add)."""
    def total(name: str) -> Decimal:
        return sum((getattr(r, name) for r in rows if getattr(r, name) is not None), start=ZERO)

    computed = sum(1 for r in rows if r.borrowing_base is not None)
    return (f"totals of {computed:,} facilities: collateral value {money_human(total('value'))}, borrowing base "
            f"{money_human(total('borrowing_base'))}, availability {money_human(total('availability'))}, overadvance "
            f"{money_human(total('overadvance'))}")
