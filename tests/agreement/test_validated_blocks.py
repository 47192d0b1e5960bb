"""A terms block is validated once per content in a process (agreement/kinds.py `_validated`): a book of
thousands of facilities repeats the same blocks. The memory must never give one content another's model."""
from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from loanbook.agreement import kinds
from loanbook.agreement.kinds import validate_terms


def _fee(amount, due="2024-01-15"):
    return {"kind": "flat_fee", "id": "closing_fee", "label": "Closing fee", "amount": amount, "due": due}


@pytest.fixture(autouse=True)
def _empty_memory():
    kinds._VALIDATED.clear()
    yield
    kinds._VALIDATED.clear()


def test_the_same_block_twice_is_validated_once_and_gives_the_same_model():
    first, = validate_terms([_fee(D("5000.00"))])
    second, = validate_terms([_fee(D("5000.00"))])
    assert second is first
    assert first.amount == D("5000.00") and first.due.isoformat() == "2024-01-15"
    assert len(kinds._VALIDATED) == 1


def test_another_content_is_validated_again():
    """Another amount, another day, or the same figure of another type (an integer, text): another key."""
    first, = validate_terms([_fee(D("5000.00"))])
    other, = validate_terms([_fee(D("5000.01"))])
    later, = validate_terms([_fee(D("5000.00"), due="2024-02-15")])
    as_text, = validate_terms([_fee("5000.00")])
    assert (other.amount, later.due.isoformat()) == (D("5000.01"), "2024-02-15")
    assert as_text is not first and as_text.amount == D("5000.00")
    assert len(kinds._VALIDATED) == 4


def test_a_block_that_fails_fails_every_time_and_is_never_kept():
    validate_terms([_fee(D("5000.00"))])
    for _ in range(2):
        with pytest.raises(ValidationError, match="amount"):
            validate_terms([_fee("five thousand")])
    assert len(kinds._VALIDATED) == 1


def test_data_of_other_types_is_not_kept():
    """A str subclass could repr as another content: such data is validated each time, not remembered."""
    class Odd(str):
        pass

    first, = validate_terms([{**_fee(D("5000.00")), "label": Odd("Closing fee")}])
    second, = validate_terms([{**_fee(D("5000.00")), "label": Odd("Closing fee")}])
    assert first == second and first is not second
    assert kinds._VALIDATED == {}


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(kinds, "_KEPT", 3)
    for cents in range(5):
        validate_terms([_fee(D(f"5000.0{cents}"))])
    assert len(kinds._VALIDATED) <= 3
