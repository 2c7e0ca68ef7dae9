"""The app's half of sync (Qt-free): register the device, then push the outbox and pull changes.

Everything here is plain blocking code meant for a worker thread: `SyncClient.sync_once` takes
a progress callback and a `threading.Event` to cancel (checked between round trips and during
back-off waits, never inside a local transaction) and returns a typed `SyncResult`. Errors are
`SyncError`s whose message a person can read; `DeviceRevoked` means the store has been wiped.

Plain http goes only to this machine (loopback): anywhere else the password and the records
would cross the network readable, and an answer over plain http could be forged by anyone on
the way, so nothing ever wipes the store on such an answer.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import orjson
from sqlalchemy import delete, func, select

from sp_desktop.domain.errors import SpDesktopError
from sp_desktop.domain.hlc import HybridClock
from sp_desktop.store import audit
from sp_desktop.store.database import Store, delete_store_files
from sp_desktop.store.schema import TABLES_BY_NAME, conflicts, outbox
from sp_desktop.sync import erasure, local
from sp_desktop.sync.divergence import CHECK_MISMATCH, CHECK_OK
from sp_desktop.sync.protocol import (
    AUDIT_PATH,
    DEFAULT_PAGE_LIMIT,
    ERASURES_PATH,
    MAX_AUDIT_EVENTS,
    OLDEST_WAITING_HEADER,
    PROTOCOL_VERSION,
    REGISTER_PATH,
    SYNC_PATH,
    WAITING_HEADER,
    AckStatus,
    AuditEventWire,
    AuditReceipt,
    AuditUpload,
    ErasureExchange,
    ErrorCode,
    RegisterAnswer,
    RegisterRequest,
    SyncAnswer,
    SyncRequest,
    Verdict,
    is_loopback,
)

if TYPE_CHECKING:  # httpx (with rich, ~12 MiB) is loaded when the laptop first talks to the office
    import httpx

log = logging.getLogger(__name__)

# "1" in a training store (`sp-desktop demo`): made-up people the office must never take.
META_TRAINING = "store.training"
# JSON list of [table, row id]: rows kept through a fresh copy only because a change of
# theirs was waiting; once nothing of theirs waits and the office has not sent them back,
# they are another team's (the adviser moved team) and leave the laptop.
META_KEPT_THROUGH_RESTORE = "sync.kept_through_restore"

DEFAULT_CHECK_EVERY = 10  # a divergence check every Nth successful sync (and after the first)
DEFAULT_BATCH = 250  # changes per push: a day of visits in one round trip, still small (~50 kB)
_COMPRESS_ABOVE = 1024


# --- errors ------------------------------------------------------------------------------------


class SyncError(SpDesktopError):
    """Sync could not finish; the message says what happened and what to do."""

    code: str = ""


class NotRegistered(SyncError):
    code = ErrorCode.NOT_REGISTERED.value

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail
            or "This laptop is not registered with the office server yet. "
            "Please register it with your name and password."
        )


class DeviceRevoked(SyncError):
    """The office revoked this device. The local store has already been wiped.

    `retired`: the laptop handed in its waiting changes first (a retired laptop, or its
    adviser's account switched off); else it was reported lost or stolen and uploaded
    nothing. `unsent`: changes made on this laptop that never reached the office and went
    with the wipe; `refused`: changes the office had refused, set aside here, gone too.
    """

    code = ErrorCode.DEVICE_REVOKED.value

    def __init__(
        self, *, retired: bool = False, unsent: int = 0, refused: int = 0, handed_in: int = 0
    ) -> None:
        self.retired, self.unsent, self.refused = retired, unsent, refused
        self.handed_in = handed_in
        if retired:
            first = (
                (
                    "Your office has retired this laptop. It first sent the office "
                    + _count(handed_in, "change that was waiting", "changes that were waiting")
                    + ", then removed its copy of the caseload."
                )
                if handed_in
                else (
                    "Your office has retired this laptop, so it has removed its copy of the "
                    "caseload."
                )
            )
        else:
            first = (
                "Your office has switched off sync for this laptop (reported lost or "
                "stolen), so its copy of the caseload has been removed from it at once."
            )
        if unsent:
            lost = (
                f" {_count(unsent, 'change', 'changes')} made on this laptop had not "
                "reached the office and could not be sent: "
                f"{'it is' if unsent == 1 else 'they are'} gone. Please tell your office "
                "what you remember of them."
            )
        else:
            lost = " Every change made on this laptop had reached the office."
        if refused:
            lost += (
                f" {_count(refused, 'change', 'changes')} the office had refused "
                f"{'was' if refused == 1 else 'were'} removed too."
            )
        super().__init__(first + lost + " Please contact your office.")


def _count(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


class InsecureAddress(SyncError):
    """An http:// address other than this machine: refused before anything is sent."""

    code = "insecure_address"

    def __init__(self) -> None:
        super().__init__(
            "The office server's address must start with https:// so that your "
            "password and people's records cannot be read on the way. Plain "
            "http:// is only for a server on this same computer. Please register "
            "again with the https:// address your office gave you."
        )


class UpdateRequired(SyncError):
    code = ErrorCode.PROTOCOL_MISMATCH.value


class LoginFailed(SyncError):
    code = ErrorCode.LOGIN_FAILED.value


class LoginThrottled(SyncError):
    code = ErrorCode.LOGIN_THROTTLED.value

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServerUnreachable(SyncError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The office server could not be reached. Your changes are safe on this "
            "laptop and will go next time." + (f" ({detail})" if detail else "")
        )


class SyncRefused(SyncError):
    """The server refused the request (another team's person, a malformed or oversized batch)."""

    def __init__(self, code: str, detail: str, status: int) -> None:
        super().__init__(detail)
        self.code = code
        self.status = status


class SyncCancelled(SyncError):
    def __init__(self) -> None:
        super().__init__("Sync was stopped. Everything already exchanged is kept.")


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Registration:
    server_url: str
    device_id: str
    adviser: str
    team: str
    role: str


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """Reported after every round trip (and once at the start)."""

    round_trips: int
    pushed: int  # changes the office has acknowledged so far
    waiting: int  # changes still in the outbox
    pulled: int  # rows received so far
    more: bool  # the office has more to send


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did, including what changed locally so screens redraw only that."""

    pushed: int
    rejected: int
    pulled: int
    new_conflicts: int
    round_trips: int
    seconds: float
    cursor: int
    tables: frozenset[str]
    people: frozenset[str]
    notice: str | None = None
    # Set when the office sent a fresh copy ("cursor_too_old", "team_changed"): redraw all.
    restored: str | None = None


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Counts for the status bar."""

    registered: bool
    server_url: str | None
    waiting: int
    oldest_waiting_at: datetime | None
    last_success_at: datetime | None
    unresolved_conflicts: int
    rejected: int
    last_attempt_at: datetime | None = None  # later than last_success_at: the last try failed

    def oldest_waiting_age(self, now: datetime) -> float | None:
        """Seconds the oldest waiting change has waited (None when nothing waits)."""
        if self.oldest_waiting_at is None:
            return None
        return max(0.0, (now - self.oldest_waiting_at).total_seconds())


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def sync_status(store: Store) -> SyncStatus:
    """Changes waiting, age of the oldest, last successful sync, unresolved conflicts."""
    with store.read() as conn:
        waiting, oldest = conn.execute(
            select(func.count(), func.min(outbox.c.created_at)).select_from(outbox)
        ).one()
        unresolved = conn.execute(
            select(func.count()).select_from(conflicts).where(conflicts.c.resolved_at.is_(None))
        ).scalar_one()
        server_url = local.get_meta(conn, local.META_SERVER_URL)
        token = local.get_meta(conn, local.META_TOKEN)
        last = local.get_meta(conn, local.META_LAST_SUCCESS)
        attempt = local.get_meta(conn, local.META_LAST_ATTEMPT)
        rejected = len(local.get_json_list(conn, local.META_REJECTED))
    return SyncStatus(
        registered=bool(server_url and token),
        server_url=server_url,
        waiting=int(waiting),
        oldest_waiting_at=_parse_time(oldest),
        last_success_at=_parse_time(last),
        unresolved_conflicts=int(unresolved),
        rejected=rejected,
        last_attempt_at=_parse_time(attempt),
    )


# --- transport ---------------------------------------------------------------------------------


def _encode(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    data = orjson.dumps(body)
    headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}
    if len(data) > _COMPRESS_ABOVE:
        data = gzip.compress(data, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return data, headers


def _refusal(response: httpx.Response) -> SyncError:
    code, detail = _code_and_detail(response)
    detail = detail or f"The office server refused the request (HTTP {response.status_code})."
    if code == ErrorCode.PROTOCOL_MISMATCH.value or response.status_code == 426:
        return UpdateRequired(detail)
    if code == ErrorCode.NOT_REGISTERED.value:
        return NotRegistered(detail)
    if code == ErrorCode.LOGIN_FAILED.value:
        return LoginFailed(detail)
    if code == ErrorCode.LOGIN_THROTTLED.value:
        retry = response.headers.get("retry-after", "60")
        return LoginThrottled(detail, int(retry) if retry.isdigit() else 60)
    return SyncRefused(code, detail, response.status_code)


def _code_and_detail(response: httpx.Response) -> tuple[str, str]:
    try:
        body = orjson.loads(response.content)
        return str(body.get("code", "")), str(body.get("detail", ""))
    except (orjson.JSONDecodeError, AttributeError):
        return "", ""


def _revoke_kind(response: httpx.Response) -> str:
    try:
        body = orjson.loads(response.content)
        return str(body.get("kind") or "lost")
    except (orjson.JSONDecodeError, AttributeError):
        return "lost"


def secure_channel(url: httpx.URL | str) -> bool:
    """Whether an answer from this address can be trusted to be the office's own: over TLS,
    or from this machine. Only such an answer may wipe the store."""
    import httpx

    parsed = httpx.URL(str(url))
    return parsed.scheme == "https" or (parsed.scheme == "http" and is_loopback(parsed.host))


def check_address(url: str) -> str:
    """The address, if it may be used (https, or http to this machine); else InsecureAddress."""
    if not secure_channel(url):
        raise InsecureAddress()
    return url


class _Transport:
    """POSTs with retries: network errors and 5xx back off exponentially with jitter."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None,
        verify: bool | str | ssl.SSLContext,
        timeout: float,
        max_attempts: int,
        backoff: float,
        backoff_cap: float,
        transport: httpx.BaseTransport | None,
    ) -> None:
        import httpx

        from sp_desktop import __version__

        headers = {"User-Agent": f"sp-desktop/{__version__} sync/{PROTOCOL_VERSION}"}
        if isinstance(verify, str):  # the office's own CA certificate file
            verify = ssl.create_default_context(cafile=verify)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=check_address(base_url),
            headers=headers,
            verify=verify,
            timeout=timeout,
            transport=transport,
        )
        self.max_attempts = max(1, max_attempts)
        self.backoff, self.backoff_cap = backoff, backoff_cap
        self.attempts = 0  # every POST tried, retries included (for tests and logs)

    def close(self) -> None:
        self.http.close()

    def use_token(self, token: str) -> None:
        """The office renewed the device token: the next requests carry the new one."""
        self.http.headers["Authorization"] = f"Bearer {token}"

    def post(
        self, path: str, body: dict[str, Any], cancel: threading.Event | None
    ) -> tuple[int, dict[str, Any] | httpx.Response]:
        """(status, parsed JSON) on 2xx; (status, response) on 4xx; raises when out of tries."""
        import httpx

        data, headers = _encode(body)
        problem = ""
        for attempt in range(self.max_attempts):
            if cancel is not None and cancel.is_set():
                raise SyncCancelled()
            if attempt:
                delay = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
                delay *= random.uniform(0.5, 1.0)  # jitter: laptops back at the office at 9
                if cancel is not None:
                    if cancel.wait(delay):
                        raise SyncCancelled()
                else:
                    time.sleep(delay)
            self.attempts += 1
            try:
                response = self.http.post(path, content=data, headers=headers)
            except httpx.RequestError as exc:
                problem = type(exc).__name__
                continue
            if response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                return response.status_code, response
            try:
                parsed = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                problem = "garbled answer"
                continue
            if isinstance(parsed, dict):
                return response.status_code, parsed
            problem = "unexpected answer"
        raise ServerUnreachable(problem)


def _normalise_url(server_url: str) -> str:
    url = server_url.strip().rstrip("/")
    if not url.lower().startswith(("https://", "http://")):
        url = "https://" + url
    return check_address(url)


# --- registration ------------------------------------------------------------------------------


def register_device(
    store: Store,
    server_url: str,
    adviser: str,
    password: str,
    *,
    label: str = "",
    verify: bool | str | ssl.SSLContext = True,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> Registration:
    """Registers this laptop with the adviser's name and password.

    The password is sent once and never stored; the device token the server issues is kept in
    the encrypted store along with the server address.
    """
    url = _normalise_url(server_url)  # an http:// address elsewhere never gets the password
    request = RegisterRequest(
        adviser=adviser,
        password=password,
        device_id=store.device_id,
        label=label,
        training=is_training(store),
    )
    http = _Transport(
        url,
        token=None,
        verify=verify,
        timeout=timeout,
        max_attempts=3,
        backoff=0.5,
        backoff_cap=5.0,
        transport=transport,
    )
    try:
        status, wire = http.post(REGISTER_PATH, request.to_wire(), None)
    finally:
        http.close()
    if not isinstance(wire, dict):  # a refusal (the response itself)
        refusal = _refusal(wire)
        if refusal.code == ErrorCode.DEVICE_REVOKED.value:
            raise SyncRefused(refusal.code, str(refusal), status)
        raise refusal
    answer = _read(RegisterAnswer.from_wire, wire)
    registration = Registration(url, answer.device_id, adviser.strip(), answer.team, answer.role)
    with store.write() as conn:
        local.set_meta(conn, local.META_SERVER_URL, url)
        local.set_meta(conn, local.META_TOKEN, answer.token)
        local.set_meta(conn, local.META_TEAM, registration.team)
        local.set_meta(conn, local.META_ADVISER, registration.adviser)
        local.set_meta(conn, local.META_ROLE, registration.role)
        local.set_meta(conn, local.META_REGISTERED_AT, local.now_text())
        _keep_lease(conn, answer.lease_seconds)
        if local.get_meta(conn, local.META_CURSOR) is None:
            local.set_meta(conn, local.META_CURSOR, "0")
    log.info("device registered with the office server")
    return registration


LEASE_EXPIRED_MESSAGE = (
    "This laptop has not reached the office server for longer than your office allows, so "
    "people's records stay closed until it syncs. Please connect to the office network and "
    "choose Sync now."
)


def _keep_lease(conn: Any, lease: int | None) -> None:
    if lease is not None and lease > 0:
        local.set_meta(conn, local.META_LEASE, str(lease))


_T = TypeVar("_T")


def _read(parse: Callable[[dict[str, Any]], _T], wire: dict[str, Any]) -> _T:
    """A typed answer, or a calm error when the office sent something this app cannot read."""
    try:
        return parse(wire)
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncRefused(
            "bad_answer",
            "The office server sent an answer this copy of SP "
            "Desktop cannot read. Your changes are safe on this laptop; please "
            "check that SP Desktop and the office server are up to date.",
            200,
        ) from exc


def is_training(store: Store) -> bool:
    """Whether the store is a training copy (made-up people, see `services.demo`)."""
    return store.meta(META_TRAINING) == "1"


def lease_expired(store: Store, now: datetime | None = None) -> bool:
    """Whether a registered laptop has been out of touch longer than the office's lease.

    Counts from the last successful sync (or the registration, before any). An unregistered
    laptop, or one whose server sent no lease, is never refused: the lease limits how long a
    lost laptop stays openable, and only the office can set it. Show LEASE_EXPIRED_MESSAGE.
    """
    with store.read() as conn:
        token = local.get_meta(conn, local.META_TOKEN)
        lease = local.get_meta(conn, local.META_LEASE)
        since = _parse_time(
            local.get_meta(conn, local.META_LAST_SUCCESS)
            or local.get_meta(conn, local.META_REGISTERED_AT)
        )
    if not token or not lease or not lease.isdigit() or since is None:
        return False
    now = now or datetime.now(UTC)
    return (now - since).total_seconds() > int(lease)


def wipe_store(store: Store) -> None:
    """Crypto-shred: close, delete the key file first (the data is unreadable from then on),
    then the database files and backups."""
    folder = store.folder
    store.close(clean=False)
    delete_store_files(folder)


# --- sync --------------------------------------------------------------------------------------


ProgressCallback = Callable[[SyncProgress], None]


class _NextPage:
    """The next page of a pull, fetched on a helper thread while this one is applied.

    Only the POST runs there; what comes back is read on the sync's own thread (a refusal may
    wipe the store). It is used only if the request the sync then makes is exactly the one
    asked ahead; otherwise (an edit saved meanwhile goes up first) it is dropped, which is
    harmless: a pull changes nothing at the office."""

    def __init__(self, http: _Transport, cancel: threading.Event | None) -> None:
        self._http = http
        self._cancel = cancel
        self._pool: ThreadPoolExecutor | None = None
        self._asked: tuple[SyncRequest, Future[tuple[int, Any]]] | None = None

    def ask(self, request: SyncRequest) -> None:
        self._forget()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-next-page")
        post = self._pool.submit(self._http.post, SYNC_PATH, request.to_wire(), self._cancel)
        self._asked = (request, post)

    def take(self, request: SyncRequest) -> tuple[int, Any] | None:
        """The answer to `request` if it was asked ahead (waits for it); raises what the POST
        raised (out of tries, cancelled), as the round trip itself would have."""
        asked, self._asked = self._asked, None
        if asked is None:
            return None
        if asked[0] != request:
            _settle(asked[1])
            return None
        return asked[1].result()

    def drop(self) -> None:
        """At the end of a sync (or its failure): waits for anything still asked ahead, so
        the shared connection is never used after it is closed, and stops the thread."""
        self._forget()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _forget(self) -> None:
        asked, self._asked = self._asked, None
        if asked is not None:
            _settle(asked[1])


def _settle(future: Future[Any]) -> None:
    """Waits for a POST nobody needs any more; whatever it met does not matter."""
    with contextlib.suppress(Exception):
        future.result()


class SyncClient:
    """Syncs one store with its office server. Create one per sync (or keep it; it is cheap).

    `clock` is the workspace's clock (`ws.changes.clock`): pulled stamps move it forward so the
    adviser's next edit is ordered after everything pulled, whatever this laptop's clock says.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: HybridClock | None = None,
        batch_size: int = DEFAULT_BATCH,
        page_limit: int = DEFAULT_PAGE_LIMIT,
        check_every: int = DEFAULT_CHECK_EVERY,
        max_attempts: int = 6,
        backoff: float = 0.5,
        backoff_cap: float = 30.0,
        timeout: float = 60.0,
        verify: bool | str | ssl.SSLContext = True,
        transport: httpx.BaseTransport | None = None,
        keep_closed_days: int | None = None,
    ) -> None:
        self.store = store
        # The laptop's retention window, so both sides' consistency check leave out the same
        # people (None: the check covers everyone, as before laptop retention).
        self.keep_closed_days = keep_closed_days
        self.clock = clock
        self.batch_size = batch_size
        self.page_limit = page_limit
        self.check_every = check_every
        server_url = store.meta(local.META_SERVER_URL)
        token = store.meta(local.META_TOKEN)
        if not server_url or not token:
            raise NotRegistered()
        self.server_url = server_url
        self.training = is_training(store)
        # Refuses an http:// address elsewhere (kept from an older version) before sending.
        self._http = _Transport(
            server_url,
            token=token,
            verify=verify,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            backoff_cap=backoff_cap,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def attempts(self) -> int:
        return self._http.attempts

    def _round_trip(
        self, request: SyncRequest, cancel: threading.Event | None
    ) -> tuple[int, SyncAnswer]:
        """One POST; a refusal raises (a revoked laptop wipes first), an answer comes typed,
        and a renewed token is kept at once, as the token is kept at registration."""
        return self._take_answer(*self._http.post(SYNC_PATH, request.to_wire(), cancel))

    def _take_answer(
        self, status: int, wire: dict[str, Any] | httpx.Response
    ) -> tuple[int, SyncAnswer]:
        """What comes back from a round trip, read on the sync's own thread (a refusal may
        wipe the store); a renewed token is kept at once."""
        if not isinstance(wire, dict):  # a refusal (the response itself)
            self._refused(wire)
        answer = _read(SyncAnswer.from_wire, wire)
        if answer.token:
            with self.store.write() as conn:
                local.set_meta(conn, local.META_TOKEN, answer.token)
            self._http.use_token(answer.token)
            log.info("the office renewed this laptop's token")
        return status, answer

    def sync_once(
        self,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> SyncResult:
        """Pushes everything waiting and pulls everything new, one round trip per batch/page."""
        started = time.monotonic()
        totals = local.Applied()
        round_trips, cursor, notice = 0, 0, None
        # Counted once: a count of the whole outbox at every round trip made an upload of
        # 870,000 changes grow with the square of its size. What is acknowledged comes off it.
        first_waiting = self._report_queue()
        if progress is not None:
            progress(SyncProgress(0, 0, first_waiting, 0, True))
        with self.store.write() as conn:
            local.set_meta(conn, local.META_LAST_ATTEMPT, local.now_text())
            if int(local.get_meta(conn, local.META_CURSOR) or 0) == 0:
                local.set_meta(conn, local.META_CHECK_DUE, "1")  # check after a first sync
            totals.new_conflicts += local.reopen_settled_by_clock(conn)
        round_trips += self._resync(totals, cancel)  # one a crash or a cut left half done
        # Erasures first: nothing waiting about an erased person is sent, nothing kept.
        _trips, purged = self.take_erasures(cancel)  # its own door, not counted as pages
        totals.people.update(purged)
        ahead = _NextPage(self._http, cancel)
        try:
            trips, cursor, notice, restored = self._pages(
                totals, ahead, progress, first_waiting, cancel
            )
        finally:
            ahead.drop()
        round_trips += trips
        round_trips += self._resync(totals, cancel)
        self.hand_in_audit(cancel)
        with local.sync_transaction(self.store) as conn:
            _add(totals, _let_go_of_other_teams(conn))
        with self.store.write() as conn:
            local.set_meta(conn, local.META_LAST_SUCCESS, local.now_text())
            count = int(local.get_meta(conn, local.META_SYNC_COUNT) or 0) + 1
            local.set_meta(conn, local.META_SYNC_COUNT, str(count))
            if self.check_every and count % self.check_every == 0:
                local.set_meta(conn, local.META_CHECK_DUE, "1")
        return SyncResult(
            pushed=totals.acknowledged,
            rejected=totals.rejected,
            pulled=totals.rows,
            new_conflicts=totals.new_conflicts,
            round_trips=round_trips,
            seconds=time.monotonic() - started,
            cursor=cursor,
            tables=frozenset(totals.tables),
            people=frozenset(totals.people),
            notice=notice,
            restored=restored,
        )

    def _pages(
        self,
        totals: local.Applied,
        ahead: _NextPage,
        progress: ProgressCallback | None,
        first_waiting: int,
        cancel: threading.Event | None,
    ) -> tuple[int, int, str | None, str | None]:
        """Round trips until nothing is left to push or pull: (round trips, cursor, notice,
        restored). While a pulled page is applied, the next page of the same pull is already
        being fetched (`_NextPage`): the office's work and the laptop's overlap."""
        round_trips, cursor = 0, 0
        notice: str | None = None
        restored: str | None = None
        verdict = False
        behind = False  # the last answer said more is coming: a check now could only be "busy"
        while True:
            if cancel is not None and cancel.is_set():
                raise SyncCancelled()
            batch = local.read_batch(self.store, self.batch_size)
            with self.store.read() as conn:
                cursor = int(local.get_meta(conn, local.META_CURSOR) or 0)
                resolved = [str(i) for i in local.get_json_list(conn, local.META_RESOLVED)]
                team = local.get_meta(conn, local.META_TEAM)
                # Digests are computed only when a verdict is possible: not while pages of a
                # first sync are still coming (each would be answered "busy").
                check = (
                    local.scope_digests(conn, self.keep_closed_days)
                    if not batch and not verdict and not behind and self._check_due()
                    else None
                )
            request = SyncRequest(
                cursor=cursor,
                ops=tuple(entry.op for entry in batch),
                resolved=tuple(resolved),
                limit=self.page_limit,
                team=team,
                check=check,
                training=self.training,
                keep_closed_days=self.keep_closed_days if check is not None else None,
            )
            fetched = ahead.take(request)  # None: not asked ahead, or not for this request
            if fetched is None:
                self._http.http.headers[WAITING_HEADER] = str(
                    max(0, first_waiting - totals.acknowledged)
                )
            status, answer = (
                self._take_answer(*fetched) if fetched else self._round_trip(request, cancel)
            )
            round_trips += 1
            notice = answer.notice or notice
            if answer.retired:
                self._hand_in(answer, batch, resolved, cancel)  # always raises DeviceRevoked
            if answer.restore:
                restored = answer.restore
                log.warning("the office asked for a fresh copy (%s); restoring", restored)
                with local.sync_transaction(self.store) as conn:
                    _remember_kept(conn)
                    local.forget_copy(conn, answer.team)
                continue
            verdict = self._take_verdict(answer.check) or verdict
            if answer.more and not batch and not resolved and not answer.token:
                # A pull under way with nothing to push: the next page is asked for now, and
                # comes while this one is applied. (Not after a renewed token: the next
                # request must carry the new one.)
                # (Nothing in flight now: the shared headers may change.)
                self._http.http.headers[WAITING_HEADER] = str(
                    max(0, first_waiting - totals.acknowledged)
                )
                ahead.ask(replace(request, cursor=answer.cursor, check=None))
            with local.sync_transaction(self.store) as conn:
                _keep_lease(conn, answer.lease_seconds)
                applied = self._apply(conn, answer, batch, resolved)
            cursor = answer.cursor
            _add(totals, applied)
            more = behind = answer.more
            if progress is not None:
                waiting = max(0, first_waiting - totals.acknowledged)
                progress(SyncProgress(round_trips, totals.acknowledged, waiting, totals.rows, more))
            if batch and applied.acknowledged == 0:
                raise SyncRefused(
                    "no_progress",
                    "The office server did not accept any of the "
                    "changes sent. Please try again later.",
                    status,
                )
            if not more and len(batch) < self.batch_size:
                return round_trips, cursor, notice, restored

    def _apply(
        self,
        conn: Any,
        answer: SyncAnswer,
        batch: list[local.OutboxEntry],
        resolved: list[str],
        cursor_key: str = local.META_CURSOR,
    ) -> local.Applied:
        applied = local.apply_answer(
            conn,
            sent=batch,
            acks=[ack.to_wire() for ack in answer.acks],
            changes=answer.changes,
            logged=answer.conflicts,
            cursor=answer.cursor,
            resolved_sent=resolved,
            clock=self.clock,
            cursor_key=cursor_key,
        )
        if answer.changes:
            _pulled_back(conn, answer.changes)
        # The office stores a laptop's own change without sending it back: an op it took (in
        # this team's scope, or it would have refused it) keeps its row like a pulled one.
        taken = {ack.op for ack in answer.acks if ack.status is not AckStatus.REJECTED}
        if taken:
            _pulled_back(
                conn,
                [{"table": e.op.table, "row": e.op.row_id} for e in batch if e.op.op_id in taken],
            )
        return applied

    def _hand_in(
        self,
        answer: SyncAnswer,
        batch: list[local.OutboxEntry],
        resolved: list[str],
        cancel: threading.Event | None,
    ) -> NoReturn:
        """A retired laptop: sends every waiting change it can, then wipes and says how many
        could not be sent. Stops handing in when a round trip makes no progress."""
        handed_in, sent = 0, bool(batch)
        while True:
            with local.sync_transaction(self.store) as conn:
                applied = self._apply(
                    conn,
                    replace(answer, changes=(), conflicts=()),
                    batch,
                    resolved,
                    cursor_key=_HAND_IN_CURSOR,
                )
            handed_in += applied.acknowledged - applied.rejected
            if sent and applied.acknowledged == 0:
                break  # the office took none of them: what is left is counted below
            batch = local.read_batch(self.store, self.batch_size)
            if not batch or (cancel is not None and cancel.is_set()):
                break
            request = SyncRequest(
                cursor=answer.cursor,
                ops=tuple(e.op for e in batch),
                pull=False,
                training=self.training,
            )
            resolved, sent = [], True
            try:
                _status, answer = self._round_trip(request, cancel)
            except (ServerUnreachable, SyncCancelled, SyncRefused):
                break  # what could not go is counted below and goes with the wipe
            if not answer.retired:  # the office changed its mind meanwhile: keep everything
                raise SyncRefused(
                    "not_retired",
                    "The office has switched this laptop on again. Please sync again.",
                    200,
                )
        try:  # the audit trail too: what was looked at on this laptop outlives its wipe
            self.hand_in_audit(cancel)
        except (ServerUnreachable, SyncCancelled, SyncRefused):
            log.warning("a retired laptop could not hand in all of its audit trail")
        self._wipe(retired=True, handed_in=handed_in)

    def take_erasures(self, cancel: threading.Event | None = None) -> tuple[int, set[str]]:
        """Purges every person the office erased in this laptop's team (everything held about
        them, backups replaced) and confirms it; returns (round trips, people purged). A
        confirmation lost on the way is kept and sent again."""
        trips, purged = 0, set[str]()
        while True:
            if cancel is not None and cancel.is_set():
                raise SyncCancelled()
            with self.store.read() as conn:
                owed_confirmations = erasure.to_confirm(conn)
                asked = erasure.requests(conn)
            body = ErasureExchange(confirmed=tuple(owed_confirmations),
                                   requested=tuple(asked)).to_wire()
            _status, wire = self._http.post(ERASURES_PATH, body, cancel)
            trips += 1
            if not isinstance(wire, dict):
                if wire.status_code == 404:  # an office not yet updated: nothing erased yet
                    break
                self._refused(wire)
            answer = _read(ErasureExchange.from_wire, wire)
            if asked:
                with self.store.write() as conn:  # handed in: the office keeps them now
                    erasure.set_requests(conn, [r for r in erasure.requests(conn)
                                                if r not in asked])
            notices = [n for n in answer.erasures if n.id not in owed_confirmations]
            if not notices:
                if owed_confirmations:
                    with self.store.write() as conn:
                        erasure.set_to_confirm(conn, [])
                break
            with self.store.write() as conn:
                for notice in notices:
                    erasure.purge(conn, notice.person_id)
                    purged.add(notice.person_id)
                erasure.set_to_confirm(conn, [*owed_confirmations, *(n.id for n in notices)])
            log.info("purged %d erased people", len(notices))
        if purged:
            erasure.replace_backups(self.store)
        return trips, purged

    def hand_in_audit(self, cancel: threading.Event | None = None) -> int:
        """Sends the audit events the office has not acknowledged (oldest first, bounded
        uploads) and keeps each acknowledgement; returns the round trips made. The office
        checks each upload against the chain it holds, so a trail rewritten here is found."""
        trips = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise SyncCancelled()
            with self.store.read() as conn:
                found = audit.waiting(conn, MAX_AUDIT_EVENTS)
            upload = AuditUpload(
                found.anchor_seq,
                found.anchor_hash,
                tuple(AuditEventWire(**{k: e[k] for k in AuditEventWire.__slots__})
                      for e in found.events),
            )
            _status, wire = self._http.post(AUDIT_PATH, upload.to_wire(), cancel)
            trips += 1
            if not isinstance(wire, dict):
                if wire.status_code == 404:  # an office not yet updated: the events wait
                    return trips
                self._refused(wire)
            if "acknowledged_seq" not in wire:
                log.warning("the office's answer to the audit upload was not one; kept waiting")
                return trips
            receipt = _read(AuditReceipt.from_wire, wire)
            with self.store.write() as conn:
                audit.acknowledged(conn, receipt.acknowledged_seq, receipt.acknowledged_hash)
            if receipt.flagged:
                log.warning("the office found %d breaks in this laptop's audit trail",
                            receipt.flagged)
            done = len(found.events) < MAX_AUDIT_EVENTS
            if done or receipt.acknowledged_seq <= found.anchor_seq:
                return trips

    def _wipe(self, *, retired: bool, handed_in: int = 0) -> NoReturn:
        with self.store.read() as conn:
            unsent = int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())
            refused = len(local.get_json_list(conn, local.META_REJECTED))
        log.warning(
            "this device was revoked by the office; wiping the local store "
            "(retired=%s, handed in=%d, unsent=%d)",
            retired,
            handed_in,
            unsent,
        )
        self.close()
        wipe_store(self.store)
        raise DeviceRevoked(retired=retired, unsent=unsent, refused=refused, handed_in=handed_in)

    def _check_due(self) -> bool:
        return self.store.meta(local.META_CHECK_DUE) == "1"

    def _take_verdict(self, check: Verdict | None) -> bool:
        """Records a divergence verdict; a mismatch schedules a re-pull of those tables."""
        if check is None or check.status not in (CHECK_OK, CHECK_MISMATCH):
            return False  # no check asked, or "busy": it stays due for a later round trip
        tables = list(check.tables)
        with self.store.write() as conn:
            local.delete_meta(conn, local.META_CHECK_DUE)
            if check.status == CHECK_MISMATCH and tables:
                pending = local.get_json_list(conn, local.META_RESYNC)
                wanted = sorted(set(pending) | set(tables))
                local.set_meta(conn, local.META_RESYNC, orjson.dumps(wanted).decode())
                local.set_meta(conn, local.META_RESYNC_CURSOR, "0")
                local.delete_meta(conn, local.META_RESYNC_SEEN)  # the re-pull starts again
                log.warning("divergence check found %d table(s) to re-pull", len(tables))
        return True

    def _resync(self, totals: local.Applied, cancel: threading.Event | None) -> int:
        """Re-pulls the tables a divergence check flagged, from seq 0; the outbox stays.

        Pulled rows are applied like any pull (a field with a waiting local edit keeps it), so
        missing rows come back and stale ones are corrected without duplicating anything.
        """
        trips = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise SyncCancelled()
            with self.store.read() as conn:
                tables = [str(t) for t in local.get_json_list(conn, local.META_RESYNC)]
                cursor = int(local.get_meta(conn, local.META_RESYNC_CURSOR) or 0)
            if not tables:
                return trips
            request = SyncRequest(
                cursor=cursor, tables=tuple(tables), limit=self.page_limit, training=self.training
            )
            _status, answer = self._round_trip(request, cancel)
            trips += 1
            if answer.retired:
                self._hand_in(answer, [], [], cancel)
            with local.sync_transaction(self.store) as conn:
                applied = self._apply(conn, answer, [], [], cursor_key=local.META_RESYNC_CURSOR)
                local.note_resync_seen(conn, tables, answer.changes)
                if not answer.more:
                    _add(applied, local.remove_unseen(conn, tables))  # extra rows go too
                    local.delete_meta(conn, local.META_RESYNC)
                    local.delete_meta(conn, local.META_RESYNC_CURSOR)
            _add(totals, applied)

    def _report_queue(self) -> int:
        """Tells the office (headers of this sync's requests) how many changes are waiting
        and since when, for its laptops page; returns the count. Each round trip updates
        the count by what the office has acknowledged so far."""
        with self.store.read() as conn:
            waiting, oldest = conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).select_from(outbox)
            ).one()
        self._http.http.headers[WAITING_HEADER] = str(int(waiting))
        self._http.http.headers[OLDEST_WAITING_HEADER] = str(oldest or "")[:32]
        return int(waiting)

    def _refused(self, response: httpx.Response) -> NoReturn:
        refusal = _refusal(response)
        if refusal.code == ErrorCode.DEVICE_REVOKED.value:
            if not secure_channel(response.url):
                # Anyone on the way can forge a plain-http answer: never wipe on one.
                log.warning("a 'revoked' answer came over plain http; nothing was wiped")
                raise SyncRefused(
                    refusal.code,
                    "The server said this laptop is switched off, "
                    "but over a connection that is not secure, so nothing was "
                    "removed. Please contact your office.",
                    response.status_code,
                )
            self._wipe(retired=_revoke_kind(response) == "retired")
        raise refusal


