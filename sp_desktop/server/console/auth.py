"""Console accounts: password plus TOTP, sessions kept in the database, who sees which team.

Console users are not advisers: they never register a laptop, and an adviser's password
opens nothing here. Passwords use the server's Argon2 hasher and rule (`accounts`); the
second factor is a TOTP code (RFC 6238, pyotp), each accepted once. A session is a random
token in a cookie; the database keeps only its SHA-256, so any worker can check it and a copy
of the database opens no session. A session ends when idle too long, at its maximum age,
at log-out, and when its user is switched off.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from dataclasses import dataclass

import pyotp
from sqlalchemy import Connection, delete, select

from sp_desktop.server import accounts
from sp_desktop.server.accounts import AccountError
from sp_desktop.server.db import console_sessions, console_user_teams, console_users, teams

ISSUER = "SP Desktop office"
STAGE_PASSWORD = "password"  # the password was right; the TOTP code is still to come
STAGE_FULL = "full"
PASSWORD_STAGE_SECONDS = 5 * 60  # time allowed between the password and the code


class ConsoleRole(enum.StrEnum):
    MANAGER = "manager"  # their own teams
    LEAD = "lead"  # service lead: every team
    COMMISSIONER = "commissioner"  # aggregate reports only, never a person


ROLE_WORDS = {
    ConsoleRole.MANAGER: "Manager",
    ConsoleRole.LEAD: "Service lead",
    ConsoleRole.COMMISSIONER: "Commissioner",
}
# Roles that may see people (names, records) and run teams; commissioners never do.
PEOPLE_ROLES = frozenset({ConsoleRole.MANAGER, ConsoleRole.LEAD})


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in console user, as every route sees them."""

    user_id: int
    name: str
    role: ConsoleRole
    team_ids: frozenset[int] | None  # None: every team (a service lead)
    csrf: str
    session_hash: str

    def sees_team(self, team_id: int | None) -> bool:
        if team_id is None or self.role not in PEOPLE_ROLES:
            return False
        return self.team_ids is None or team_id in self.team_ids


@dataclass(frozen=True, slots=True)
class NewUser:
    """What `console-user add` prints once: the TOTP secret and its provisioning URI."""

    user_id: int
    secret: str
    uri: str


def add_user(
    conn: Connection, name: str, role: ConsoleRole, password: str, team_names: list[str]
) -> NewUser:
    """A console user with a fresh TOTP secret; a manager needs at least one team."""
    name = name.strip()
    if not name or "\x00" in name or len(name) > 200:
        raise AccountError("A console user needs a name (up to 200 characters).")
    if conn.execute(select(console_users.c.id).where(console_users.c.name == name)).first():
        raise AccountError(f"There is already a console user called {name!r}.")
    team_ids = []
    for team in team_names:
        found = conn.execute(select(teams.c.id).where(teams.c.name == team)).scalar_one_or_none()
        if found is None:
            raise AccountError(f"There is no team called {team!r}.")
        team_ids.append(int(found))
    if role is ConsoleRole.MANAGER and not team_ids:
        raise AccountError("A manager needs at least one team (--team).")
    secret = pyotp.random_base32()
    result = conn.execute(
        console_users.insert().values(
            name=name,
            role=role.value,
            password_hash=accounts.hash_password(password, (name,)),
            totp_secret=secret,
            totp_last_step=None,
            active=True,
            created_at=accounts.now_text(),
        )
    )
    user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    if role is ConsoleRole.MANAGER:
        conn.execute(
            console_user_teams.insert(),
            [{"user_id": user_id, "team_id": team_id} for team_id in team_ids],
        )
    uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)
    return NewUser(user_id, secret, uri)


def _user_id(conn: Connection, name: str) -> int:
    found = conn.execute(
        select(console_users.c.id).where(console_users.c.name == name.strip())
    ).scalar_one_or_none()
    if found is None:
        raise AccountError(f"There is no console user called {name.strip()!r}.")
    return int(found)


