"""What the database computes from each stored event's body (`loanbook/store/event_fields.py`): the loan, and a
principal amount in whole cents where it is written plainly, on a SQLite file and on PostgreSQL; against the event
parser's own reading of the amount (`parse_money`), over random amounts written every way it accepts."""
from __future__ import annotations

import json
from decimal import ROUND_DOWN
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from loanbook.core.money import parse_money


def _insert(store, rows: list[tuple[str, dict]]) -> list[tuple]:
    """Rows written as the store writes them (only the body: the generated columns are the database's), read back."""
    with store.writing() as connection:
        connection.execute(text("DELETE FROM events WHERE facility_id = 'f'"))
        connection.execute(text("DELETE FROM facilities WHERE id = 'f'"))
        connection.execute(text("INSERT INTO facilities (id, name, imported_at, imported_from, files_hash, "
                                "imported_events, head_seq, head_hash) VALUES ('f', 'F', '2026-01-01 00:00:00', "
                                "'/x', 'h', 0, 0, 'h')"))
        for seq, (kind, body) in enumerate(rows, start=1):
            connection.execute(text(
                "INSERT INTO events (facility_id, seq, key, type, effective, recorded_by, body, prev_hash, hash) "
                "VALUES ('f', :seq, :key, :type, '2024-01-02', 'test', :body, 'p', 'h')"),
                {"seq": seq, "key": f"k{seq}", "type": kind, "body": json.dumps(body)})
    with store.reading() as connection:
        return connection.execute(text("SELECT loan, cents FROM events WHERE facility_id = 'f' ORDER BY seq")).all()


def test_a_plain_amount_in_cents_and_every_other_writing_left_to_the_replay(store):
    rows = _insert(store, [
        ("advance", {"loan": "revolver", "amount": "1500000.00"}),    # 150,000,000 cents
        ("advance", {"loan": "revolver", "amount": "1500000.5"}),     # one place: 150,000,050 cents
        ("repayment", {"loan": "term", "amount": "250"}),             # no places: 25,000 cents
        ("opening_balance", {"loan": "term", "amount": 1200.25}),     # a JSON number: 120,025 cents
        ("advance", {"loan": "revolver", "amount": "$1,500,000.00"}),  # not plain: the replay reads it
        ("advance", {"loan": "revolver", "amount": "1500000.005"}),   # three places: refused by the parser anyway
        ("advance", {"loan": "revolver", "amount": ".50"}),           # no digit before the point
        ("advance", {"loan": "revolver", "amount": "1234567890123456.00"}),  # 16 digits: past 15, not summed
        ("borrowing_base_report", {"values": {"accounts": "1000.00"}, "amount": "5.00"}),  # not a principal event
        ("advance", {"amount": "10.00"}),                             # names no loan
    ])
    assert rows == [("revolver", 150_000_000), ("revolver", 150_000_050), ("term", 25_000), ("term", 120_025),
                    ("revolver", None), ("revolver", None), ("revolver", None), ("revolver", None), (None, None),
                    (None, 1_000)]


@st.composite
def _writings(draw) -> tuple[str, D]:
    """An amount the event parser accepts, written one of its ways: 0, 1 or 2 places, with or without '$' and
    thousands separators; and the amount it reads."""
    cents = draw(st.integers(0, 10**17 - 1))  # below the parser's bound of 10**15 dollars
    places = draw(st.sampled_from([0, 1, 2]))
    amount = D(cents).scaleb(-2).quantize(D(1).scaleb(-places), rounding=ROUND_DOWN)
    written = ("$" if draw(st.booleans()) else "") + (f"{amount:,.{places}f}" if draw(st.booleans())
                                                      else f"{amount:.{places}f}")
    return written, parse_money(written)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writings=st.lists(_writings(), min_size=1, max_size=8))
def test_cents_is_the_parsed_amount_exactly_where_written_plainly(store, writings):
    rows = _insert(store, [("advance", {"loan": "revolver", "amount": w}) for w, _ in writings])
    for (written, parsed), (_, cents) in zip(writings, rows, strict=True):
        plain = not written.startswith("$") and "," not in written  # 15 digits at most: the parser's bound
        assert cents == (int(parsed * 100) if plain else None), written
