"""The user's calendar feed: every facility the user may see, as one iCalendar feed at a secret URL a calendar
app subscribes to (no cookie: the secret in the URL is the credential). The calendar page makes the secret and
shows the URL once; making a new one refuses the old URL from the next request (store/users.py keeps only the
secret's SHA-256)."""

from decimal import localcontext
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import Response

from ..engine.facility import ENGINE_CONTEXT
from ..reports.calendar import calendar_feed
from ..store.sessions import Session
from ..store.store import Store
from ..store.users import User, by_calendar_secret, calendar_made_at, new_calendar_secret
from . import views
from .auth import check_csrf, session_dependency
from .render import PageError, page

NO_FEED = PageError(404, "No such calendar", "This calendar address is not (or no longer) one this server knows.")


def mount(app: FastAPI, store: Store) -> None:
    Current = Annotated[Session, Depends(session_dependency(store))]

    def covered(user: User) -> list[tuple[str, str, str | None]]:
        """The facilities the feed holds: each the user may see, with why it is left out (it fails its check)."""
        rows = []
        for stored in store.facilities():
            if user.may_read(stored.id):
                rows.append((stored.id, stored.name, views.gate_problem(store.facility(stored.id), stored.id)))
        return rows

    def calendar_page(request: Request, session: Session, url: str | None = None) -> Response:
        return page(request, "calendar.html", {
            "title": "Your calendar feed", "facilities": covered(session.user), "url": url,
            "made_at": calendar_made_at(store, session.user.id)}, session=session)

    @app.get("/calendar", include_in_schema=False)
    def calendar(request: Request, session: Current) -> Response:
        return calendar_page(request, session)

    @app.post("/calendar", include_in_schema=False)
    def new_calendar(request: Request, session: Current, csrf: Annotated[str, Form()] = "") -> Response:
        check_csrf(session, csrf)
        secret = new_calendar_secret(store, session.user.id)
        url = str(request.url_for("calendar_feed", user_id=session.user.id, secret=secret))
        return calendar_page(request, session, url)

    @app.get("/calendar/{user_id}/{secret}.ics", name="calendar_feed", include_in_schema=False)
    def feed(user_id: str, secret: str) -> Response:
        """The feed, opened by its secret alone; a wrong, old or revoked one is the same 404."""
        user = by_calendar_secret(store, user_id, secret)
        if user is None:
            raise NO_FEED
        engines = [store.facility(fid) for fid, _name, problem in covered(user) if problem is None]
        with localcontext(ENGINE_CONTEXT):
            data = calendar_feed(engines, f"loanbook: {user.name}")
        return Response(data, media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                 "X-Content-Type-Options": "nosniff"})