def _end_sessions(conn: Connection, user_id: int) -> None:
    conn.execute(delete(console_sessions).where(console_sessions.c.user_id == user_id))


def new_authenticator(conn: Connection, name: str) -> NewUser:
    """A fresh TOTP secret for a user who lost their authenticator (a new phone, a lost one):
    the old secret stops working at once and every session of theirs ends, so whoever holds
    the old phone cannot go on with a session it opened."""
    user_id = _user_id(conn, name)
    secret = pyotp.random_base32()
    conn.execute(
        console_users.update()
        .where(console_users.c.id == user_id)
        .values(totp_secret=secret, totp_last_step=None)
    )
    _end_sessions(conn, user_id)
    uri = pyotp.TOTP(secret).provisioning_uri(name=name.strip(), issuer_name=ISSUER)
    return NewUser(user_id, secret, uri)


def set_user_password(conn: Connection, name: str, password: str) -> None:
    """A new password (the server's rule); every session of theirs ends."""
    user_id = _user_id(conn, name)
    conn.execute(
        console_users.update()
        .where(console_users.c.id == user_id)
        .values(password_hash=accounts.hash_password(password, (name.strip(),)))
    )
    _end_sessions(conn, user_id)


def set_user_active(conn: Connection, name: str, active: bool) -> None:
    """Switches a console user off (a leaver: their sessions end, signing in is refused) or
    on again."""
    user_id = _user_id(conn, name)
    conn.execute(console_users.update().where(console_users.c.id == user_id).values(active=active))
    if not active:
        _end_sessions(conn, user_id)


@dataclass(frozen=True, slots=True)
class UserLine:
    name: str
    role: ConsoleRole
    active: bool
    teams: tuple[str, ...]


def list_users(conn: Connection) -> list[UserLine]:
    """Every console user by name, with role, teams (a manager's) and whether switched on."""
    their_teams: dict[int, list[str]] = {}
    for user_id, team in conn.execute(
        select(console_user_teams.c.user_id, teams.c.name)
        .join(teams, teams.c.id == console_user_teams.c.team_id)
        .order_by(teams.c.name)
    ):
        their_teams.setdefault(int(user_id), []).append(str(team))
    return [
        UserLine(str(row.name), ConsoleRole(row.role), bool(row.active),
                 tuple(their_teams.get(int(row.id), ())))
        for row in conn.execute(
            select(console_users.c.id, console_users.c.name, console_users.c.role,
                   console_users.c.active).order_by(console_users.c.name)
        )
    ]


@dataclass(frozen=True, slots=True)
class StoredUser:
    user_id: int | None
    password_hash: str | None
    active: bool


def stored_user(conn: Connection, name: str) -> StoredUser:
    if "\x00" in name or len(name) > 200:
        return StoredUser(None, None, False)
    row = conn.execute(
        select(console_users.c.id, console_users.c.password_hash, console_users.c.active).where(
            console_users.c.name == name.strip()
        )
    ).first()
    if row is None:
        return StoredUser(None, None, False)
    return StoredUser(int(row.id), str(row.password_hash), bool(row.active))


def password_ok(stored: StoredUser, password: str) -> bool:
    """The password matches an active user (checked against a dummy hash when there is no
    such user, so the time taken says nothing about which names exist)."""
    matches = accounts.password_matches(stored.password_hash, password[:1024])
    return matches and stored.user_id is not None and stored.active


def throttle_name(name: str) -> str:
    """The name the login throttle counts console attempts under (apart from advisers')."""
    return "console\n" + name


def code_throttle_name(user_id: int) -> str:
    """The name the login throttle counts a user's TOTP codes under."""
    return f"console-code\n{user_id}"


