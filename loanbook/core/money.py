"""Exact money, percentages and ratios: one parser each, Decimal only, rounding only where a rule says.

Every amount a person or a file gives goes through `parse_money` (and every rate through
`parse_percent`), so "5000,50", "1,0,0", 1e400, NaN and -0 are refused the same way everywhere,
with the field named, instead of becoming a wrong number.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

CENT = Decimal("0.01")
# Rounding for display and reports runs in its own context, so a caller's context cannot change a figure.
ROUNDING = Context(prec=60, rounding=ROUND_HALF_UP)
# The engine's own context: whatever context a caller has set, every figure is computed the same way.
PRECISION = 50  # digits the engine computes to: exact for what it meets; rounded only where a rule says
ENGINE_CONTEXT = Context(prec=PRECISION, traps=[InvalidOperation, DivisionByZero, Overflow])
ZERO = Decimal("0")
HUNDRED = Decimal("100")

MONEY_BOUND = Decimal(10) ** 15    # a trillion dollars and then some: anything larger is a typo
PERCENT_BOUND = Decimal(1000)      # percent; an advance rate, a margin or an index is far below
NUMBER_BOUND = Decimal(10) ** 9    # ratios, day counts and other plain numbers

_WRITTEN = re.compile(r"^([+-])?(\$)?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?$")


def shown(value: object, width: int = 40) -> str:
    """A value as an error message quotes it: repr, cut short, control characters escaped."""
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= width else text[:width - 5] + "...'"


def _parse(value: object, *, what: str, places: int, bound: Decimal, allow_negative: bool,
           allow_dollar: bool) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError(f"{what} must be written as a decimal number, got {shown(value)}")
    if isinstance(value, int):
        if abs(value) >= bound:  # before Decimal(): a 5,000-digit integer is refused, not converted
            raise ValueError(f"{what} is out of range (at most {bound:,} in size)")
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        match = _WRITTEN.match(value.strip())
        if not match or (match.group(2) and not allow_dollar):
            raise ValueError(f"{what} is not a number written plainly (like 1500000.00 or 1,500,000.00; "
                             f"commas only between groups of three digits): {shown(value)}")
        sign, _dollar, digits, fraction = match.groups()
        if len(digits) > 20 or (fraction and len(fraction) > 20):
            raise ValueError(f"{what} has too many digits: {shown(value)}")
        if fraction and len(fraction) > places:
            raise ValueError(f"{what} has more than {places} decimal places: {shown(value)}")
        number = Decimal((sign or "") + digits.replace(",", "") + (f".{fraction}" if fraction else ""))
    else:
        raise ValueError(f"{what} must be a number, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"{what} is not a finite number: {shown(value)}")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        raise ValueError(f"{what} must be written without an exponent: {shown(value)}")
    if abs(number) >= bound:
        raise ValueError(f"{what} is out of range (at most {bound:,} in size): {shown(value)}")
    if number.is_zero() and number.is_signed():
        raise ValueError(f"{what} is a negative zero: write 0")
    if number < 0 and not allow_negative:
        raise ValueError(f"{what} must not be negative: {shown(value)}")
    if isinstance(exponent, int) and exponent < -places:
        raise ValueError(f"{what} has more than {places} decimal places: {shown(value)}")
    return number


def parse_money(value: object, *, what: str = "amount", allow_negative: bool = False) -> Decimal:
    """Dollars: a plain decimal, at most two places, optional '$' and ',' between groups of three."""
    return _parse(value, what=what, places=2, bound=MONEY_BOUND, allow_negative=allow_negative,
                  allow_dollar=True)


def parse_percent(value: object, *, what: str = "percentage", allow_negative: bool = False) -> Decimal:
    """A rate in percent ("85" is 85%): at most six places, below 1,000."""
    return _parse(value, what=what, places=6, bound=PERCENT_BOUND, allow_negative=allow_negative,
                  allow_dollar=False)


def parse_number(value: object, *, what: str = "number", allow_negative: bool = True) -> Decimal:
    """A ratio or other plain number (a leverage of 3.25): at most six places."""
    return _parse(value, what=what, places=6, bound=NUMBER_BOUND, allow_negative=allow_negative,
                  allow_dollar=False)


def cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent (the one rounding RULES.md names for reported totals)."""
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP, context=ROUNDING)
    except InvalidOperation:  # pragma: no cover - every amount is bounded on the way in
        raise ValueError(f"amount out of range: {shown(amount)}") from None


def money_str(amount: Decimal) -> str:
    """The JSON form: a string with two decimals, no separators ('1275000.00')."""
    return str(cents(amount))


def money_human(amount: Decimal) -> str:
    """The human form: thousands separators and two decimals ('1,275,000.00')."""
    return f"{cents(amount):,.2f}"


def percent_str(rate: Decimal) -> str:
    """A percentage with the precision it has: at least two places, at most six ('85.00', '49.375')."""
    exponent = rate.normalize(ROUNDING).as_tuple().exponent
    places = 2 if not isinstance(exponent, int) or exponent >= -2 else min(-exponent, 6)
    return format(rate.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=ROUNDING), "f")


def number_str(value: Decimal) -> str:
    """A ratio as written, with at least two places ('1.60', '3.125')."""
    return percent_str(value)
