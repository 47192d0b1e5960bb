"""The pages that act: the borrower's advance request (judged at once), the Agent's queue of requests to approve
or decline, a certificate computed from an uploaded aging and recorded after review, and the what-if page
(events added in memory, nothing written)."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from .. import projection as out
from ..core.dates import parse_iso_date
from ..core.errors import InputError, RecordError
from ..core.money import parse_money
from ..core.yamlio import load_yaml
from ..engine.availability import amount_problem
from ..events.parse import event_place, events_from
from ..portfolio.certify import NoDefinition, certify
from ..store import requests as advance_requests
from ..store.errors import Conflict
from ..store.requests import NoSuchRequest
from ..store.sessions import Session
from ..store.store import Store
from . import views
from .auth import check_csrf, may_open, session_dependency
from .pages import computed
from .render import PageError, page

MAX_WHATIF_CHARS = 100_000
MAX_UPLOAD_BYTES = 15 * 1024 * 1024  # within the app's 16 MB limit on a request's body


def mount(app: FastAPI, store: Store) -> None:
    Current = Annotated[Session, Depends(session_dependency(store))]

    def passes_check(facility_id: str) -> None:
        """A decision is computed: none from terms that fail `loanbook check` (as the API)."""
        problem = views.gate_problem(store.facility(facility_id), facility_id)
        if problem:
            raise PageError(409, "Fails its check", problem)

    def revolving(facility_id: str) -> list[str]:
        """The tranches an advance may be asked on: those with an availability clause."""
        replay = store.facility(facility_id)
        day = views.default_day(replay, datetime.now(UTC).date())
        try:
            return [a["tranche"] for a in computed(lambda: out.status_answer(replay, day))["availabilities"]]
        except PageError:
            return []

    def requests_page(request: Request, session: Session, facility_id: str, shown: int | None = None,
                      problem: str | None = None, status: int = 200, form: dict | None = None) -> Response:
        rows = [out.advance_request_json(r) for r in advance_requests.requests(store, facility_id)]
        return page(request, "requests.html", {
            "title": "Advance requests", "facility_id": facility_id, "requests": rows,
            "pending": [r for r in rows if r["status"] == "pending"],
            "shown": next((r for r in rows if r["id"] == shown), None), "problem": problem,
            "tranches": revolving(facility_id), "may": views.who_may(session, facility_id), "form": form or {}},
            session=session, status=status)

    @app.get("/book/{facility_id}/requests", include_in_schema=False)
    def requests(request: Request, facility_id: str, session: Current, shown: int | None = None) -> Response:
        may_open(store, session, facility_id)
        return requests_page(request, session, facility_id, shown)

    @app.post("/book/{facility_id}/requests", include_in_schema=False)
    def ask(request: Request, facility_id: str, session: Current, csrf: Annotated[str, Form()] = "",
            on: Annotated[str, Form()] = "", amount: Annotated[str, Form()] = "",
            tranche: Annotated[str, Form()] = "") -> Response:
        may_open(store, session, facility_id)
        check_csrf(session, csrf)
        if session.user.role not in ("borrower", "agent"):
            raise PageError(403, "Not permitted", f"a {session.user.role} may not request an advance")
        form = {"on": on, "amount": amount, "tranche": tranche}
        try:
            day = parse_iso_date(on, what="date of the advance")
            money = parse_money(amount.replace(",", ""), what="amount")
            problem = amount_problem(money)
            if problem:
                raise ValueError(f"amount {problem}, got {amount!r}")
        except ValueError as exc:
            return requests_page(request, session, facility_id, problem=str(exc), status=422, form=form)
        passes_check(facility_id)
        try:
            asked = computed(lambda: advance_requests.submit(store, facility_id, day=day, amount=money,
                                                             tranche=tranche or None, by=session.user.name))
        except PageError as exc:
            return requests_page(request, session, facility_id, problem=exc.message, status=422, form=form)
        return RedirectResponse(f"/book/{facility_id}/requests?shown={asked.id}", status_code=303)

    @app.post("/book/{facility_id}/requests/{request_id}/decision", include_in_schema=False)
    def decide(request: Request, facility_id: str, request_id: int, session: Current,
               csrf: Annotated[str, Form()] = "", decision: Annotated[str, Form()] = "") -> Response:
        may_open(store, session, facility_id)
        check_csrf(session, csrf)
        if session.user.role != "agent" or decision not in ("approve", "decline"):
            raise PageError(403, "Not permitted", "only the Agent approves or declines a request")
        passes_check(facility_id)
        try:
            computed(lambda: advance_requests.decide(store, facility_id, request_id, approve=decision == "approve",
                                                     by=session.user.name))
        except (Conflict, NoSuchRequest) as exc:
            return requests_page(request, session, facility_id, problem=out.conflict_text(exc), status=409)
        return RedirectResponse(f"/book/{facility_id}/requests?shown={request_id}", status_code=303)

    def whatif_page(request: Request, session: Session, facility_id: str, text: str, as_of: str,
                    compared: list | None = None, problem: str | None = None, status: int = 200) -> Response:
        return page(request, "whatif.html", {"title": "What if", "facility_id": facility_id, "text": text,
                                             "as_of": as_of, "compared": compared, "problem": problem},
                    session=session, status=status)

    @app.get("/book/{facility_id}/what-if", include_in_schema=False)
    def whatif_form(request: Request, facility_id: str, session: Current) -> Response:
        may_open(store, session, facility_id)
        replay = store.facility(facility_id)
        day = views.default_day(replay, datetime.now(UTC).date())
        tranches = revolving(facility_id)
        loan = f"loan: {tranches[0]}, " if len(tranches) > 1 else ""
        example = f'- {{date: {day.isoformat()}, type: advance, {loan}amount: "10000.00"}}\n' if tranches else ""
        return whatif_page(request, session, facility_id, example, day.isoformat())

    @app.post("/book/{facility_id}/what-if", include_in_schema=False)
    def whatif(request: Request, facility_id: str, session: Current, csrf: Annotated[str, Form()] = "",
               events: Annotated[str, Form()] = "", as_of: Annotated[str, Form()] = "") -> Response:
        """The record with the given events added, in memory: compared with the record as it is on a day."""
        may_open(store, session, facility_id)
        check_csrf(session, csrf)
        passes_check(facility_id)
        source = "what-if events"
        try:
            day = parse_iso_date(as_of, what="as of")
            if len(events) > MAX_WHATIF_CHARS:
                raise ValueError(f"the events are {len(events):,} characters; the most is {MAX_WHATIF_CHARS:,}")
            before = store.facility(facility_id)
            located = load_yaml(source, text=events, locate=event_place)  # type: ignore[arg-type]
            if not isinstance(located.data, list) or not located.data:
                raise ValueError("give a YAML list of one or more events (docs/events.md)")
            added = events_from(located.data, before.agreement, source, line_of=located.line, prior=before.events)
            compared = computed(lambda: views.whatif_compare(before, before.extended(added), day))
        except ValueError as exc:
            return whatif_page(request, session, facility_id, events, as_of, problem=str(exc), status=422)
        except InputError as exc:
            return whatif_page(request, session, facility_id, events, as_of, problem=exc.one_line(), status=422)
        except PageError as exc:
            return whatif_page(request, session, facility_id, events, as_of, problem=exc.message, status=422)
        return whatif_page(request, session, facility_id, events, as_of, compared)

    def may_report(session: Session, facility_id: str) -> None:
        may_open(store, session, facility_id)
        if session.user.role not in ("borrower", "agent"):
            raise PageError(403, "Not permitted", f"a {session.user.role} does not report a borrowing base")

    def certificate_page(request: Request, session: Session, facility_id: str, *, as_of: str = "",
                         problem: str | None = None, status: int = 200, answer: dict | None = None,
                         event: str | None = None) -> Response:
        return page(request, "certificate.html", {"title": "Borrowing base certificate", "facility_id": facility_id,
                                                  "as_of": as_of, "problem": problem, "answer": answer,
                                                  "event": event}, session=session, status=status)

    @app.get("/book/{facility_id}/certificates", include_in_schema=False)
    def certificate_form(request: Request, facility_id: str, session: Current) -> Response:
        may_report(session, facility_id)
        return certificate_page(request, session, facility_id)

    @app.post("/book/{facility_id}/certificates", include_in_schema=False)
    def certificate_review(request: Request, facility_id: str, session: Current,
                           aging: Annotated[UploadFile, File()], csrf: Annotated[str, Form()] = "",
                           as_of: Annotated[str, Form()] = "", sheet: Annotated[str, Form()] = "",
                           collateral: Annotated[str, Form()] = "") -> Response:
        """The certificate an aging (CSV, xlsx or Parquet) gives, for review: nothing is recorded yet."""
        may_report(session, facility_id)
        check_csrf(session, csrf)
        passes_check(facility_id)
        name = aging.filename or "aging"
        data = aging.file.read(MAX_UPLOAD_BYTES + 1)
        try:
            if len(data) > MAX_UPLOAD_BYTES:
                raise ValueError(f"{name} is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; compute its certificate "
                                 "with `loanbook bbc compute --record`")
            day = parse_iso_date(as_of, what="as of")
            agreement = store.facility(facility_id).agreement
            certified = computed(lambda: certify(agreement, data, name, day, checked=True,  # passes_check above
                                                 facility_ids={facility_id, agreement.facility_id},
                                                 sheet=sheet or None, collateral=collateral or None))
        except (ValueError, NoDefinition) as exc:
            return certificate_page(request, session, facility_id, as_of=as_of, problem=str(exc), status=422)
        except PageError as exc:
            return certificate_page(request, session, facility_id, as_of=as_of, problem=exc.message, status=422)
        event = certified.event("the web app")
        return certificate_page(request, session, facility_id, as_of=as_of, answer=certified.answer(),
                                event=json.dumps(event))

    @app.post("/book/{facility_id}/certificates/record", include_in_schema=False)
    def certificate_record(request: Request, facility_id: str, session: Current, csrf: Annotated[str, Form()] = "",
                           event: Annotated[str, Form()] = "") -> Response:
        """Record the reviewed certificate: the borrowing base report the review page showed, as any report is
        recorded (a borrower's: a report only; checked and chained by the store; never the same aging twice)."""
        may_report(session, facility_id)
        check_csrf(session, csrf)
        passes_check(facility_id)
        try:
            rows = [json.loads(event, parse_float=Decimal)]
        except ValueError:
            raise PageError(422, "Not a certificate", "the reviewed certificate did not come back whole: compute "
                                                      "it again") from None
        refused = session.user.refusal_to_record(rows)
        if refused or not isinstance(rows[0], dict) or rows[0].get("type") != "borrowing_base_report":
            raise PageError(403, "Not permitted", refused or "only a borrowing base report is recorded here")
        try:
            recorded = store.record(facility_id, rows, by=session.user.name, source="certificate upload")
        except InputError as exc:
            raise PageError(422, "Not recorded", exc.one_line()) from None
        except RecordError as exc:
            raise PageError(422, "Not recorded", str(exc)) from None
        return RedirectResponse(f"/book/{facility_id}/audit#event-{recorded.first_seq}", status_code=303)
