"""The certificate and the report that records it (portfolio/certify.py): a certificate computed from terms that
fail `loanbook check` is shown, never recorded, whichever edge asks (the CLI's --record, the web's upload)."""
import hashlib
from datetime import date

import pytest

from conftest import SEED
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import RecordError
from loanbook.portfolio.certify import NotRecorded, certify, recordable, report_event

AGING = SEED / "agings" / "aging-2002-12-16.csv"
DAY = date(2002, 12, 16)
REFUSAL = "a certificate computed from terms that fail `loanbook check` is not recorded"


def certified(*, checked: bool):
    agreement = load_agreement(SEED)
    return certify(agreement, AGING.read_bytes(), str(AGING), DAY, checked=checked,
                   facility_ids={agreement.facility_id})


def test_a_checked_certificate_is_recorded_as_a_borrowing_base_report():
    event = certified(checked=True).event("a test")
    assert event["type"] == "borrowing_base_report" and event["date"] == "2002-12-16"
    assert event["values"] == {"receivables_borrowing_base": "1030000.00"}
    assert event["evidence"]["aging_sha256"] == hashlib.sha256(AGING.read_bytes()).hexdigest()
    assert event["evidence"]["aging_file"] == AGING.name
    assert event["note"] == f"computed from {AGING.name} by a test"


def test_an_unchecked_certificate_is_shown_but_its_report_is_refused():
    unchecked = certified(checked=False)
    assert unchecked.answer() == certified(checked=True).answer()  # the same figures, shown
    with pytest.raises(NotRecorded, match=f"^{REFUSAL}$"):
        unchecked.event("a test")
    with pytest.raises(RecordError):
        report_event(DAY, "receivables_borrowing_base", unchecked.certificate.value, b"", "aging.csv", {}, "a test",
                     checked=False)
    recordable(True)  # a checked one passes
