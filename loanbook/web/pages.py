"""The pages that read: the book, a facility on a day, a figure's explanation, the agreement (its conformed
copy, each clause's history, each document's redline) and the audit trail."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import localcontext
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response

from .. import projection as out
from ..agreement.conformed import chain_on, terms_summary
from ..core.dates import parse_iso_date, parse_timestamp
from ..core.errors import InputError, RecordError
from ..engine.facility import ENGINE_CONTEXT, Facility, UnknownFigure
from ..reports.documents import borrowing_base_certificate, compliance_report, monthly_statement
from ..reports.render import MEDIA_TYPES, RENDERERS, file_name, render
from ..store import requests as advance_requests
from ..store.sessions import Session
from ..store.store import NotStored, Store
from . import views
from .auth import may_open, session_dependency
from .render import NOT_PERMITTED, PageError, page

DateText = Annotated[str | None, Query(max_length=40)]

# The documents the facility page offers, by the name in their link: each built for the page's day (the
# statement for the day's month), with the Lenders' shares the user may see.
DOCUMENTS: dict[str, Callable] = {
    "borrowing-base-certificate": lambda engine, day, checked, _parties: borrowing_base_certificate(
        engine, day, checked=checked),
    "compliance-report": lambda engine, day, checked, _parties: compliance_report(engine, day, checked=checked),
    "statement": lambda engine, day, checked, parties: monthly_statement(
        engine, day.strftime("%Y-%m"), checked=checked, parties=parties),
}
T = TypeVar("T")


def day_of(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return parse_iso_date(value, what=name)
    except ValueError as exc:
        raise PageError(422, "Not a date", str(exc)) from None


def moment_of(value: str | None) -> datetime | None:
    """"As known at": a datetime-local field's value (UTC) or any ISO time."""
    if not value:
        return None
    try:
        return parse_timestamp(value if re.search(r"(Z|[+-]\d\d:\d\d)$", value) else value + "Z", what="known at")
    except ValueError as exc:
        raise PageError(422, "Not a time", str(exc)) from None


def computed(work: Callable[[], T]) -> T:
    """The engine's answers for a page, in its decimal context; a question the record or an input cannot answer
    is a page saying why (422), as the API says it."""
    try:
        with localcontext(ENGINE_CONTEXT):
            return work()
    except InputError as exc:
        raise PageError(422, "Cannot compute", exc.one_line()) from None
    except RecordError as exc:
        raise PageError(422, "The record cannot answer", str(exc)) from None