_HAND_IN_CURSOR = "sync.hand_in_cursor"  # a retired laptop pulls nothing: its cursor stays put


def _remember_kept(conn: Any) -> None:
    """Before a fresh copy: notes the rows kept only because a change of theirs waits."""
    kept = {(str(t), str(r)) for t, r in conn.execute(select(outbox.c.table_name, outbox.c.row_id))}
    earlier = {(str(t), str(r)) for t, r in local.get_json_list(conn, META_KEPT_THROUGH_RESTORE)}
    local.set_meta(conn, META_KEPT_THROUGH_RESTORE, orjson.dumps(sorted(kept | earlier)).decode())


def _pulled_back(conn: Any, changes: Sequence[dict[str, Any]]) -> None:
    """Rows the office sent after a fresh copy are in this laptop's scope: they stay."""
    kept = local.get_json_list(conn, META_KEPT_THROUGH_RESTORE)
    if not kept:
        return
    pulled = {(str(c.get("table")), str(c.get("row"))) for c in changes}
    left = [pair for pair in kept if (str(pair[0]), str(pair[1])) not in pulled]
    if len(left) != len(kept):
        local.set_meta(conn, META_KEPT_THROUGH_RESTORE, orjson.dumps(left).decode())


def _let_go_of_other_teams(conn: Any) -> local.Applied:
    """After a whole sync: rows kept through a fresh copy that nothing waits for and that the
    office did not send back belong to another team now (their changes were set aside as
    refused, with the reason): they leave the laptop. Rows still waiting stay for now."""
    gone = local.Applied()
    kept = [(str(t), str(r)) for t, r in local.get_json_list(conn, META_KEPT_THROUGH_RESTORE)]
    if not kept:
        return gone
    waiting = {
        (str(t), str(r)) for t, r in conn.execute(select(outbox.c.table_name, outbox.c.row_id))
    }
    still = [pair for pair in kept if pair in waiting]
    for table_name, row_id in kept:
        table = TABLES_BY_NAME.get(table_name)
        if (table_name, row_id) in waiting or table is None:
            continue
        row = conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
        if row is None:
            continue
        conn.execute(delete(table).where(table.c.id == row_id))
        gone.rows += 1
        gone.tables.add(table_name)
        person = row_id if table_name == "people" else row.get("person_id")
        if person:
            gone.people.add(str(person))
    if still:
        local.set_meta(conn, META_KEPT_THROUGH_RESTORE, orjson.dumps(still).decode())
    else:
        local.delete_meta(conn, META_KEPT_THROUGH_RESTORE)
    if gone.rows:
        log.info("%d row(s) of another team's caseload left this laptop", gone.rows)
    return gone


def _add(totals: local.Applied, applied: local.Applied) -> None:
    totals.acknowledged += applied.acknowledged
    totals.rejected += applied.rejected
    totals.rows += applied.rows
    totals.new_conflicts += applied.new_conflicts
    totals.tables |= applied.tables
    totals.people |= applied.people
    totals.skipped_tables |= applied.skipped_tables
