"""Pages from templates: the filters that lay figures out for people, the errors a page can end in (the 403 page,
a log-in needed), and the headers every page carries."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..store.sessions import Session

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

# Scripts and styles from this server only: a page runs no inline script and loads nothing from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def money(value: object) -> str:
    """An answer's money string ("1207000.00") with thousands separators ("1,207,000.00"); None is a dash."""
    if value is None or value == "":
        return "–"
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def percent(value: object) -> str:
    """An answer's percentage string ("85.00") as shown ("85.00%")."""
    return "–" if value is None else f"{value}%"


def words(value: object) -> str:
    """An id or a status as words: "not_applicable" -> "not applicable"."""
    return "–" if value is None else str(value).replace("_", " ")


TEMPLATES.env.filters.update(money=money, percent=percent, words=words)


class PageError(Exception):
    """A page that cannot be shown: its status code, a title and what to say."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class LoginNeeded(Exception):
    """No live session: the log-in page, then back to where the person was going."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


NOT_PERMITTED = PageError(403, "Not permitted", "This page is not one your log-in may open. A facility outside "
                                                "yours and one that does not exist look the same.")


def page(request: Request, name: str, context: dict, *, session: Session | None = None,
         status: int = 200) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, name, {"session": session, **context}, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def mount_errors(app: FastAPI) -> None:
    @app.exception_handler(PageError)
    def _page_error(request: Request, exc: PageError) -> Response:
        return page(request, "error.html", {"title": exc.title, "message": exc.message, "status": exc.status},
                    session=getattr(request.state, "session", None), status=exc.status)

    @app.exception_handler(LoginNeeded)
    def _login(_request: Request, exc: LoginNeeded) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.target, safe='')}", status_code=303)
