"""An amount accruing at a yearly rate over days: one definition gives both what it comes to and the words that
explain it, so that an explanation cannot say other than what was computed (a tranche's interest, interest on an
overdue amount, a fee on a letter of credit's face for its term)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from ..core.money import HUNDRED, PRECISION, money_human, percent_str


@dataclass(frozen=True)
class Accrual:
    """`amount` x `rate`% a year x `days` / `year`."""

    amount: Decimal         # what accrues, on each of the days
    rate: Decimal           # percent a year
    rate_formula: str       # how the rate is made ("prime + 3.5%")
    days: int
    year: Decimal           # the day basis' year: 360, 365 or 366
    bears: Decimal | None = None  # overdue: the rate (percent) the amount already accrues; it accrues the difference

    def value(self) -> Decimal:
        """Exact to PRECISION digits, multiplied out before the one division by the year, so that 1,250,000 x 8.25%
        x 3 / 360 is exactly 859.375."""
        with localcontext() as ctx:
            ctx.prec = PRECISION
            rate = self.rate if self.bears is None else self.rate - self.bears
            return self.amount * rate / HUNDRED * self.days / self.year

    def words(self, span: str = "") -> str:
        """The arithmetic as the explanation shows it; `span` names the days after their count ("from 2002-10-15 to
        2003-10-15"). A rate over what the amount already bears is in parentheses, with what it bears, if any."""
        rate = f"{percent_str(self.rate)}%"
        if self.bears is not None:
            rate = f"({rate} - {percent_str(self.bears)}% already accruing)" if self.bears else f"({rate})"
        days = f"{self.days} days {span}" if span else f"{self.days} days"
        return f"{money_human(self.amount)} x {rate} ({self.rate_formula}) x {days} / {self.year}"
