"""Teams, advisers and their devices: passwords, device tokens, revocation, login throttling.

Passwords are stored as Argon2 hashes, and only a few hashes run at once in a process (each
takes 64 MiB): a burst of logins queues instead of exhausting the server's memory. A device
token is a random secret shown once to the device; the server keeps only its SHA-256 (a random
256-bit token needs no slow hash). Tokens expire and a device in use is handed a fresh one
before they do; a password change or reset ends every token of that adviser.

Login attempts are counted in the database before the password is checked, so parallel
requests cannot slip past the count, and every worker serving the database sees it. Waits grow
per adviser name and per address but are capped at a minute: the count slows a guesser and
never locks the right person out for long. The per-address wait does not apply to a name that
has logged in from that address before, so failures under made-up names cannot stop an
office whose advisers all come from one address.
"""

from __future__ import annotations

import enum
import hashlib
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, or_, select

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.passwords import check_password
from sp_desktop.server.db import advisers, devices, login_throttle, teams

DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_]{8,64}$")  # no '-': it separates clock stamp parts
NAME_FREE_ATTEMPTS = 5  # then each further attempt on the name waits longer
ADDRESS_FREE_ATTEMPTS = 30  # an office shares one address: allow more before slowing it
FIRST_WAIT_SECONDS = 5.0  # the wait after the free attempts, doubling with each further one
MAX_WAIT_SECONDS = 60.0  # slows a guesser to about one try a minute; never a long lockout
FORGET_ATTEMPTS_AFTER = 60 * 60  # an hour without attempts starts the count again
KNOWN_PAIR_DAYS = 90  # a name that logged in from an address skips that address's wait
MAX_CONCURRENT_HASHES = 2  # Argon2 hashes at once per process (64 MiB each)
DEFAULT_TOKEN_DAYS = 30

_hasher = PasswordHasher()
_hashing = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
# Verified against when the adviser name is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Role(enum.StrEnum):
    ADVISER = "adviser"
    MANAGER = "manager"  # may also publish the directory of services


class RevokeKind(enum.StrEnum):
    """How a device was switched off."""

    RETIRED = "retired"  # handed back: it uploads what it holds, then wipes
    LOST = "lost"  # lost or stolen: it wipes at once, uploading nothing


class AccountError(Exception):
    """An administrative request that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """Who is calling: the device, its adviser (by id, never by name in logs), team and role.

    `revoked` devices are refused; `revoke_kind` says whether this one may first hand in its
    waiting changes (retired, or its adviser disabled) or must wipe at once (lost).
    `expired`: the token is known but past its lifetime (or ended by a password change).
    `renew`: hand the device a fresh token in this answer. `promote`: the device used the
    fresh token for the first time, so it replaces the old one.
    """

    device_id: str
    adviser_id: int
    team_id: int
    team_name: str
    role: Role
    revoked: bool
    last_seen_at: str | None = None
    revoke_kind: RevokeKind | None = None
    disabled: bool = False
    expired: bool = False
    renew: bool = False
    promote: bool = False

    def seen_long_ago(self, now: str) -> bool:
        """Whether `last_seen_at` is from an earlier minute (so it is worth recording again)."""
        return self.last_seen_at is None or self.last_seen_at[:16] < now[:16]


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str, user_inputs: tuple[str, ...] = ()) -> str:
    """The Argon2 hash of a password that meets the rule (`domain.passwords`)."""
    try:
        check_password(password, user_inputs)
    except ValidationError as exc:
        raise AccountError(exc.message) from exc
    with _hashing:
        return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Checks a password (against a dummy hash when there is no adviser, so the time taken
    says nothing), with at most MAX_CONCURRENT_HASHES checks running at once."""
    with _hashing:
        try:
            return bool(_hasher.verify(stored_hash or _DUMMY_HASH, password)) and (
                stored_hash is not None)
        except (VerificationError, InvalidHashError):
            return False


# --- administration (CLI) -----------------------------------------------------------------


def add_team(conn: Connection, name: str) -> int:
    name = name.strip()
    if not name:
        raise AccountError("A team needs a name.")
    if conn.execute(select(teams.c.id).where(teams.c.name == name)).first():
        raise AccountError(f"There is already a team called {name!r}.")
    result = conn.execute(teams.insert().values(name=name, created_at=now_text()))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def list_teams(conn: Connection) -> list[tuple[int, str]]:
    return [(r.id, r.name) for r in conn.execute(select(teams.c.id, teams.c.name).order_by("name"))]


