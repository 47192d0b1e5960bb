"""Exact money and percentages: Decimal only, rounding only where a rule says, mode named."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def parse_decimal(value: object, *, what: str = "amount", max_places: int | None = 2,
                  allow_negative: bool = False) -> Decimal:
    """Read a number written in a file ('1500000.00', 1500000) into a Decimal, or raise ValueError.

    Floats are refused: the YAML loader hands numbers over as Decimal built from their text,
    so a float here means a caller lost precision on the way.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{what} must be written as a decimal number, got {value!r}")
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").removeprefix("$")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{what} is not a number: {value!r}") from None
    else:
        raise ValueError(f"{what} must be a number, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"{what} is not a finite number: {value!r}")
    if number < 0 and not allow_negative:
        raise ValueError(f"{what} must not be negative: {value!r}")
    if max_places is not None and number.as_tuple().exponent < -max_places:
        raise ValueError(f"{what} has more than {max_places} decimal places: {value!r}")
    return number


def cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent (the one rounding RULES.md names for reported totals)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(amount: Decimal) -> str:
    """The JSON form: a string with two decimals, no separators ('1275000.00')."""
    return str(cents(amount))


def money_human(amount: Decimal) -> str:
    """The human form: thousands separators and two decimals ('1,275,000.00')."""
    return f"{cents(amount):,.2f}"


def percent_str(rate: Decimal) -> str:
    """A percentage without trailing zeros beyond two places ('3.50', '85.00')."""
    return f"{rate.quantize(CENT, rounding=ROUND_HALF_UP)}"
