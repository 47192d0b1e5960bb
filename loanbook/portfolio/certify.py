"""One borrower's certificate from its aging, and the borrowing base report that records it: shared by `loanbook
bbc compute` and the web app's certificate upload, so both compute and record the same thing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..agreement.kinds_eligibility import Eligibility
from ..agreement.model import Agreement, ClauseVersion
from ..core.errors import RecordError
from ..core.money import money_str
from ..store.chain import sha256
from .aging import aging_from_bytes, rows_of
from .rules import Certificate, EligibilityRules, certificate


class NoDefinition(ValueError):
    """No eligibility definition in force that day, or several where the caller named none."""


class NotRecorded(RecordError):
    """A certificate computed (unchecked) from terms that fail `loanbook check`: shown, never recorded."""

    def __init__(self) -> None:
        super().__init__("a certificate computed from terms that fail `loanbook check` is not recorded")


def recordable(checked: bool) -> None:
    """Refuse to record a certificate whose terms failed `loanbook check` (NotRecorded): a report in the record
    is a figure every later answer reads, and terms that contradict their text compute nothing lasting."""
    if not checked:
        raise NotRecorded()


def report_event(day: date, collateral: str, value: Decimal, data: bytes, name: str, certificate: dict, tool: str,
                 *, checked: bool) -> dict:
    """The borrowing base report that records a certificate, with its evidence: the aging's SHA-256 and name, and
    the certificate itself (its JSON). Refused when its terms failed the check."""
    recordable(checked)
    file = Path(name).name
    return {"date": day.isoformat(), "type": "borrowing_base_report", "values": {collateral: money_str(value)},
            "evidence": {"aging_sha256": sha256(data), "aging_file": file, "certificate": certificate},
            "note": f"computed from {file} by {tool}"}


@dataclass(frozen=True)
class Certified:
    certificate: Certificate
    terms: Eligibility
    version: ClauseVersion
    data: bytes          # the aging as read: the evidence hashes exactly this
    name: str            # the aging's path or name, as problems name it
    checked: bool        # whether its terms passed `loanbook check` (false: computed unchecked, never recorded)

    def answer(self) -> dict:
        from ..projection import certificate_json

        return certificate_json(self.certificate, self.terms.collateral, self.terms.label, self.version.clause_id)

    def event(self, tool: str) -> dict:
        """The borrowing base report that records the certificate (NotRecorded if its terms failed the check)."""
        return report_event(self.certificate.as_of, self.terms.collateral, self.certificate.value, self.data,
                            self.name, self.answer(), tool, checked=self.checked)


def eligibility_in_force(agreement: Agreement, day: date, collateral: str | None = None
                         ) -> tuple[ClauseVersion, Eligibility]:
    """The eligibility definition in force on the day (of `collateral`, if several are)."""
    found = [(v, b) for v, b in agreement.terms_in_force(Eligibility, day)
             if collateral is None or b.collateral == collateral]
    if not found:
        raise NoDefinition(f"no eligibility definition{f' of {collateral}' if collateral else ''} is in force on "
                           f"{day}")
    if len(found) > 1:
        raise NoDefinition("several collateral classes have an eligibility definition: name one with --class ("
                           + ", ".join(b.collateral for _, b in found) + ")")
    return found[0]


def certify(agreement: Agreement, data: bytes, name: str, day: date, *, checked: bool, facility_ids: set[str],
            sheet: str | None = None, collateral: str | None = None, engine: str = "duckdb", top: int = 5
            ) -> Certified:
    """The certificate of the receivables' eligibility definition in force on the day (of `collateral`, if several
    are), from an aging. `checked`: whether the agreement passes `loanbook check`."""
    version, terms = eligibility_in_force(agreement, day, collateral)
    if terms.items is not None:
        raise NoDefinition(f"{terms.collateral} is valued from an item list, not an aging: `loanbook bbc compute "
                           "--items FILE` computes its certificate")
    invoices = rows_of(aging_from_bytes(data, name, sheet=sheet), facility_ids, name)
    return Certified(certificate(EligibilityRules.of(terms), invoices, day, engine=engine, top=top), terms, version,
                     data, name, checked)