def add_adviser(
    conn: Connection, name: str, team: str, password: str, role: Role = Role.ADVISER
) -> int:
    name = name.strip()
    if not name:
        raise AccountError("An adviser needs a name.")
    team_id = conn.execute(select(teams.c.id).where(teams.c.name == team)).scalar_one_or_none()
    if team_id is None:
        raise AccountError(f"There is no team called {team!r}; add it with 'sp-server team add'.")
    if conn.execute(select(advisers.c.id).where(advisers.c.name == name)).first():
        raise AccountError(f"There is already an adviser called {name!r}.")
    result = conn.execute(
        advisers.insert().values(
            name=name,
            team_id=team_id,
            role=role.value,
            password_hash=hash_password(password, (name, team)),
            active=True,
            created_at=now_text(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def move_adviser(conn: Connection, name: str, team: str) -> None:
    """Moves an adviser to another team; their laptops restore that team's caseload next sync."""
    team_id = conn.execute(select(teams.c.id).where(teams.c.name == team)).scalar_one_or_none()
    if team_id is None:
        raise AccountError(f"No team {team!r}.")
    done = conn.execute(advisers.update().where(advisers.c.name == name).values(team_id=team_id))
    if done.rowcount == 0:
        raise AccountError(f"No adviser {name!r}.")


def _adviser_id(conn: Connection, name: str) -> int:
    found = conn.execute(
        select(advisers.c.id).where(advisers.c.name == name)
    ).scalar_one_or_none()
    if found is None:
        raise AccountError(f"There is no adviser called {name!r}.")
    return int(found)


def end_tokens(conn: Connection, adviser_id: int, now: float) -> int:
    """Ends every device token of the adviser (their laptops must register again, keeping
    their data); returns how many devices that touched."""
    done = conn.execute(
        devices.update()
        .where(devices.c.adviser_id == adviser_id)
        .values(token_expires_at=now, pending_token_hash=None)
    )
    return int(done.rowcount)


def set_password(conn: Connection, name: str, password: str, now: float | None = None) -> int:
    """Sets a new password (same rule as everywhere) and ends every device token of the
    adviser: whoever knew the old password cannot keep a laptop it registered. Returns how
    many devices must register again."""
    adviser_id = _adviser_id(conn, name)
    team = conn.execute(
        select(teams.c.name).join(advisers, advisers.c.team_id == teams.c.id)
        .where(advisers.c.id == adviser_id)
    ).scalar_one()
    conn.execute(
        advisers.update()
        .where(advisers.c.id == adviser_id)
        .values(password_hash=hash_password(password, (name, str(team))))
    )
    return end_tokens(conn, adviser_id, wall_now() if now is None else now)


def set_adviser_active(conn: Connection, name: str, active: bool) -> int:
    """Disables (a leaver: every device refused at once, registration refused) or enables an
    adviser; returns how many of their devices are not revoked."""
    adviser_id = _adviser_id(conn, name)
    conn.execute(advisers.update().where(advisers.c.id == adviser_id).values(active=active))
    return len(conn.execute(
        select(devices.c.id).where(devices.c.adviser_id == adviser_id,
                                   devices.c.revoked_at.is_(None))
    ).all())


@dataclass(frozen=True, slots=True)
class DeviceListing:
    device_id: str
    adviser: str
    team: str
    label: str
    created_at: str
    last_seen_at: str | None
    revoked_at: str | None
    revoke_kind: str | None = None
    adviser_active: bool = True


def list_devices(conn: Connection) -> list[DeviceListing]:
    query = (
        select(
            devices.c.id,
            advisers.c.name.label("adviser"),
            teams.c.name.label("team"),
            devices.c.label,
            devices.c.created_at,
            devices.c.last_seen_at,
            devices.c.revoked_at,
            devices.c.revoke_kind,
            advisers.c.active,
        )
        .join(advisers, advisers.c.id == devices.c.adviser_id)
        .join(teams, teams.c.id == advisers.c.team_id)
        .order_by(teams.c.name, advisers.c.name, devices.c.created_at)
    )
    return [DeviceListing(*row[:8], adviser_active=bool(row[8])) for row in conn.execute(query)]


def revoke_device(conn: Connection, device_id: str, kind: RevokeKind = RevokeKind.LOST) -> bool:
    """Marks the device revoked; False when it was unknown or already revoked that way.

    A retired device may later be reported lost (it then wipes without uploading); a lost one
    is never turned back into a retired one.
    """
    found = conn.execute(
        select(devices.c.revoked_at, devices.c.revoke_kind).where(devices.c.id == device_id)
    ).first()
    if found is None:
        return False
    if found.revoked_at is not None and (found.revoke_kind or RevokeKind.LOST) == RevokeKind.LOST:
        return False
    if found.revoked_at is not None and kind is RevokeKind.RETIRED:
        return False
    conn.execute(
        devices.update()
        .where(devices.c.id == device_id)
        .values(revoked_at=found.revoked_at or now_text(), revoke_kind=kind.value,
                pending_token_hash=None)
    )
    return True


# --- authentication (HTTP) ----------------------------------------------------------------


def device_for_token(
    conn: Connection, token: str, *, now: float | None = None,
    lifetime: float = DEFAULT_TOKEN_DAYS * 86_400,
) -> DeviceContext | None:
    """The device holding this token, or None for a token the office never issued."""
    hashed = token_hash(token)
    row = conn.execute(
        select(
            devices.c.id,
            devices.c.token_hash,
            devices.c.token_expires_at,
            devices.c.revoked_at,
            devices.c.revoke_kind,
            devices.c.last_seen_at,
            advisers.c.id.label("adviser_id"),
            advisers.c.active,
            advisers.c.role,
            teams.c.id.label("team_id"),
            teams.c.name.label("team_name"),
        )
        .join(advisers, advisers.c.id == devices.c.adviser_id)
        .join(teams, teams.c.id == advisers.c.team_id)
        .where(or_(devices.c.token_hash == hashed, devices.c.pending_token_hash == hashed))
    ).first()
    if row is None:
        return None
    now = wall_now() if now is None else now
    promote = row.token_hash != hashed  # the fresh token handed out in an earlier answer
    expires = row.token_expires_at
    expired = not promote and expires is not None and now >= expires
    kind: RevokeKind | None = None
    if row.revoked_at is not None:
        kind = RevokeKind(row.revoke_kind or RevokeKind.LOST.value)
    elif not row.active:
        # A leaver's laptops hand in what they hold, then wipe, like a retired laptop.
        kind = RevokeKind.RETIRED
    return DeviceContext(
        device_id=row.id,
        adviser_id=row.adviser_id,
        team_id=row.team_id,
        team_name=row.team_name,
        role=Role(row.role),
        revoked=kind is not None,
        last_seen_at=row.last_seen_at,
        revoke_kind=kind,
        disabled=not row.active,
        expired=expired,
        renew=not promote and not expired and (expires is None or expires - now < lifetime / 2),
        promote=promote,
    )


def renew_token(conn: Connection, device_id: str) -> str:
    """A fresh token for the device, valid (alongside the current one) until it is first
    used; returned in clear this once."""
    token = secrets.token_urlsafe(32)
    conn.execute(devices.update().where(devices.c.id == device_id)
                 .values(pending_token_hash=token_hash(token)))
    return token


def promote_token(conn: Connection, device_id: str, lifetime: float, now: float) -> None:
    """The device used its fresh token: it replaces the old one, which stops working."""
    conn.execute(
        devices.update()
        .where(devices.c.id == device_id, devices.c.pending_token_hash.is_not(None))
        .values(token_hash=devices.c.pending_token_hash, pending_token_hash=None,
                token_expires_at=now + lifetime)
    )


def touch_device(conn: Connection, device_id: str) -> None:
    """Records when the device last synced (for `device list`), at most once a minute."""
    stamp = now_text()
    conn.execute(
        devices.update()
        .where(devices.c.id == device_id)
        .where((devices.c.last_seen_at.is_(None)) | (devices.c.last_seen_at < stamp[:16]))
        .values(last_seen_at=stamp)
    )


class LoginRefused(Exception):
    """Wrong name or password (the two are never told apart)."""


class AdviserDisabled(Exception):
    """The right password, but the office has switched the adviser off."""


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many login attempts; retry after {retry_after} s")
        self.retry_after = retry_after


class DeviceTaken(Exception):
    """The device id is registered to another adviser, or was revoked."""

    def __init__(self, revoked: bool) -> None:
        super().__init__("device revoked" if revoked else "device registered to someone else")
        self.revoked = revoked


@dataclass(frozen=True, slots=True)
class Registration:
    device_id: str
    token: str
    team: str
    role: Role


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def _name_key(adviser_name: str) -> str:
    return "name:" + _digest(adviser_name.strip().casefold())


def _address_key(address: str) -> str:
    return ("address:" + address)[:80]


def _pair_key(adviser_name: str, address: str) -> str:
    return "known:" + _digest(adviser_name.strip().casefold() + "\n" + address)


def _wait(attempts: int, free: int) -> float:
    if attempts < free:
        return 0.0
    return min(FIRST_WAIT_SECONDS * 2.0 ** (attempts - free), MAX_WAIT_SECONDS)


def begin_login(conn: Connection, adviser_name: str, address: str, now: float) -> None:
    """Counts a login attempt before its password is checked (call in a write transaction).

    Raises LoginThrottled, without counting, while the name or the address must wait. The
    address's wait is skipped for a name that has logged in from that address before.
    """
    name_key, address_key = _name_key(adviser_name), _address_key(address)
    pair_key = _pair_key(adviser_name, address)
    held = {
        r.key: r for r in conn.execute(
            select(login_throttle)
            .where(login_throttle.c.key.in_([name_key, address_key, pair_key]))
            .order_by(login_throttle.c.key)
            .with_for_update()
        )
    }
    known = pair_key in held and now - held[pair_key].last_failure_at < KNOWN_PAIR_DAYS * 86_400
    waits = [key for key in (name_key, address_key) if key in held
             and held[key].blocked_until > now and not (key == address_key and known)]
    if waits:
        blocked = max(held[key].blocked_until for key in waits)
        raise LoginThrottled(max(1, math.ceil(blocked - now)))
    for key, free in ((name_key, NAME_FREE_ATTEMPTS), (address_key, ADDRESS_FREE_ATTEMPTS)):
        found = held.get(key)
        attempts = 1
        if found is not None and now - found.last_failure_at < FORGET_ATTEMPTS_AFTER:
            attempts = found.failures + 1
        values: dict[str, Any] = {"failures": attempts, "last_failure_at": now,
                                  "blocked_until": now + _wait(attempts, free)}
        if found is None:
            conn.execute(login_throttle.insert().values(key=key, **values))
        else:
            conn.execute(login_throttle.update().where(login_throttle.c.key == key)
                         .values(**values))


def login_succeeded(conn: Connection, adviser_name: str, address: str, now: float) -> None:
    """The right password: the name's count starts again, the attempt no longer counts
    against the address, and the name skips this address's wait from now on."""
    conn.execute(login_throttle.delete().where(login_throttle.c.key == _name_key(adviser_name)))
    address_key = _address_key(address)
    found = conn.execute(
        select(login_throttle).where(login_throttle.c.key == address_key).with_for_update()
    ).first()
    if found is not None:
        attempts = max(0, found.failures - 1)
        conn.execute(
            login_throttle.update().where(login_throttle.c.key == address_key).values(
                failures=attempts,
                blocked_until=min(found.blocked_until,
                                  found.last_failure_at + _wait(attempts, ADDRESS_FREE_ATTEMPTS)),
            )
        )
    pair_key = _pair_key(adviser_name, address)
    values = {"failures": 0, "last_failure_at": now, "blocked_until": 0.0}
    if conn.execute(login_throttle.update().where(login_throttle.c.key == pair_key)
                    .values(**values)).rowcount == 0:
        conn.execute(login_throttle.insert().values(key=pair_key, **values))


@dataclass(frozen=True, slots=True)
class StoredLogin:
    """What the password is checked against: read in a short transaction, checked outside it
    (a hash waits for its turn without holding a database connection)."""

    adviser_id: int | None
    password_hash: str | None
    active: bool
    team: str
    role: Role


def stored_login(conn: Connection, adviser_name: str) -> StoredLogin:
    if "\x00" in adviser_name:  # no adviser can have it, and PostgreSQL text cannot hold it
        return StoredLogin(None, None, False, "", Role.ADVISER)
    row = conn.execute(
        select(advisers.c.id, advisers.c.password_hash, advisers.c.active, advisers.c.role,
               teams.c.name.label("team"))
        .join(teams, teams.c.id == advisers.c.team_id)
        .where(advisers.c.name == adviser_name.strip())
    ).first()
    if row is None:
        return StoredLogin(None, None, False, "", Role.ADVISER)
    return StoredLogin(int(row.id), str(row.password_hash), bool(row.active), str(row.team),
                       Role(row.role))


def verify_login(stored: StoredLogin, password: str) -> tuple[int, str, Role]:
    """Returns (adviser id, team name, role); raises LoginRefused on any mismatch and
    AdviserDisabled when the password is right but the adviser is switched off."""
    if not password_matches(stored.password_hash, password) or stored.adviser_id is None:
        raise LoginRefused()
    if not stored.active:
        raise AdviserDisabled()
    return stored.adviser_id, stored.team, stored.role


def register_device(
    conn: Connection, adviser_id: int, device_id: str, label: str, *,
    lifetime: float = DEFAULT_TOKEN_DAYS * 86_400, now: float | None = None,
) -> str:
    """Issues a fresh token for the device; returns it (the only time it exists in clear)."""
    token = secrets.token_urlsafe(32)
    expires = (wall_now() if now is None else now) + lifetime
    found = conn.execute(
        select(devices.c.adviser_id, devices.c.revoked_at).where(devices.c.id == device_id)
    ).first()
    if found is not None:
        if found.revoked_at is not None:
            raise DeviceTaken(revoked=True)
        if found.adviser_id != adviser_id:
            raise DeviceTaken(revoked=False)
        conn.execute(
            devices.update()
            .where(devices.c.id == device_id)
            .values(token_hash=token_hash(token), label=label[:200], token_expires_at=expires,
                    pending_token_hash=None)
        )
    else:
        conn.execute(
            devices.insert().values(
                id=device_id,
                adviser_id=adviser_id,
                token_hash=token_hash(token),
                label=label[:200],
                created_at=now_text(),
                token_expires_at=expires,
            )
        )
    return token


def wall_now() -> float:
    return time.time()
