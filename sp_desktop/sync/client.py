"""The app's half of sync (Qt-free): register the device, then push the outbox and pull changes.

Everything here is plain blocking code meant for a worker thread: `SyncClient.sync_once` takes
a progress callback and a `threading.Event` to cancel (checked between round trips and during
back-off waits, never inside a local transaction) and returns a typed `SyncResult`. Errors are
`SyncError`s whose message a person can read; `DeviceRevoked` means the store has been wiped.
"""

from __future__ import annotations

import gzip
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import httpx
import orjson
from sqlalchemy import func, select

from sp_desktop.domain.errors import SpDesktopError
from sp_desktop.domain.hlc import HybridClock
from sp_desktop.store.database import Store, delete_store_files
from sp_desktop.store.schema import conflicts, outbox
from sp_desktop.sync import local
from sp_desktop.sync.divergence import CHECK_MISMATCH, CHECK_OK
from sp_desktop.sync.protocol import (
    DEFAULT_PAGE_LIMIT,
    PROTOCOL_VERSION,
    REGISTER_PATH,
    SYNC_PATH,
    ErrorCode,
)

log = logging.getLogger(__name__)

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
        super().__init__(detail or "This laptop is not registered with the office server yet. "
                         "Please register it with your name and password.")


class DeviceRevoked(SyncError):
    """The office revoked this device. The local store has already been wiped."""

    code = ErrorCode.DEVICE_REVOKED.value

    def __init__(self) -> None:
        super().__init__("Your office has switched off sync for this laptop, so its copy of the "
                         "caseload has been removed from it. Please contact your office.")


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
        super().__init__("The office server could not be reached. Your changes are safe on this "
                         "laptop and will go next time." + (f" ({detail})" if detail else ""))


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
    try:
        body = orjson.loads(response.content)
        code, detail = str(body.get("code", "")), str(body.get("detail", ""))
    except (orjson.JSONDecodeError, AttributeError):
        code, detail = "", ""
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
        headers = {"User-Agent": f"sp-desktop sync/{PROTOCOL_VERSION}"}
        if isinstance(verify, str):  # the office's own CA certificate file
            verify = ssl.create_default_context(cafile=verify)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=base_url, headers=headers, verify=verify,
                                 timeout=timeout, transport=transport)
        self.max_attempts = max(1, max_attempts)
        self.backoff, self.backoff_cap = backoff, backoff_cap
        self.attempts = 0  # every POST tried, retries included (for tests and logs)

    def close(self) -> None:
        self.http.close()

    def post(
        self, path: str, body: dict[str, Any], cancel: threading.Event | None
    ) -> tuple[int, dict[str, Any] | httpx.Response]:
        """(status, parsed JSON) on 2xx; (status, response) on 4xx; raises when out of tries."""
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
    if not url.startswith(("https://", "http://")):
        url = "https://" + url
    return url


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
    url = _normalise_url(server_url)
    http = _Transport(url, token=None, verify=verify, timeout=timeout, max_attempts=3,
                      backoff=0.5, backoff_cap=5.0, transport=transport)
    try:
        status, answer = http.post(REGISTER_PATH, {
            "protocol": PROTOCOL_VERSION,
            "adviser": adviser,
            "password": password,
            "device_id": store.device_id,
            "label": label,
        }, None)
    finally:
        http.close()
    if isinstance(answer, httpx.Response):
        refusal = _refusal(answer)
        if refusal.code == ErrorCode.DEVICE_REVOKED.value:
            raise SyncRefused(refusal.code, str(refusal), status)
        raise refusal
    registration = Registration(url, str(answer["device_id"]), adviser.strip(),
                                str(answer["team"]), str(answer["role"]))
    with store.write() as conn:
        local.set_meta(conn, local.META_SERVER_URL, url)
        local.set_meta(conn, local.META_TOKEN, str(answer["token"]))
        local.set_meta(conn, local.META_TEAM, registration.team)
        local.set_meta(conn, local.META_ADVISER, registration.adviser)
        local.set_meta(conn, local.META_ROLE, registration.role)
        local.set_meta(conn, local.META_REGISTERED_AT, local.now_text())
        _keep_lease(conn, answer)
        if local.get_meta(conn, local.META_CURSOR) is None:
            local.set_meta(conn, local.META_CURSOR, "0")
    log.info("device registered with the office server")
    return registration


LEASE_EXPIRED_MESSAGE = (
    "This laptop has not reached the office server for longer than your office allows, so "
    "people's records stay closed until it syncs. Please connect to the office network and "
    "choose Sync now.")


def _keep_lease(conn: Any, answer: dict[str, Any]) -> None:
    lease = answer.get("lease_seconds")
    if isinstance(lease, int) and not isinstance(lease, bool) and lease > 0:
        local.set_meta(conn, local.META_LEASE, str(lease))


