"""The portfolio run's answer as the command line gives it (loanbook/projection.py), and the aging a book
directory's run reads (run.book_aging)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from loanbook.portfolio.run import PortfolioRow, book_aging
from loanbook.projection import portfolio_balances_json as balances_json
from loanbook.projection import portfolio_row_json as row_json
from loanbook.projection import portfolio_totals as book_totals


def _row(facility: str, value: str | None, base: str, available: str, over: str, balances: str) -> PortfolioRow:
    return PortfolioRow(facility, f"Borrower {facility}", None, "accounts", None, None,
                        D(value) if value is not None else None, D(base), D(available), D(over), None, (),
                        balances=balances)


ROWS = [_row("A", "1000.00", "850.00", "350.00", "0.00", "aggregate"),
        _row("B", None, "0.00", "0.00", "120.50", "replay (voided events)"),
        _row("C", "2500.10", "2125.09", "0.00", "75.25", "aggregate")]


def test_the_totals_add_every_facility_s_figures():
    # value 1,000.00 + 2,500.10 = 3,500.10 (B has none); base 850.00 + 0.00 + 2,125.09 = 2,975.09;
    # availability 350.00; overadvance 120.50 + 75.25 = 195.75
    assert book_totals(ROWS) == ("totals of 3 facilities: collateral value 3,500.10, borrowing base 2,975.09, "
                                 "availability 350.00, overadvance 195.75")


def test_balances_say_how_many_came_from_the_aggregate_and_why_the_others_were_replayed():
    assert balances_json(ROWS) == {"aggregate": 2, "replayed": {"B": "voided events"}}


def test_a_row_s_keys_carry_money_as_text_with_two_places():
    found = row_json(ROWS[2])
    assert (found["facility_id"], found["value"], found["borrowing_base"], found["overadvance_limit"]) == \
        ("C", "2500.10", "2125.09", None)
    assert "balances" not in found  # how, not what: balances_json says it for the whole book


def test_a_book_directory_s_aging_is_the_one_given_else_its_latest_on_or_before_the_day(tmp_path):
    assert book_aging(tmp_path, date(2024, 3, 31)) is None  # no agings/ folder
    agings = tmp_path / "agings"
    agings.mkdir()
    for day in ("2024-02-29", "2024-03-31", "2024-04-30"):
        (agings / f"aging-{day}.csv").write_text("")
    assert book_aging(tmp_path, date(2024, 3, 31)) == agings / "aging-2024-03-31.csv"
    assert book_aging(tmp_path, date(2024, 3, 30)) == agings / "aging-2024-02-29.csv"
    assert book_aging(tmp_path, date(2024, 1, 1)) is None
    given = tmp_path / "other.parquet"
    assert book_aging(tmp_path, date(2024, 3, 31), given) == given
