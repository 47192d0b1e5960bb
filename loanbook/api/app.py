"""The API: the command line's answers over HTTP, for several people at once, on one store.

Every answer is the JSON the command line gives with `--json` (`projection.py`), so a figure is the same
wherever it is asked. Who may do what:

- agent: everything on its facilities (read, record events, decide advance requests);
- lender: reads its facilities, and its own share;
- borrower: reads its facility, submits borrowing base reports and advance requests.

No token: 401. A facility outside the user's (or one that does not exist): 403, the same answer either
way, so nothing says whether another facility exists. Bad input: 422 naming the field. POSTs take an
`Idempotency-Key`: a retry with the same key and body gets the first answer and records nothing again.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr
from sqlalchemy import Connection

from .. import projection as out
from ..agreement.gate import FailsCheck, require
from ..core.cache import Bounded
from ..core.dates import parse_iso_date, parse_timestamp
from ..core.errors import InputError, RecordError
from ..core.money import parse_money
from ..engine.availability import amount_problem
from ..engine.facility import ENGINE_CONTEXT, MAX_STATEMENT_MONTHS, MAX_TIMELINE_DAYS, Facility, UnknownFigure
from ..store import requests as advance_requests
from ..store.idempotency import KeyReused, Written, once
from ..store.records import body_text
from ..store.requests import Conflict, NoSuchRequest
from ..store.store import NotStored, Store
from ..store.users import Authenticator, User
from .limits import BodyLimit
from .schemas import with_response_schemas

NOT_PERMITTED = "not permitted"
THREADS = 4  # requests answered at once in one server process
MAX_BODY_BYTES = 16 * 1024 * 1024

FacilityId = Annotated[str, Path(max_length=64, description="a stored facility's id")]
def _iso(name: str):
    """A query's ISO date, read by the project's one date parser (1901-01-01 to 2199-12-31, YYYY-MM-DD only)."""
    return BeforeValidator(lambda value: parse_iso_date(value, what=name))


AsOf = Annotated[date, Query(description="ISO date: the figures at the end of this day", examples=["2002-10-15"]),
                 _iso("as_of")]
On = Annotated[date, Query(description="ISO date of the payoff", examples=["2002-12-31"]), _iso("on")]
From = Annotated[date, Query(alias="from", description="ISO date: the first day"), _iso("from")]
To = Annotated[date, Query(alias="to", description="ISO date: the last day"), _iso("to")]
KnownAt = Annotated[str | None, Query(description="ISO date-time: the record as known then (UTC unless it names "
                                                  "a zone)")]
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="a retry with the same key and body "
                                                                          "records nothing again")]
Unchecked = Annotated[bool, Query(description="compute even though the facility fails `loanbook check` (the agent "
                                              "only; the answer says checked: false)")]


class EventsIn(BaseModel):
    """Events in the format of docs/events.md; amounts as strings ("50000.00")."""

    model_config = ConfigDict(extra="forbid")
    events: list[dict[str, Any]] = Field(min_length=1, max_length=50_000)


class AdvanceRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: StrictStr = Field(description="ISO date of the advance", examples=["2002-10-15"])
    amount: StrictStr = Field(description="dollars and cents, as a string", examples=["50000.00"])
    tranche: StrictStr | None = Field(default=None, description="the revolving tranche, if the facility has several")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "decline"]


def create_app(store: Store | None = None) -> FastAPI:
    store = store or Store()
    authenticator = Authenticator(store)
    @asynccontextmanager
    async def lifespan(_app):
        # Few threads answer at once: more only queue on the interpreter lock and stretch every answer's latency
        # (benchmarks/api_load.py: p99 of 76 to 117 ms with the default 40 threads, 34 to 38 ms with 4).
        to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield

    app = FastAPI(title="loanbook", version="1", description=__doc__, lifespan=lifespan, docs_url=None,
                  redoc_url=None)  # /docs is the web app's, on Swagger UI served from this server
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.state.store = store

    # --- errors ------------------------------------------------------------------------------------------

    @app.exception_handler(InputError)
    def _input(_request, exc: InputError):
        return JSONResponse({"detail": [{"loc": _location(p), "msg": p.message, "file": p.file,
                                         "position": p.position, "field": p.field, "type": "value_error"}
                                        for p in exc.problems]}, status_code=422)

    @app.exception_handler(RecordError)
    def _record(_request, exc: RecordError):
        return JSONResponse({"detail": [{"loc": ["record"], "msg": str(exc), "type": "record_error"}]},
                            status_code=422)

    @app.exception_handler(NotStored)
    def _not_stored(_request, _exc):
        return JSONResponse({"detail": NOT_PERMITTED}, status_code=403)

    @app.exception_handler(Conflict)
    def _conflict(_request, exc: Conflict):
        return JSONResponse({"detail": out.conflict_text(exc)}, status_code=409)

    # --- who is asking ----------------------------------------------------------------------------------

    # The checks are coroutines: FastAPI would run each plain function in a worker thread, a hop per check.
    bearer = HTTPBearer(auto_error=False, description="a user's token, as `loanbook users add` printed it")

    async def user(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
        token = credentials.credentials.strip() if credentials else ""
        found = None
        if token:
            found = await run_in_threadpool(authenticator.user, token)
        if found is None:
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        return found

    Caller = Annotated[User, Depends(user)]

    async def reader(facility_id: FacilityId, caller: Caller) -> User:
        if not caller.may_read(facility_id):
            raise HTTPException(403, NOT_PERMITTED)
        return caller

    def role(*roles: str) -> Callable[[User], Awaitable[User]]:
        async def check(caller: Annotated[User, Depends(reader)]) -> User:
            if caller.role not in roles:
                raise HTTPException(403, f"a {caller.role} may not do this")
            return caller
        return check

    Reader = Annotated[User, Depends(reader)]

    answers = Bounded(4096)  # (facility, record head, known-at, question) -> the answer's JSON

    async def answered(facility_id: str, known_at: str | None, question: tuple,
                       compute: Callable[[Facility], dict], caller: User, unchecked: bool) -> Response:
        """An answer as JSON, computed once per question and record head (an append moves the head, so nothing
        is answered from before it), in one worker thread: the endpoints are coroutines, so that a request
        costs one hop to a thread, not one per step."""
        may_skip_check(caller, unchecked)
        return await run_in_threadpool(_answered, facility_id, known_at, question, compute, unchecked)

    def _answered(facility_id: str, known_at: str | None, question: tuple,
                  compute: Callable[[Facility], dict], unchecked: bool) -> Response:
        moment = _moment(known_at)
        replay = store.facility(facility_id, known_at=moment)
        checked = passes_check(replay, facility_id, unchecked)
        key = (facility_id, len(replay.events), moment, question)
        body = answers.get(key)
        if body is None:
            with localcontext(ENGINE_CONTEXT):  # whatever the server's thread has set
                body = json.dumps(out.checked_answer(checked, compute(replay))).encode()
            answers.put(key, body)
        return Response(body, media_type="application/json")

    def may_skip_check(caller: User, unchecked: bool) -> None:
        if unchecked and not caller.may_skip_check():
            raise HTTPException(403, "only the agent may ask for an answer unchecked")

    def passes_check(replay: Facility, facility_id: str, unchecked: bool) -> bool:
        """Whether the facility's terms pass `loanbook check`; one that fails computes nothing (409, naming its
        first difference) unless the agent asks for an unchecked answer."""
        try:  # no `default`: the API asks for no readings of its own, so its terms are read as `loanbook check` does
            return require(replay.as_written, facility_id, unchecked=unchecked)
        except FailsCheck as exc:
            raise HTTPException(409, {"msg": f"{facility_id} fails `loanbook check`: nothing is computed from terms "
                                             "that contradict their text (the agent may ask with unchecked=true)",
                                      "differences": exc.outcome.differences, "first": exc.outcome.first}) from None

    # --- facilities and their figures --------------------------------------------------------------------

    @app.get("/facilities", summary="The facilities the caller may read")
    def facilities(caller: Caller) -> dict:
        return {"facilities": [caller.shown(out.stored_json(f)) for f in store.facilities()
                               if caller.may_read(f.id)]}

    @app.get("/facilities/{facility_id}", summary="One facility: its name, events and chain head")
    def facility(facility_id: FacilityId, caller: Reader) -> dict:
        stored = store.get(facility_id)
        if stored is None:
            raise HTTPException(403, NOT_PERMITTED)
        return caller.shown(out.stored_json(stored))

    @app.get("/facilities/{facility_id}/status", summary="As `loanbook status --json`")
    async def status(facility_id: FacilityId, caller: Reader, as_of: AsOf, known_at: KnownAt = None,
                     explain: bool = False, unchecked: Unchecked = False) -> Response:
        day = as_of

        def compute(replay: Facility) -> dict:
            answer = out.status_answer(replay, day, explain=explain)
            return {**answer, "lenders": caller.lenders_seen(facility_id, answer["lenders"])}
        return await answered(facility_id, known_at, ("status", day, explain, caller.role,
                                                      caller.party(facility_id)), compute, caller, unchecked)

    @app.get("/facilities/{facility_id}/share", summary="The caller's share (a lender), or every share (the agent)")
    async def share(facility_id: FacilityId, caller: Annotated[User, Depends(role("agent", "lender"))], as_of: AsOf,
                    known_at: KnownAt = None, unchecked: Unchecked = False) -> Response:
        day = as_of

        def compute(replay: Facility) -> dict:
            return out.share_answer(replay, day, lambda rows: caller.lenders_seen(facility_id, rows))
        return await answered(facility_id, known_at, ("share", day, caller.role, caller.party(facility_id)), compute,
                              caller, unchecked)

    @app.get("/facilities/{facility_id}/fees", summary="As `loanbook fees --json`")
    async def fees(facility_id: FacilityId, caller: Reader, as_of: AsOf, known_at: KnownAt = None,
                   unchecked: Unchecked = False) -> Response:
        day = as_of
        return await answered(facility_id, known_at, ("fees", day), lambda replay: out.fees_answer(replay, day),
                              caller, unchecked)

    @app.get("/facilities/{facility_id}/obligations", summary="As `loanbook obligations --json`")
    async def obligations(facility_id: FacilityId, caller: Reader, as_of: AsOf, known_at: KnownAt = None,
                          unchecked: Unchecked = False) -> Response:
        day = as_of
        return await answered(facility_id, known_at, ("obligations", day),
                              lambda replay: out.obligations_answer(replay, day), caller, unchecked)

    @app.get("/facilities/{facility_id}/covenants", summary="As `loanbook covenants --json`")
    async def covenants(facility_id: FacilityId, caller: Reader, as_of: AsOf, known_at: KnownAt = None,
                        unchecked: Unchecked = False) -> Response:
        day = as_of
        return await answered(facility_id, known_at, ("covenants", day),
                              lambda replay: out.covenants_answer(replay, day), caller, unchecked)

    @app.get("/facilities/{facility_id}/payoff", summary="As `loanbook payoff --json`")
    async def payoff(facility_id: FacilityId, caller: Reader,
                     on: On, known_at: KnownAt = None,
                     unchecked: Unchecked = False) -> Response:
        day = on
        return await answered(facility_id, known_at, ("payoff", day),
                              lambda replay: out.payoff_json(replay.payoff(day)), caller, unchecked)

    @app.get("/facilities/{facility_id}/explain/{figure}", summary="As `loanbook explain FIGURE --json`")
    async def explain(facility_id: FacilityId, caller: Reader, figure: Annotated[str, Path(max_length=100)],
                      as_of: AsOf, known_at: KnownAt = None, unchecked: Unchecked = False) -> Response:
        day = as_of

        def compute(replay: Facility) -> dict:
            try:
                return out.explain_answer(replay, figure, day)
            except UnknownFigure as exc:
                raise _invalid(["path", "figure"], f"unknown figure {exc.figure!r}; explainable: {exc.names}") from None
        return await answered(facility_id, known_at, ("explain", figure, day), compute, caller, unchecked)

    @app.get("/facilities/{facility_id}/timeline", summary="As `loanbook timeline --json`")
    async def timeline(facility_id: FacilityId, caller: Reader, start: From,
                       end: To, known_at: KnownAt = None,
                       unchecked: Unchecked = False) -> Response:
        lo, hi = _period(start, end, MAX_TIMELINE_DAYS)
        return await answered(facility_id, known_at, ("timeline", lo, hi),
                              lambda replay: out.timeline_answer(replay, lo, hi), caller, unchecked)

    @app.get("/facilities/{facility_id}/interest", summary="As `loanbook interest --json`")
    async def interest(facility_id: FacilityId, caller: Reader, start: From,
                       end: To, known_at: KnownAt = None,
                       unchecked: Unchecked = False) -> Response:
        lo, hi = _period(start, end, MAX_STATEMENT_MONTHS * 31)
        return await answered(facility_id, known_at, ("interest", lo, hi),
                              lambda replay: out.interest_answer(replay, lo, hi), caller, unchecked)

    # --- the record ---------------------------------------------------------------------------------------

    @app.get("/facilities/{facility_id}/events", summary="The record: every event, in the order recorded")
    def events(facility_id: FacilityId, caller: Reader,
               after: Annotated[int, Query(ge=0, le=2**62, description="only events after this place")] = 0,
               limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000) -> dict:
        rows = store.event_rows(facility_id, after=after, limit=limit)
        return {"facility": facility_id, "events": [out.event_row_json(r) for r in rows]}

    @app.post("/facilities/{facility_id}/events", status_code=201,
              summary="Append events, all or nothing (a borrower: borrowing base reports only)")
    async def record(facility_id: FacilityId, payload: EventsIn, request: Request,
                     caller: Annotated[User, Depends(role("agent", "borrower"))],
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
        rows = json.loads(await request.body(), parse_float=Decimal)["events"]  # exact numbers, never floats
        numbers = [(["body", "events", *path], "money, rates and measures are strings in the API (\"50000.00\", "
                    "\"4.25\"), as in every answer: not JSON numbers") for path in _numbers(rows)]
        if numbers:
            raise HTTPException(422, [{"loc": loc, "msg": msg, "type": "value_error"} for loc, msg in numbers])
        refused = caller.refusal_to_record(rows)
        if refused:
            raise HTTPException(403, refused)

        def work(connection: Connection) -> Written:
            recorded, replay = store.append(connection, facility_id, rows, by=caller.name, source="request")
            return Written(201, out.recorded_json(recorded), replay)

        return await run_in_threadpool(_once, caller, idempotency_key, request, await request.body(), facility_id,
                                       work)

    @app.post("/facilities/{facility_id}/advance-requests", status_code=201,
              summary="Request an advance: judged at once; an overadvance waits for the Agent")
    async def request_advance(facility_id: FacilityId, payload: AdvanceRequestIn, request: Request,
                              caller: Annotated[User, Depends(role("borrower", "agent"))],
                              idempotency_key: IdempotencyKey = None, unchecked: Unchecked = False) -> JSONResponse:
        day = _day(payload.on, "on", where="body")
        amount = _money(payload.amount)
        problem = amount_problem(amount)
        if problem:
            raise _invalid(["body", "amount"], f"amount {problem}, got {payload.amount!r}")
        may_skip_check(caller, unchecked)

        def work(connection: Connection) -> Written:
            checked = passes_check(store.facility(facility_id), facility_id, unchecked)  # a decision is computed
            asked, replay = advance_requests.submit_in(connection, store, facility_id, day=day, amount=amount,
                                                       tranche=payload.tranche, by=caller.name)
            return Written(201, out.checked_answer(checked, out.advance_request_json(asked)), replay)

        return await run_in_threadpool(_once, caller, idempotency_key, request, await request.body(), facility_id,
                                       work)

    @app.get("/facilities/{facility_id}/advance-requests", summary="Advance requests, oldest first")
    def list_requests(facility_id: FacilityId, caller: Reader,
                      status: Literal["pending", "approved", "declined"] | None = None) -> dict:
        return {"facility": facility_id, "requests": [out.advance_request_json(r) for r in
                                                      advance_requests.requests(store, facility_id, status)]}

    @app.get("/facilities/{facility_id}/advance-requests/{request_id}", summary="One advance request")
    def one_request(facility_id: FacilityId, request_id: Annotated[int, Path(ge=1, le=2**62)], caller: Reader) -> dict:
        return out.advance_request_json(_found(lambda: advance_requests.request(store, facility_id, request_id)))

    @app.post("/facilities/{facility_id}/advance-requests/{request_id}/decision",
              summary="The Agent approves or declines a pending request")
    async def decide(facility_id: FacilityId, request_id: Annotated[int, Path(ge=1, le=2**62)],
                     payload: DecisionIn, request: Request, caller: Annotated[User, Depends(role("agent"))],
                     idempotency_key: IdempotencyKey = None, unchecked: Unchecked = False) -> JSONResponse:
        def work(connection: Connection) -> Written:
            checked = passes_check(store.facility(facility_id), facility_id, unchecked)  # an approval is judged
            decided, replay = _found(lambda: advance_requests.decide_in(
                connection, store, facility_id, request_id, approve=payload.decision == "approve", by=caller.name))
            return Written(200, out.checked_answer(checked, out.advance_request_json(decided)), replay)

        return await run_in_threadpool(_once, caller, idempotency_key, request, await request.body(), facility_id,
                                       work)

    def _once(caller: User, key: str | None, request: Request, body: bytes, facility_id: str,
              work: Callable[[Connection], Written]) -> JSONResponse:
        """Run a write with its Idempotency-Key (`store/idempotency.py`): a key seen before with the same request
        answers as it did then, and records nothing."""
        try:  # the same request however a retry serializes it (key order, spaces)
            canonical = body_text(json.loads(body, parse_float=Decimal)).encode()
        except ValueError:
            canonical = body
        fingerprint = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + canonical).hexdigest()
        if key is not None and (not key.isascii() or not key.isprintable() or not key):
            raise _invalid(["header", "idempotency-key"], "an Idempotency-Key is printable ASCII")
        try:
            answered = once(store, facility_id, caller.id, key, fingerprint, work)
        except KeyReused as exc:
            raise _invalid(["header", "idempotency-key"], str(exc)) from None
        return JSONResponse(answered.answer, status_code=answered.status,
                            headers={"Idempotent-Replayed": "true"} if answered.replayed else None)

    with_response_schemas(app)
    from ..web import mount  # the web app's pages, log-in, assets and /docs, on the same app
    mount(app, store)
    return app


# --- parsing what a request gives --------------------------------------------------------------------------

def _numbers(value: object, path: tuple = ()):
    """Where a JSON number is in a request's events (a bool is not one)."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        yield list(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _numbers(item, (*path, i))