def lease_expired(store: Store, now: datetime | None = None) -> bool:
    """Whether a registered laptop has been out of touch longer than the office's lease.

    Counts from the last successful sync (or the registration, before any). An unregistered
    laptop, or one whose server sent no lease, is never refused: the lease limits how long a
    lost laptop stays openable, and only the office can set it. Show LEASE_EXPIRED_MESSAGE.
    """
    with store.read() as conn:
        token = local.get_meta(conn, local.META_TOKEN)
        lease = local.get_meta(conn, local.META_LEASE)
        since = _parse_time(local.get_meta(conn, local.META_LAST_SUCCESS)
                            or local.get_meta(conn, local.META_REGISTERED_AT))
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
    ) -> None:
        self.store = store
        self.clock = clock
        self.batch_size = batch_size
        self.page_limit = page_limit
        self.check_every = check_every
        server_url = store.meta(local.META_SERVER_URL)
        token = store.meta(local.META_TOKEN)
        if not server_url or not token:
            raise NotRegistered()
        self.server_url = server_url
        self._http = _Transport(server_url, token=token, verify=verify, timeout=timeout,
                                max_attempts=max_attempts, backoff=backoff,
                                backoff_cap=backoff_cap, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def attempts(self) -> int:
        return self._http.attempts

    def sync_once(
        self,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> SyncResult:
        """Pushes everything waiting and pulls everything new, one round trip per batch/page."""
        started = time.monotonic()
        totals = local.Applied()
        round_trips, cursor, notice = 0, 0, None
        if progress is not None:
            progress(SyncProgress(0, 0, self._waiting(), 0, True))
        with self.store.write() as conn:
            local.set_meta(conn, local.META_LAST_ATTEMPT, local.now_text())
            if int(local.get_meta(conn, local.META_CURSOR) or 0) == 0:
                local.set_meta(conn, local.META_CHECK_DUE, "1")  # check after a first sync
        round_trips += self._resync(totals, cancel)  # one a crash or a cut left half done
        verdict = False
        restored: str | None = None
        while True:
            if cancel is not None and cancel.is_set():
                raise SyncCancelled()
            batch = local.read_batch(self.store, self.batch_size)
            with self.store.read() as conn:
                cursor = int(local.get_meta(conn, local.META_CURSOR) or 0)
                resolved = [str(i) for i in local.get_json_list(conn, local.META_RESOLVED)]
                team = local.get_meta(conn, local.META_TEAM)
            body = {
                "protocol": PROTOCOL_VERSION,
                "cursor": cursor,
                "ops": [entry.op.to_wire() for entry in batch],
                "resolved": resolved,
                "limit": self.page_limit,
                "team": team,
            }
            if not batch and not verdict and self._check_due():
                with self.store.read() as conn:
                    body["check"] = local.scope_digests(conn)
            status, answer = self._http.post(SYNC_PATH, body, cancel)
            round_trips += 1
            if isinstance(answer, httpx.Response):
                self._refused(answer)
            notice = answer.get("notice") or notice
            if answer.get("restore"):
                restored = str(answer["restore"])
                log.warning("the office asked for a fresh copy (%s); restoring", restored)
                with local.sync_transaction(self.store) as conn:
                    local.forget_copy(conn, str(answer.get("team") or ""))
                continue
            verdict = self._take_verdict(answer.get("check")) or verdict
            with local.sync_transaction(self.store) as conn:
                _keep_lease(conn, answer)
                applied = local.apply_answer(
                    conn,
                    sent=batch,
                    acks=answer.get("acks", []),
                    changes=answer.get("changes", []),
                    logged=answer.get("conflicts", []),
                    cursor=int(answer["cursor"]),
                    resolved_sent=resolved,
                    clock=self.clock,
                )
            cursor = int(answer["cursor"])
            _add(totals, applied)
            more = bool(answer.get("more"))
            waiting = self._waiting()
            if progress is not None:
                progress(SyncProgress(round_trips, totals.acknowledged, waiting, totals.rows, more))
            if batch and applied.acknowledged == 0:
                raise SyncRefused("no_progress", "The office server did not accept any of the "
                                  "changes sent. Please try again later.", status)
            if not more and len(batch) < self.batch_size:
                break
        round_trips += self._resync(totals, cancel)
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

    def _check_due(self) -> bool:
        return self.store.meta(local.META_CHECK_DUE) == "1"

    def _take_verdict(self, check: Any) -> bool:
        """Records a divergence verdict; a mismatch schedules a re-pull of those tables."""
        if not isinstance(check, dict) or check.get("status") not in (CHECK_OK, CHECK_MISMATCH):
            return False  # no check asked, or "busy": it stays due for a later round trip
        tables = [str(t) for t in check.get("tables") or []]
        with self.store.write() as conn:
            local.delete_meta(conn, local.META_CHECK_DUE)
            if check["status"] == CHECK_MISMATCH and tables:
                pending = local.get_json_list(conn, local.META_RESYNC)
                wanted = sorted(set(pending) | set(tables))
                local.set_meta(conn, local.META_RESYNC, orjson.dumps(wanted).decode())
                local.set_meta(conn, local.META_RESYNC_CURSOR, "0")
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
            body = {"protocol": PROTOCOL_VERSION, "cursor": cursor, "ops": [],
                    "tables": tables, "limit": self.page_limit}
            _status, answer = self._http.post(SYNC_PATH, body, cancel)
            trips += 1
            if isinstance(answer, httpx.Response):
                self._refused(answer)
            with local.sync_transaction(self.store) as conn:
                applied = local.apply_answer(
                    conn, sent=[], acks=[], changes=answer.get("changes", []),
                    logged=answer.get("conflicts", []), cursor=int(answer["cursor"]),
                    resolved_sent=[], clock=self.clock, cursor_key=local.META_RESYNC_CURSOR)
                if not answer.get("more"):
                    local.delete_meta(conn, local.META_RESYNC)
                    local.delete_meta(conn, local.META_RESYNC_CURSOR)
            _add(totals, applied)

    def _waiting(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())

    def _refused(self, response: httpx.Response) -> NoReturn:
        refusal = _refusal(response)
        if refusal.code == ErrorCode.DEVICE_REVOKED.value:
            log.warning("this device was revoked by the office; wiping the local store")
            self.close()
            wipe_store(self.store)
            raise DeviceRevoked()
        raise refusal


def _add(totals: local.Applied, applied: local.Applied) -> None:
    totals.acknowledged += applied.acknowledged
    totals.rejected += applied.rejected
    totals.rows += applied.rows
    totals.new_conflicts += applied.new_conflicts
    totals.tables |= applied.tables
    totals.people |= applied.people
    totals.skipped_tables |= applied.skipped_tables