def check_code(conn: Connection, user_id: int, code: str, now: float) -> bool:
    """Whether `code` is the user's TOTP code now (a step either side allowed for clock
    drift), not used before; an accepted code's step is recorded so it works once only."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    row = conn.execute(
        select(console_users.c.totp_secret, console_users.c.totp_last_step)
        .where(console_users.c.id == user_id)
        .with_for_update()
    ).first()
    if row is None:
        return False
    totp = pyotp.TOTP(row.totp_secret)
    step = totp.timecode(now)
    for candidate in (step - 1, step, step + 1):
        if row.totp_last_step is not None and candidate <= row.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            conn.execute(
                console_users.update()
                .where(console_users.c.id == user_id)
                .values(totp_last_step=candidate)
            )
            return True
    return False


# --- sessions -------------------------------------------------------------------------------


def start_session(conn: Connection, user_id: int, now: float) -> str:
    """A session at the password stage; returns the token for the cookie (only copy)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        console_sessions.insert().values(
            token_hash=accounts.token_hash(token),
            user_id=user_id,
            stage=STAGE_PASSWORD,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


def promote_session(conn: Connection, token: str, now: float) -> str:
    """The code was right: the half session is ended and a full one begins under a new
    token (a token seen before the second factor never becomes a signed-in one)."""
    hashed = accounts.token_hash(token)
    row = conn.execute(
        select(console_sessions.c.user_id).where(console_sessions.c.token_hash == hashed)
    ).first()
    conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == hashed))
    if row is None:
        raise AccountError("The session ended before the code was given.")
    fresh = secrets.token_urlsafe(32)
    conn.execute(
        console_sessions.insert().values(
            token_hash=accounts.token_hash(fresh),
            user_id=int(row.user_id),
            stage=STAGE_FULL,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    return fresh


@dataclass(frozen=True, slots=True)
class SessionLimits:
    idle_seconds: float
    max_age_seconds: float


@dataclass(frozen=True, slots=True)
class FoundSession:
    token_hash: str
    user_id: int
    stage: str
    csrf: str
    last_seen_at: float
    live: bool = True


def find_session(
    conn: Connection,
    token: str | None,
    now: float,
    limits: SessionLimits,
    *,
    end_expired: bool = True,
) -> FoundSession | None:
    """The session holding this token, None for none. An idle, too old, or switched-off
    user's session is ended here (`end_expired`) and None returned; without `end_expired`
    (in a read) it comes back with `live` False for the caller to end."""
    if not token or len(token) > 200:
        return None
    hashed = accounts.token_hash(token)
    row = conn.execute(
        select(console_sessions, console_users.c.active)
        .join(console_users, console_users.c.id == console_sessions.c.user_id)
        .where(console_sessions.c.token_hash == hashed)
    ).first()
    if row is None:
        return None
    idle = PASSWORD_STAGE_SECONDS if row.stage == STAGE_PASSWORD else limits.idle_seconds
    live = (
        row.active
        and now - row.last_seen_at <= idle
        and now - row.created_at <= limits.max_age_seconds
    )
    if not live and end_expired:
        conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == hashed))
        return None
    return FoundSession(
        hashed,
        int(row.user_id),
        str(row.stage),
        str(row.csrf),
        float(row.last_seen_at),
        live=bool(live),
    )


def touch_session(conn: Connection, token_hash: str, now: float) -> None:
    conn.execute(
        console_sessions.update()
        .where(console_sessions.c.token_hash == token_hash)
        .values(last_seen_at=now)
    )


def end_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == token_hash))


def viewer_for(conn: Connection, found: FoundSession) -> Viewer:
    user = conn.execute(
        select(console_users.c.name, console_users.c.role).where(
            console_users.c.id == found.user_id
        )
    ).one()
    role = ConsoleRole(user.role)
    team_ids: frozenset[int] | None = None
    if role is ConsoleRole.MANAGER:
        team_ids = frozenset(
            int(t)
            for t in conn.execute(
                select(console_user_teams.c.team_id).where(
                    console_user_teams.c.user_id == found.user_id
                )
            ).scalars()
        )
    elif role is ConsoleRole.COMMISSIONER:
        team_ids = frozenset()
    return Viewer(found.user_id, str(user.name), role, team_ids, found.csrf, found.token_hash)


def csrf_matches(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())