def _invalid(loc: list[str], message: str) -> HTTPException:
    return HTTPException(422, [{"loc": loc, "msg": message, "type": "value_error"}])


def _location(problem) -> list:
    """Where in the request a problem is: ["body", "events", 2, "amount"] for the third event's amount."""
    if problem.file != "request":
        return ["record"]
    place: list = ["body", "events"] + ([problem.event] if problem.event is not None else [])
    return place + (problem.field.split(".") if problem.field else [])


def _day(value: str, name: str, *, where: str = "query") -> date:
    try:
        return parse_iso_date(value, what=name)
    except ValueError as exc:
        raise _invalid([where, name], str(exc)) from None


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value, what="known_at")
    except ValueError as exc:
        raise _invalid(["query", "known_at"], str(exc)) from None


def _money(value: str) -> Decimal:
    try:
        return parse_money(value, what="amount")
    except ValueError as exc:
        raise _invalid(["body", "amount"], str(exc)) from None


def _period(lo: date, hi: date, max_days: int) -> tuple[date, date]:
    problem = out.period_problem(lo, hi, max_days)
    if problem:
        raise _invalid(["query", "to"], problem)
    return lo, hi


def _found(get):
    try:
        return get()
    except NoSuchRequest as exc:
        raise HTTPException(404, str(exc)) from None
