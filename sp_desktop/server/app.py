"""The HTTP face of the server (FastAPI): health, device registration, sync, directory.

Bodies are read with a hard size limit, gunzipped with a bound (a small body cannot inflate
into gigabytes), parsed with orjson and validated with pydantic before anything is stored.
Every refusal is `{"code", "detail"}` with a 4xx status; `code` is an `ErrorCode` the app
recognises, `detail` a sentence for the adviser. Logs carry ids and counts, never personal data.
"""

from __future__ import annotations

import gzip
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Request, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from sp_desktop.server import accounts
from sp_desktop.server import audit as office_audit
from sp_desktop.server import erasure as office_erasure
from sp_desktop.server.accounts import DeviceContext, RevokeKind, Role
from sp_desktop.server.console.web import DEFAULT_IDLE_SECONDS, ConsoleSettings
from sp_desktop.server.db import (
    DATABASE_URL_ENV,
    devices,
    make_engine,
    read_transaction,
    write_transaction,
)
from sp_desktop.server.models import (
    AuditIn,
    AuditOut,
    DirectoryIn,
    DirectoryOut,
    ErasuresIn,
    ErasuresOut,
    HealthOut,
    RegisterIn,
    RegisterOut,
    SyncIn,
    SyncOut,
    audit_body_schema,
    directory_body_schema,
    erasures_body_schema,
    is_identifier,
    register_body_schema,
    sync_body_schema,
)
from sp_desktop.server.models import Refusal as RefusalOut
from sp_desktop.server.sync import (
    OtherTeam,
    Page,
    PushResult,
    check_scope,
    publish_directory,
    pull,
    push,
    restore_reason,
)
from sp_desktop.sync.divergence import CHECK_MISMATCH
from sp_desktop.sync.protocol import (
    AUDIT_PATH,
    DEFAULT_PAGE_LIMIT,
    ERASURES_PATH,
    HEALTH_PATH,
    MAX_BODY_BYTES,
    MAX_INFLATED_BYTES,
    OLDEST_PUSH_VERSION,
    OLDEST_WAITING_HEADER,
    PROTOCOL_VERSION,
    REGISTER_PATH,
    SYNC_PATH,
    WAITING_HEADER,
    Ack,
    ChangeOp,
    ErasureRequest,
    ErrorCode,
    RegisterAnswer,
    RegisterRequest,
    SyncAnswer,
    SyncRequest,
    UnreadableOp,
    Verdict,
)

log = logging.getLogger("sp_desktop.server")

DIRECTORY_PATH = "/directory"
OPENAPI_PATH = "/openapi.json"  # served only when asked for (tests): production hides it
LEASE_ENV = "SP_SERVER_OFFLINE_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 30 * 86_400  # a laptop unseen this long refuses to open until it syncs
TOKEN_LIFETIME_ENV = "SP_SERVER_TOKEN_LIFETIME_SECONDS"
CONSOLE_IDLE_ENV = "SP_SERVER_CONSOLE_IDLE_SECONDS"  # the console's idle timeout
DEFAULT_TOKEN_LIFETIME = accounts.DEFAULT_TOKEN_DAYS * 86_400
# The address of the TLS proxy in front of the server: only its X-Forwarded-For is believed.
TRUSTED_PROXY_ENV = "SP_SERVER_TRUSTED_PROXY"
TRAINING_REFUSED = (
    "This is a training copy of SP Desktop, filled with made-up people, so the office does "
    "not take it: nothing from it may mix with real records. To work with the office, set "
    "SP Desktop up again with a new, empty store and register that one.")
# Publishes "Authorization: Bearer <device token>" in the schema; `_device` does the checking.
_BEARER = Depends(HTTPBearer(auto_error=False, scheme_name="device token"))
_SMALL_BODY = 64 * 1024  # registration and other small requests
_GZIP_ABOVE = 1400  # bytes: smaller answers fit one packet anyway


class ApiError(Exception):
    """A refusal: HTTP status, a machine-readable code and a sentence for the adviser."""

    def __init__(
        self, status: int, code: ErrorCode, detail: str, headers: dict[str, str] | None = None,
        *, kind: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}
        self.kind = kind  # a revoked device: "retired" or "lost"


