"""Teams, advisers and their devices: passwords, device tokens, revocation, login throttling.

Passwords are stored as Argon2 hashes. A device token is a random secret shown once to the
device; the server keeps only its SHA-256 (a random 256-bit token needs no slow hash).
Failed logins are counted per adviser and per address in the database, so every worker
serving the same database slows the same attacker down.
"""

from __future__ import annotations

import enum
import hashlib
import math
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, select

from sp_desktop.server.db import advisers, devices, login_throttle, teams

DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_]{8,64}$")  # no '-': it separates clock stamp parts
ADVISER_FREE_FAILURES = 5  # then each further failure doubles the wait
ADDRESS_FREE_FAILURES = 30  # an office shares one address: allow more before slowing it
MAX_WAIT_SECONDS = 15 * 60
FORGET_FAILURES_AFTER = 60 * 60

_hasher = PasswordHasher()
# Verified against when the adviser name is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Role(enum.StrEnum):
    ADVISER = "adviser"
    MANAGER = "manager"  # may also publish the directory of services


class AccountError(Exception):
    """An administrative request that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """Who is calling: the device, its adviser (by id, never by name in logs), team and role."""

    device_id: str
    adviser_id: int
    team_id: int
    team_name: str
    role: Role
    revoked: bool
    last_seen_at: str | None = None

    def seen_long_ago(self, now: str) -> bool:
        """Whether `last_seen_at` is from an earlier minute (so it is worth recording again)."""
        return self.last_seen_at is None or self.last_seen_at[:16] < now[:16]


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise AccountError("A password needs at least 8 characters.")
    return _hasher.hash(password)


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
            password_hash=hash_password(password),
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


def set_password(conn: Connection, name: str, password: str) -> None:
    updated = conn.execute(
        advisers.update()
        .where(advisers.c.name == name)
        .values(password_hash=hash_password(password))
    )
    if updated.rowcount == 0:
        raise AccountError(f"There is no adviser called {name!r}.")


@dataclass(frozen=True, slots=True)
class DeviceListing:
    device_id: str
    adviser: str
    team: str
    label: str
    created_at: str
    last_seen_at: str | None
    revoked_at: str | None


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
        )
        .join(advisers, advisers.c.id == devices.c.adviser_id)
        .join(teams, teams.c.id == advisers.c.team_id)
        .order_by(teams.c.name, advisers.c.name, devices.c.created_at)
    )
    return [DeviceListing(*row) for row in conn.execute(query)]


def revoke_device(conn: Connection, device_id: str) -> bool:
    """Marks the device revoked; False when it was unknown or already revoked."""
    updated = conn.execute(
        devices.update()
        .where(devices.c.id == device_id, devices.c.revoked_at.is_(None))
        .values(revoked_at=now_text())
    )
    return updated.rowcount > 0


# --- authentication (HTTP) ----------------------------------------------------------------


def device_for_token(conn: Connection, token: str) -> DeviceContext | None:
    row = conn.execute(
        select(
            devices.c.id,
            devices.c.revoked_at,
            devices.c.last_seen_at,
            advisers.c.id.label("adviser_id"),
            advisers.c.active,
            advisers.c.role,
            teams.c.id.label("team_id"),
            teams.c.name.label("team_name"),
        )
        .join(advisers, advisers.c.id == devices.c.adviser_id)
        .join(teams, teams.c.id == advisers.c.team_id)
        .where(devices.c.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    return DeviceContext(
        device_id=row.id,
        adviser_id=row.adviser_id,
        team_id=row.team_id,
        team_name=row.team_name,
        role=Role(row.role),
        # An adviser who has left is treated like a revoked device: their laptops must wipe.
        revoked=row.revoked_at is not None or not row.active,
        last_seen_at=row.last_seen_at,
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


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after} s")
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


def _throttle_keys(adviser_name: str, address: str) -> list[tuple[str, int]]:
    name_key = hashlib.sha256(adviser_name.strip().casefold().encode()).hexdigest()[:40]
    return [(f"adviser:{name_key}", ADVISER_FREE_FAILURES), (f"address:{address}"[:80],
                                                            ADDRESS_FREE_FAILURES)]


def check_throttle(conn: Connection, adviser_name: str, address: str, now: float) -> None:
    """Raises LoginThrottled while either the adviser or the address must wait."""
    keys = [key for key, _free in _throttle_keys(adviser_name, address)]
    blocked = conn.execute(
        select(func.max(login_throttle.c.blocked_until)).where(login_throttle.c.key.in_(keys))
    ).scalar_one_or_none()
    if blocked is not None and blocked > now:
        raise LoginThrottled(max(1, math.ceil(blocked - now)))


def record_failure(conn: Connection, adviser_name: str, address: str, now: float) -> None:
    for key, free in _throttle_keys(adviser_name, address):
        found = conn.execute(select(login_throttle).where(login_throttle.c.key == key)).first()
        failures = 1
        if found is not None and now - found.last_failure_at < FORGET_FAILURES_AFTER:
            failures = found.failures + 1
        wait = 0.0 if failures < free else min(2.0 ** (failures - free), MAX_WAIT_SECONDS)
        values = {"failures": failures, "last_failure_at": now, "blocked_until": now + wait}
        if found is None:
            conn.execute(login_throttle.insert().values(key=key, **values))
        else:
            conn.execute(
                login_throttle.update().where(login_throttle.c.key == key).values(**values)
            )


def clear_failures(conn: Connection, adviser_name: str) -> None:
    key = _throttle_keys(adviser_name, "")[0][0]
    conn.execute(login_throttle.delete().where(login_throttle.c.key == key))


def verify_login(conn: Connection, adviser_name: str, password: str) -> tuple[int, str, Role]:
    """Returns (adviser id, team name, role); raises LoginRefused on any mismatch."""
    row = conn.execute(
        select(advisers.c.id, advisers.c.password_hash, advisers.c.active, advisers.c.role,
               teams.c.name.label("team"))
        .join(teams, teams.c.id == advisers.c.team_id)
        .where(advisers.c.name == adviser_name.strip())
    ).first()
    try:
        _hasher.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError) as exc:
        raise LoginRefused() from exc
    if row is None or not row.active:
        raise LoginRefused()
    return int(row.id), str(row.team), Role(row.role)


def register_device(
    conn: Connection, adviser_id: int, device_id: str, label: str
) -> str:
    """Issues a fresh token for the device; returns it (the only time it exists in clear)."""
    token = secrets.token_urlsafe(32)
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
            .values(token_hash=token_hash(token), label=label[:200])
        )
    else:
        conn.execute(
            devices.insert().values(
                id=device_id,
                adviser_id=adviser_id,
                token_hash=token_hash(token),
                label=label[:200],
                created_at=now_text(),
            )
        )
    return token


def wall_now() -> float:
    return time.time()
