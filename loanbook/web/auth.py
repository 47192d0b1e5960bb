"""Log-in and log-out: a name and password, or the user's API token, opens a session; its cookie is HttpOnly,
SameSite=Strict and expires with the session (store/sessions.py). Every form carries the session's CSRF token
and a POST without it is refused; the log-in form, before any session, carries one tied to a short cookie."""

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..store.sessions import SESSION_LIFETIME, Session, close_session, open_session, session_of
from ..store.store import Store
from ..store.users import Authenticator, by_password
from .render import NOT_PERMITTED, LoginNeeded, PageError, mount_errors, page

COOKIE = "loanbook_session"
LOGIN_COOKIE = "loanbook_login"  # the log-in form's CSRF token, before there is a session


def safe_target(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (a browser drops tabs and newlines from a URL, so
    "/<tab>/elsewhere" would leave it: no whitespace or control character either)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or not target.isprintable() or any(c.isspace() for c in target)):
        return "/book"
    return target


def session_dependency(store: Store):
    def current(request: Request) -> Session:
        session = session_of(store, request.cookies.get(COOKIE, ""))
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginNeeded(target if request.method == "GET" else "/book")
        request.state.session = session
        return session
    return current


def may_open(store: Store, session: Session, facility_id: str) -> None:
    """The 403 page unless the user may read the facility; one that does not exist looks the same."""
    if not session.user.may_read(facility_id) or store.get(facility_id) is None:
        raise NOT_PERMITTED


def check_csrf(session: Session, given: str) -> None:
    if not given or not hmac.compare_digest(given, session.csrf):
        raise PageError(403, "Form expired", "This form's security token does not match your session: open the "
                                             "page again and resubmit.")


def mount(app: FastAPI, store: Store) -> None:
    mount_errors(app)
    authenticator = Authenticator(store)
    Current = Annotated[Session, Depends(session_dependency(store))]

    def login_page(request: Request, target: str, problem: str | None = None, status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        response = page(request, "login.html", {"title": "Log in", "next": target, "csrf": token,
                                                "problem": problem}, status=status)
        response.set_cookie(LOGIN_COOKIE, token, max_age=1800, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/book", status_code=303)

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str | None = None) -> Response:
        return login_page(request, safe_target(next))

    @app.post("/login", include_in_schema=False)
    def login(request: Request, csrf: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
              password: Annotated[str, Form()] = "", token: Annotated[str, Form()] = "",
              next: Annotated[str, Form()] = "/book") -> Response:
        target = safe_target(next)
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not csrf or not expected or not hmac.compare_digest(csrf, expected):
            return login_page(request, target, "The log-in form expired: please try again.", 403)
        user = None
        if token.strip():
            user = authenticator.user(token.strip())
        elif name.strip() and password:
            user = by_password(store, name.strip(), password[:1000])
        if user is None:
            return login_page(request, target, "Name and password, or token, not recognised.", 401)
        value, _session = open_session(store, user)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, value, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        response.delete_cookie(LOGIN_COOKIE, httponly=True, samesite="strict")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, session: Current, csrf: Annotated[str, Form()] = "") -> Response:
        check_csrf(session, csrf)
        close_session(store, request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="strict")
        return response