def _json(request: Request, payload: Any, status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    body = orjson.dumps(payload)
    headers = dict(headers or {})
    if len(body) > _GZIP_ABOVE and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
    return Response(body, status_code=status, media_type="application/json", headers=headers)


async def _read_json(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object, refusing oversized, gzip-bomb or non-JSON bodies."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, ErrorCode.TOO_LARGE, _too_large(limit))
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > limit:
            raise ApiError(413, ErrorCode.TOO_LARGE, _too_large(limit))
    data = bytes(raw)
    if request.headers.get("content-encoding", "").strip().lower() == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            data = inflater.decompress(data, MAX_INFLATED_BYTES)
        except zlib.error as exc:
            raise ApiError(400, ErrorCode.BAD_REQUEST,
                           "The request body is not valid gzip.") from exc
        if inflater.unconsumed_tail:
            raise ApiError(413, ErrorCode.TOO_LARGE, _too_large(MAX_INFLATED_BYTES))
        if not inflater.eof:
            raise ApiError(400, ErrorCode.BAD_REQUEST, "The request body was cut short.")
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, ErrorCode.BAD_REQUEST, "The request body is not JSON.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, ErrorCode.BAD_REQUEST, "The request body must be a JSON object.")
    return body


def _too_large(limit: int) -> str:
    return (f"The request is larger than the server accepts ({limit // 1024} KiB). "
            "SP Desktop sends changes in small batches; please update SP Desktop.")


def _protocol(body: dict[str, Any], oldest: int) -> int:
    """The request's protocol version, or a "please update" refusal naming who must update."""
    version = body.get("protocol")
    if isinstance(version, float) and version.is_integer():
        version = int(version)  # 1.0 is the integer 1 in JSON (and to its schema)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ApiError(400, ErrorCode.BAD_REQUEST, "The request does not say its protocol version.")
    if version > PROTOCOL_VERSION:
        raise ApiError(426, ErrorCode.PROTOCOL_MISMATCH,
                       f"The office server speaks sync protocol {PROTOCOL_VERSION} but this copy "
                       f"of SP Desktop speaks {version}. Please ask your office to update the "
                       "SP Desktop server. Your changes stay safely on this laptop until then.")
    if version < oldest:
        raise ApiError(426, ErrorCode.PROTOCOL_MISMATCH,
                       f"This copy of SP Desktop (sync protocol {version}) is too old for the "
                       f"office server (protocol {PROTOCOL_VERSION}). Please update SP Desktop; "
                       "your changes stay safely on this laptop and upload after the update.")
    return version


def _validation_detail(exc: ValidationError) -> str:
    """Where the request is malformed, in words: the parts named, never pydantic's text (it
    reaches the adviser's screen)."""
    places = []
    for error in exc.errors(include_input=False, include_url=False)[:5]:
        where = ".".join(str(part)[:40] for part in error["loc"][:4]) or "the body"
        if where not in places:
            places.append(where)
    more = exc.error_count() - 5
    suffix = f" and {more} more" if more > 0 else ""
    return ("The office could not read this request (" + ", ".join(places) + suffix + "); "
            "please update SP Desktop.")


@dataclass(frozen=True, slots=True)
class Settings:
    """What one deployment decides: the offline lease, the token lifetime, the trusted proxy."""

    lease_seconds: int = DEFAULT_LEASE_SECONDS
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    trusted_proxy: str | None = None


def client_address(request: Request, trusted_proxy: str | None) -> str:
    """Who is asking, for throttling: the peer, or the address the trusted TLS proxy saw.

    Only the proxy named at start-up is believed, and only its own entry (the last one of
    X-Forwarded-For): anyone else can write that header.
    """
    peer = request.client.host if request.client else "unknown"
    if trusted_proxy is None or peer != trusted_proxy:
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    last = forwarded.split(",")[-1].strip()
    return last[:64] if last else peer


def _auth_lookup(engine: Engine, token: str, lifetime: int) -> DeviceContext | None:
    with read_transaction(engine) as conn:
        return accounts.device_for_token(conn, token, lifetime=lifetime)


REVOKED_LOST = ("Your office has switched off sync for this laptop (reported lost or stolen). "
                "Its copy of the caseload is being removed. Please contact your office.")


async def _device(engine: Engine, request: Request, settings: Settings,
                  *, hand_in: bool = False) -> DeviceContext:
    """The calling device; refuses unknown, expired and revoked ones.

    `hand_in`: a retired device (or one whose adviser is disabled) is let through to hand in
    its waiting changes; everywhere else it is refused like a lost one.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    ctx = None
    if scheme.lower() == "bearer" and token.strip():
        ctx = await run_in_threadpool(_auth_lookup, engine, token.strip(),
                                      settings.token_lifetime)
    if ctx is None:
        raise ApiError(401, ErrorCode.NOT_REGISTERED,
                       "This laptop is not registered with the office server. "
                       "Please register it again with your name and password.")
    if ctx.revoked and ctx.revoke_kind is RevokeKind.LOST:
        raise ApiError(403, ErrorCode.DEVICE_REVOKED, REVOKED_LOST, kind=RevokeKind.LOST.value)
    if ctx.expired:
        raise ApiError(401, ErrorCode.NOT_REGISTERED,
                       "This laptop's key to the office has run out, or was ended when your "
                       "password changed. Please register the laptop again with your name and "
                       "password; everything on it stays.")
    if ctx.revoked and not hand_in:
        raise ApiError(403, ErrorCode.DEVICE_REVOKED,
                       "Your office has retired this laptop: it may only hand in its waiting "
                       "changes. Please contact your office.", kind=RevokeKind.RETIRED.value)
    return ctx


def create_app(
    engine: Engine, lease_seconds: int = DEFAULT_LEASE_SECONDS, *,
    settings: Settings | None = None, serve_schema: bool = False,
    console: ConsoleSettings | None = None,
) -> FastAPI:
    """The application bound to one database; stateless, so many may serve one database.

    `lease_seconds` is the offline lease sent with every registration and sync answer (also
    in `settings`, which wins when given). `serve_schema` publishes the OpenAPI description
    at /openapi.json (tests fuzz the API from it); production leaves it hidden. The office
    console's pages are served under /console (`console` settings: idle timeout, clock).
    """
    settings = settings or Settings(lease_seconds=lease_seconds)
    catch_up = _WhenQuiet(lambda: _console_catch_up(engine), CONSOLE_QUIET_S)
    app = FastAPI(title="SP Desktop server", version=str(PROTOCOL_VERSION), docs_url=None,
                  redoc_url=None, openapi_url=OPENAPI_PATH if serve_schema else None)

    @app.exception_handler(ApiError)
    async def _refused(request: Request, exc: ApiError) -> Response:
        body: dict[str, Any] = {"code": exc.code.value, "detail": exc.detail}
        if exc.kind is not None:
            body["kind"] = exc.kind
        return _json(request, body, exc.status, exc.headers)

    @app.get(HEALTH_PATH, responses=_answers({200: HealthOut, 503: HealthOut}))
    async def health(request: Request) -> Response:
        def check() -> bool:
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - any failure means "not healthy"
                log.exception("health check: database unreachable")
                return False

        ok = await run_in_threadpool(check)
        return _json(request, {"status": "ok" if ok else "database unreachable",
                               "protocol": PROTOCOL_VERSION, "oldest_push": OLDEST_PUSH_VERSION},
                     200 if ok else 503)

    @app.post(REGISTER_PATH, openapi_extra=_body(register_body_schema()),
              responses=_answers({200: RegisterOut}, 400, 401, 403, 409, 413, 422, 426, 429))
    async def register(request: Request) -> Response:
        body = await _read_json(request, _SMALL_BODY)
        _protocol(body, PROTOCOL_VERSION)
        try:
            wanted = RegisterIn.model_validate(body).to_request()
        except ValidationError as exc:
            raise ApiError(422, ErrorCode.BAD_REQUEST, _validation_detail(exc)) from exc
        if wanted.training:
            log.info("registration refused: a training store")
            raise ApiError(403, ErrorCode.TRAINING_STORE, TRAINING_REFUSED)
        address = client_address(request, settings.trusted_proxy)
        answer = await run_in_threadpool(_register, engine, wanted, address, settings)
        return _json(request, answer.to_wire())

    @app.post(SYNC_PATH, openapi_extra=_body(sync_body_schema()), dependencies=[_BEARER],
              responses=_answers({200: SyncOut}, 400, 401, 403, 413, 422, 426))
    async def sync(request: Request) -> Response:
        ctx = await _device(engine, request, settings, hand_in=True)
        body = await _read_json(request, MAX_BODY_BYTES)
        version = _protocol(body, OLDEST_PUSH_VERSION)
        try:
            wanted = SyncIn.model_validate(body).to_request()
        except ValidationError as exc:
            raise ApiError(422, ErrorCode.BAD_REQUEST, _validation_detail(exc)) from exc
        if wanted.training:
            log.info("sync refused: a training store device=%s", ctx.device_id)
            raise ApiError(403, ErrorCode.TRAINING_STORE, TRAINING_REFUSED)
        started = time.perf_counter()
        answer = await run_in_threadpool(_sync, engine, ctx, wanted, version, settings,
                                         laptop_report(request))
        log.info("sync device=%s ops=%d pulled=%d ms=%.0f", ctx.device_id, len(wanted.ops),
                 len(answer.changes), (time.perf_counter() - started) * 1000)
        if wanted.ops:
            catch_up.pushed()  # the console's report tables follow once pushes pause
        return _json(request, answer.to_wire())

    @app.post(AUDIT_PATH, openapi_extra=_body(audit_body_schema()), dependencies=[_BEARER],
              responses=_answers({200: AuditOut}, 400, 401, 403, 413, 422, 426))
    async def audit_trail(request: Request) -> Response:
        """A laptop hands in its audit events (a retired one too, before it wipes): checked
        against the chain the office holds, stored, acknowledged by hash."""
        ctx = await _device(engine, request, settings, hand_in=True)
        body = await _read_json(request, MAX_BODY_BYTES)
        _protocol(body, OLDEST_PUSH_VERSION)
        try:
            upload = AuditIn.model_validate(body).to_upload()
        except ValidationError as exc:
            raise ApiError(422, ErrorCode.BAD_REQUEST, _validation_detail(exc)) from exc
        receipt = await run_in_threadpool(office_audit.receive, engine, ctx, upload)
        if receipt.flagged:
            log.warning("audit trail break device=%s flags=%d", ctx.device_id, receipt.flagged)
        return _json(request, receipt.to_wire())

    @app.post(ERASURES_PATH, openapi_extra=_body(erasures_body_schema()),
              dependencies=[_BEARER],
              responses=_answers({200: ErasuresOut}, 400, 401, 403, 413, 422, 426))
    async def erasures(request: Request) -> Response:
        """A laptop confirms the erasures it purged and hears of those it still owes (a
        retired one too: it purges before it hands in and wipes)."""
        ctx = await _device(engine, request, settings, hand_in=True)
        body = await _read_json(request, MAX_BODY_BYTES)
        _protocol(body, OLDEST_PUSH_VERSION)
        try:
            wanted = ErasuresIn.model_validate(body)
        except ValidationError as exc:
            raise ApiError(422, ErrorCode.BAD_REQUEST, _validation_detail(exc)) from exc
        requested = [ErasureRequest(r.person_id, r.reason, r.asked_at) for r in wanted.requested]
        answer = await run_in_threadpool(office_erasure.exchange, engine, ctx,
                                         wanted.confirmed, requested)
        return _json(request, answer.to_wire())

    @app.post(DIRECTORY_PATH, openapi_extra=_body(directory_body_schema()), dependencies=[_BEARER],
              responses=_answers({200: DirectoryOut}, 400, 401, 403, 413, 422, 426))
    async def directory(request: Request) -> Response:
        ctx = await _device(engine, request, settings)
        if ctx.role is not Role.MANAGER:
            raise ApiError(403, ErrorCode.READ_ONLY,
                           "Only a manager can publish the directory of services.")
        body = await _read_json(request, MAX_BODY_BYTES)
        _protocol(body, PROTOCOL_VERSION)
        try:
            wanted = DirectoryIn.model_validate(body)
        except ValidationError as exc:
            raise ApiError(422, ErrorCode.BAD_REQUEST, _validation_detail(exc)) from exc
        entries = [dict(entry) for entry in wanted.entries]
        # The id becomes the row's key (64 characters at most, and PostgreSQL text holds no
        # NUL): anything else is refused here rather than failing in the database.
        if any(not is_identifier(entry.get("id")) for entry in entries):
            raise ApiError(422, ErrorCode.BAD_REQUEST,
                           "Every directory entry needs an id of 1 to 64 letters, digits, "
                           "'-' or '_'.")
        if any(not isinstance(entry.get("deleted", False), bool) for entry in entries):
            raise ApiError(422, ErrorCode.BAD_REQUEST,
                           "A directory entry's \"deleted\" is true or false.")
        result = await run_in_threadpool(publish_directory, engine, entries)
        log.info("directory published entries=%d device=%s", len(entries), ctx.device_id)
        return _json(request, {"published": result.applied, "rejected": result.rejected})

    from sp_desktop.server.console import mount_console

    mount_console(app, engine, console or ConsoleSettings(trusted_proxy=settings.trusted_proxy))
    return app


class _WhenQuiet:
    """Runs `work` on one helper thread once pushes have paused for `quiet` seconds (per
    worker process), and again while it finds more to do and pushes stay away.

    The console's report tables follow the rows (`console.reports.catch_up`). Catching up
    after pushes, even once every two seconds, took a third of a busy office's ingest: every
    row stored was read again and its JSON parsed while laptops waited. Now it waits for a
    pause; a page view catches up whatever is left (so pages are always current), and an
    office that never pauses is caught up by its readers.
    """

    def __init__(self, work: Callable[[], bool], quiet: float,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._work, self._quiet, self._clock, self._sleep = work, quiet, clock, sleep
        self._last = 0.0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def pushed(self) -> None:
        with self._lock:
            self._last = self._clock()
            if self._thread is None:
                self._thread = threading.Thread(target=self.run, name="console-catch-up",
                                                daemon=True)
                self._thread.start()

    def run(self) -> None:
        """Waits for a pause, works while there is more and pushes stay away, and leaves when
        there is nothing more to do (a push during the work is waited for first)."""
        wait = True
        while True:
            if wait:
                self._sleep(self._quiet)
            with self._lock:
                if self._clock() - self._last < self._quiet:
                    wait = True  # pushes still arriving
                    continue
            more = self._work()
            with self._lock:
                if not more and self._clock() - self._last >= self._quiet:
                    self._thread = None
                    return
            wait = not more


CONSOLE_QUIET_S = 1.0  # no push for this long: the console's report tables catch up


def _console_catch_up(engine: Engine) -> bool:
    """One bounded catch-up; whether it found something to do (there may be more)."""
    from sp_desktop.server.console import reports

    try:
        return reports.catch_up(engine, max_steps=2, if_free=True) > 0
    except Exception:  # noqa: BLE001 - the next page view catches up instead
        log.exception("console report catch-up failed after pushes")
        return False


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    """Publishes a request body the endpoint reads itself (bounded, gunzipped, then checked)."""
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


def _answers(ok: dict[int, type[BaseModel]], *refusals: int) -> dict[int | str, dict[str, Any]]:
    """Published answers: the success models, and `{code, detail}` for every refusal status."""
    answers: dict[int | str, dict[str, Any]] = {status: {"model": model}
                                                for status, model in ok.items()}
    answers.update({status: {"model": RefusalOut} for status in refusals})
    return answers


def _throttled(exc: accounts.LoginThrottled) -> ApiError:
    return ApiError(429, ErrorCode.LOGIN_THROTTLED,
                    "Too many login attempts. Please wait a little and try again "
                    f"(about {exc.retry_after} seconds).",
                    {"Retry-After": str(exc.retry_after)})


def _count_attempt(engine: Engine, adviser: str, address: str, now: float) -> None:
    """Counts the attempt before any password is checked (racing inserts of a new counter
    row on PostgreSQL are simply tried again)."""
    for attempt in range(3):
        try:
            with write_transaction(engine) as conn:
                accounts.begin_login(conn, adviser, address, now)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _register(
    engine: Engine, wanted: RegisterRequest, address: str, settings: Settings
) -> RegisterAnswer:
    now = accounts.wall_now()
    try:
        _count_attempt(engine, wanted.adviser, address, now)
    except accounts.LoginThrottled as exc:
        log.info("registration refused: throttled")
        raise _throttled(exc) from exc
    with read_transaction(engine) as conn:
        stored = accounts.stored_login(conn, wanted.adviser)
    try:
        adviser_id, team, role = accounts.verify_login(stored, wanted.password)
    except accounts.LoginRefused as exc:
        log.info("registration refused: wrong name or password")
        raise ApiError(401, ErrorCode.LOGIN_FAILED,
                       "That name and password were not recognised.") from exc
    except accounts.AdviserDisabled as exc:
        log.info("registration refused: adviser disabled")
        raise ApiError(403, ErrorCode.ADVISER_DISABLED,
                       "Your office has switched off your account, so this laptop cannot be "
                       "registered. Please contact your office.") from exc
    try:
        with write_transaction(engine) as conn:
            accounts.login_succeeded(conn, wanted.adviser, address, now)
            token = accounts.register_device(conn, adviser_id, wanted.device_id, wanted.label,
                                             lifetime=settings.token_lifetime, now=now)
    except accounts.DeviceTaken as exc:
        if exc.revoked:
            raise ApiError(403, ErrorCode.DEVICE_REVOKED,
                           "Your office has switched off sync for this laptop. "
                           "Please contact your office.") from exc
        raise ApiError(409, ErrorCode.DEVICE_TAKEN,
                       "This laptop is registered to another adviser. "
                       "Please contact your office.") from exc
    log.info("device registered device=%s adviser_id=%d", wanted.device_id, adviser_id)
    return RegisterAnswer(device_id=wanted.device_id, token=token, team=team, role=role.value,
                          lease_seconds=settings.lease_seconds)


def _fresh_token(engine: Engine, ctx: DeviceContext, settings: Settings) -> str | None:
    """Renews the device's token before it runs out (a laptop in use never sees it expire)."""
    if ctx.promote:
        with write_transaction(engine) as conn:
            accounts.promote_token(conn, ctx.device_id, settings.token_lifetime,
                                   accounts.wall_now())
        return None
    if not ctx.renew or ctx.revoked:
        return None
    with write_transaction(engine) as conn:
        token = accounts.renew_token(conn, ctx.device_id)
    log.info("device token renewed device=%s", ctx.device_id)
    return token


def laptop_report(request: Request) -> dict[str, Any]:
    """What the laptop says about itself in its sync's headers (app version, changes waiting
    and since when), checked and cut to size; absent parts are left out."""
    report: dict[str, Any] = {}
    agent = request.headers.get("user-agent", "")
    if agent.startswith("sp-desktop/"):
        version = agent.split()[0].removeprefix("sp-desktop/")
        if version and all(c.isalnum() or c in ".-+" for c in version):
            report["app_version"] = version[:40]
    waiting = request.headers.get(WAITING_HEADER, "")
    if waiting.isdigit() and len(waiting) < 10:
        report["waiting"] = int(waiting)
        oldest = request.headers.get(OLDEST_WAITING_HEADER, "")[:32]
        report["oldest_waiting_at"] = oldest if _is_time(oldest) else None
    return report


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _sync(
    engine: Engine, ctx: DeviceContext, wanted: SyncRequest, version: int, settings: Settings,
    report: dict[str, Any] | None = None,
) -> SyncAnswer:
    # Ops the office could not read are answered one by one too (refused, with why).
    ops: list[ChangeOp | UnreadableOp] = [*wanted.ops, *wanted.unreadable]
    token = _fresh_token(engine, ctx, settings)
    if ctx.revoked:
        # A retired laptop (or a leaver's) hands in what it holds and receives nothing.
        result = _push(engine, ctx, ops, ()) if ops else PushResult(acks=[])
        log.info("retired device handing in device=%s ops=%d", ctx.device_id, len(ops))
        return SyncAnswer(cursor=wanted.cursor, acks=_acks(result), team=ctx.team_name,
                          retired=True, lease_seconds=settings.lease_seconds)
    reason = None if wanted.tables is not None else restore_reason(
        engine, ctx, wanted.cursor, wanted.team)
    if reason is not None:
        # Nothing is pushed: the laptop first clears its old copy (keeping its outbox), then
        # pushes and pulls again from seq 0 within the scope it has now.
        log.info("sync answered restore device=%s reason=%s", ctx.device_id, reason)
        return SyncAnswer(cursor=0, restore=reason, more=True, reset=True, team=ctx.team_name,
                          token=token, lease_seconds=settings.lease_seconds)
    result = PushResult(acks=[])
    seen_long_ago = ctx.seen_long_ago(accounts.now_text())
    if report and "waiting" in report:
        # What the laptop holds once this request's changes are in.
        report["waiting"] = max(0, report["waiting"] - len(ops))
        if report["waiting"] == 0:
            report["oldest_waiting_at"] = None
    pushed = bool(ops)
    if ops or wanted.resolved:
        # With changes, the device's own line (last seen, what it holds) is written in the
        # push's transaction: one durable commit per round trip instead of two or three.
        result = _push(engine, ctx, ops, wanted.resolved,
                       (lambda conn: _note_device(conn, ctx, report, seen_long_ago, True))
                       if pushed else None)
    notice = None
    if version < PROTOCOL_VERSION or not wanted.pull:
        # An older app may push what it queued, but it cannot read today's rows: no pull.
        page = Page(rows=[], conflicts=[], cursor=wanted.cursor, more=False)
        if version < PROTOCOL_VERSION:
            notice = "Please update SP Desktop to receive changes from the office."
        result.rows = []  # nor the rows of its replayed changes (see `push`)
    else:
        # The device's own writes of this push, stored as sent, are left out: it holds them
        # already. (Not in a targeted resync, which repairs exactly such rows.)
        page = pull(engine, ctx, wanted.cursor, wanted.limit or DEFAULT_PAGE_LIMIT,
                    wanted.tables, own=result.own if wanted.tables is None else None)
    check = None
    if wanted.check is not None and version == PROTOCOL_VERSION and not ops:
        verdict = check_scope(engine, ctx, wanted.cursor, dict(wanted.check),
                              keep_closed_days=wanted.keep_closed_days)
        check = Verdict.from_wire(verdict)
        if check.status == CHECK_MISMATCH:
            log.warning("divergence check: device=%s tables=%s", ctx.device_id,
                        ",".join(check.tables))
    if not pushed and (seen_long_ago or (report and not page.more)):
        with write_transaction(engine) as conn:
            _note_device(conn, ctx, report, seen_long_ago, not page.more)
    return SyncAnswer(
        acks=_acks(result),
        changes=(*result.rows, *page.rows),  # replayed changes' rows first: the page is newer
        conflicts=tuple(page.conflicts),
        cursor=page.cursor,
        more=page.more,
        reset=page.reset,
        team=ctx.team_name,
        notice=notice,
        check=check,
        token=token,
        lease_seconds=settings.lease_seconds,
        quarantined=page.quarantined,
    )


def _note_device(conn: Connection, ctx: DeviceContext, report: dict[str, Any] | None,
                 seen_long_ago: bool, final: bool) -> None:
    """The device's line for `device list` and the console's laptops page: when it was last
    seen (a write only once a minute) and what it says it holds (after a push, or its last
    page of a sync, which leaves the final word)."""
    if seen_long_ago:
        accounts.touch_device(conn, ctx.device_id)
    if report and (seen_long_ago or final):
        conn.execute(devices.update().where(devices.c.id == ctx.device_id).values(**report))


def _push(
    engine: Engine, ctx: DeviceContext, ops: list[ChangeOp | UnreadableOp],
    resolved: tuple[str, ...], also: Callable[[Connection], None] | None = None,
) -> PushResult:
    try:
        return push(engine, ctx, ops, resolved, also=also)
    except OtherTeam as exc:  # a row stored under another team than its person: refuse all
        log.warning("sync refused: batch touches another team's row device=%s", ctx.device_id)
        raise ApiError(403, ErrorCode.OTHER_TEAM,
                       "These changes include someone from another team's caseload, so "
                       "none of them were stored. Please contact your office.") from exc


def _acks(result: PushResult) -> tuple[Ack, ...]:
    return tuple(Ack.from_wire(ack) for ack in result.acks)


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def app_from_environment() -> FastAPI:
    """Factory for uvicorn workers: the database URL comes from SP_SERVER_DATABASE_URL, the
    lease, token lifetime and trusted proxy from their own variables (set by `serve`)."""
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise RuntimeError(f"{DATABASE_URL_ENV} is not set; start with 'sp-server serve'")
    settings = Settings(
        lease_seconds=_int_env(LEASE_ENV, DEFAULT_LEASE_SECONDS),
        token_lifetime=_int_env(TOKEN_LIFETIME_ENV, DEFAULT_TOKEN_LIFETIME),
        trusted_proxy=os.environ.get(TRUSTED_PROXY_ENV) or None,
    )
    console = ConsoleSettings(
        idle_seconds=_int_env(CONSOLE_IDLE_ENV, DEFAULT_IDLE_SECONDS),
        trusted_proxy=settings.trusted_proxy,
    )
    return create_app(make_engine(url), settings=settings, console=console)