def mount(app: FastAPI, store: Store) -> None:
    Current = Annotated[Session, Depends(session_dependency(store))]

    def replay_for(session: Session, facility_id: str, known_at: datetime | None = None, *, unchecked: bool = False,
                   figures: bool = True) -> Facility:
        """The facility as the user may see it, or the 403 page (the same for one that does not exist). For
        figures, one that fails `loanbook check` is a 409 page unless the agent asks with `unchecked`; its text,
        history and record are shown whatever its check says."""
        may_open(store, session, facility_id)
        try:
            replay = store.facility(facility_id, known_at=known_at)
        except NotStored:
            raise NOT_PERMITTED from None
        problem = views.gate_problem(replay, facility_id) if figures else None
        if problem and not (unchecked and session.user.may_skip_check()):
            raise PageError(409, "Fails its check", problem)
        return replay

    def today() -> date:
        return datetime.now(UTC).date()

    def book_row(stored, replay: Facility, day: date) -> dict:
        """A facility's line of the book, or the reason it has none (it fails its check, or the record cannot
        answer on that day)."""
        problem = views.gate_problem(replay, stored.id)
        if problem is None:
            try:
                return computed(lambda: views.book_row(stored.id, stored.name, replay, day))
            except PageError as exc:
                problem = exc.message
        return {"id": stored.id, "name": stored.name, "as_of": day.isoformat(), "error": problem}

    @app.get("/book", include_in_schema=False)
    def book(request: Request, session: Current, as_of: DateText = None, sort: str = "name", order: str = "asc",
             q: Annotated[str, Query(max_length=120)] = "", breached: bool = False) -> Response:
        day = day_of(as_of, "as of")
        rows = []
        for stored in store.facilities():
            if not session.user.may_read(stored.id):
                continue
            if q and q.lower() not in f"{stored.id} {stored.name}".lower():
                continue
            replay = store.facility(stored.id)
            shown = day or views.default_day(replay, today())
            rows.append(book_row(stored, replay, shown))
        if breached:
            rows = [r for r in rows if r.get("breaches")]
        key = views.BOOK_SORTS.get(sort, views.BOOK_SORTS["name"])
        rows.sort(key=key, reverse=order == "desc")
        return page(request, "book.html", {"title": "The book", "rows": rows, "totals": views.book_totals(rows),
                                           "as_of": as_of or "", "sort": sort, "order": order, "q": q,
                                           "breached": breached}, session=session)

    @app.get("/book/{facility_id}", include_in_schema=False)
    def facility(request: Request, facility_id: str, session: Current, as_of: DateText = None,
                 known_at: DateText = None, unchecked: bool = False) -> Response:
        moment = moment_of(known_at)
        replay = replay_for(session, facility_id, moment, unchecked=unchecked)
        day = day_of(as_of, "as of") or views.default_day(replay, today())
        view = computed(lambda: views.facility_view(
            replay, day, lambda rows: session.user.lenders_seen(facility_id, rows)))
        return page(request, "facility.html", {
            "title": replay.agreement.name, "facility_id": facility_id, "agreement": replay.agreement,
            "day": day.isoformat(), "known_at": known_at or "", "unchecked": unchecked,
            "chart": views.chart_json(view["timeline"]), "may": views.who_may(session, facility_id), **view},
            session=session)

    @app.get("/book/{facility_id}/documents/{name}", include_in_schema=False)
    def document_download(facility_id: str, name: str, session: Current, as_of: DateText = None,
                          known_at: DateText = None, unchecked: bool = False) -> Response:
        """A document of the facility page's day (the statement of its month) as HTML, PDF or xlsx: rendered
        from the same replay as the page, offered as a download named by facility, document and day."""
        kind, _, fmt = name.rpartition(".")
        if kind not in DOCUMENTS or fmt not in RENDERERS:
            raise PageError(404, "No such document", f"{name!r}: one of {', '.join(DOCUMENTS)}, as "
                                                     f"{', '.join(RENDERERS)}")
        replay = replay_for(session, facility_id, moment_of(known_at), unchecked=unchecked)
        day = day_of(as_of, "as of") or views.default_day(replay, today())
        checked = views.gate_problem(replay, facility_id) is None
        made = computed(lambda: DOCUMENTS[kind](replay, day, checked, session.user.parties_seen(facility_id)))
        return Response(render(made, fmt), media_type=MEDIA_TYPES[fmt], headers={
            "Content-Disposition": f'attachment; filename="{file_name(made, fmt)}"',
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})

    @app.get("/book/{facility_id}/explain/{figure}", include_in_schema=False)
    def explain(request: Request, facility_id: str, figure: str, session: Current, as_of: DateText = None,
                known_at: DateText = None, unchecked: bool = False) -> Response:
        replay = replay_for(session, facility_id, moment_of(known_at), unchecked=unchecked)
        day = day_of(as_of, "as of") or views.default_day(replay, today())

        def explained() -> dict:
            try:
                return out.explain_answer(replay, figure, day)
            except UnknownFigure as exc:
                raise PageError(404, "No such figure", f"{facility_id} has no figure {exc.figure!r} on {exc.day}"
                                ) from None
        tree = computed(explained)
        return page(request, "explain.html", {"title": f"Why {tree.get('label') or figure}", "tree": tree,
                                              "facility_id": facility_id, "day": day.isoformat(),
                                              "known_at": known_at or ""}, session=session)

    @app.get("/book/{facility_id}/agreement", include_in_schema=False)
    def agreement(request: Request, facility_id: str, session: Current, as_of: DateText = None,
                  known_at: DateText = None) -> Response:
        replay = replay_for(session, facility_id, moment_of(known_at), figures=False)
        day = day_of(as_of, "as of") or views.default_day(replay, today())
        agreement = replay.agreement
        clauses = [{"version": v, "document": agreement.document(v.document_id), "terms": terms_summary(v)}
                   for v in agreement.in_force(day)]
        return page(request, "agreement.html", {"title": f"{agreement.name}: the agreement as amended",
                                                "facility_id": facility_id, "agreement": agreement,
                                                "day": day.isoformat(), "documents": chain_on(agreement, day),
                                                "clauses": clauses, "known_at": known_at or ""}, session=session)

    @app.get("/book/{facility_id}/agreement/clauses/{clause_id}", include_in_schema=False)
    def clause(request: Request, facility_id: str, clause_id: str, session: Current) -> Response:
        agreement = replay_for(session, facility_id, figures=False).agreement
        if clause_id not in agreement.clauses:
            raise PageError(404, "No such clause", f"{facility_id} has no clause {clause_id!r}")
        found = agreement.clauses[clause_id]
        return page(request, "clause.html", {"title": f"{found.title}: its history", "facility_id": facility_id,
                                             "clause": found, "versions": views.clause_history(agreement, clause_id)},
                    session=session)

    @app.get("/book/{facility_id}/agreement/documents/{document_id}", include_in_schema=False)
    def document(request: Request, facility_id: str, document_id: str, session: Current) -> Response:
        agreement = replay_for(session, facility_id, figures=False).agreement
        found = next((d for d in agreement.documents if d.id == document_id), None)
        if found is None:
            raise PageError(404, "No such document", f"{facility_id} has no document {document_id!r}")
        return page(request, "document.html", {"title": found.title, "facility_id": facility_id, "document": found,
                                               "changes": views.document_changes(agreement, document_id)},
                    session=session)

    @app.get("/book/{facility_id}/audit", include_in_schema=False)
    def audit(request: Request, facility_id: str, session: Current) -> Response:
        replay_for(session, facility_id, figures=False)
        rows = [out.event_row_json(r) for r in store.event_rows(facility_id)]
        return page(request, "audit.html", {
            "title": "Audit trail", "facility_id": facility_id, "events": rows, "chain": store.verify(facility_id),
            "requests": [out.advance_request_json(r) for r in advance_requests.requests(store, facility_id)]},
            session=session)
