"""What every console page gets for free: settings, the signed-in viewer, the role guard,
CSRF checking of forms, the audit helper, security headers and page rendering.

A new page is a route that depends on `guard(...)` for the roles allowed, reads through
`queries` with `viewer.team_ids`, renders with `render`, and for a form reads the body with
`form_of` (CSRF checked) and records what it did with `audit`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sp_desktop.server.console import auth
from sp_desktop.server.console.auth import ROLE_WORDS, ConsoleRole, Viewer
from sp_desktop.server.db import office_audit, read_transaction, write_transaction
from sp_desktop.sync.protocol import is_loopback

PREFIX = "/console"
COOKIE = "sp_console"
LOGIN_COOKIE = "sp_console_login"  # the login form's own CSRF value (no session yet)
DEFAULT_IDLE_SECONDS = 15 * 60
DEFAULT_MAX_AGE_SECONDS = 10 * 60 * 60  # a working day: then sign in again
DEFAULT_STALE_DAYS = 365  # a service not checked for a year is flagged
MAX_FORM_BYTES = 5 * 1024 * 1024  # a directory file upload
TOUCH_SECONDS = 30  # how often a session's last activity is written (idle timeout precision)
_HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """What a deployment (or a test) decides; `clock` is injectable for idle-timeout tests."""

    idle_seconds: float = DEFAULT_IDLE_SECONDS
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS
    stale_days: int = DEFAULT_STALE_DAYS
    trusted_proxy: str | None = None
    clock: Callable[[], float] = field(default=time.time)

    @property
    def limits(self) -> auth.SessionLimits:
        return auth.SessionLimits(self.idle_seconds, self.max_age_seconds)

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock(), UTC).date()

    def stamp(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="milliseconds")


class NeedSignIn(Exception):
    """No live session: the browser is sent to the sign-in page."""


class Refused(Exception):
    """A page answered in words instead: not allowed, not found, or a stale form."""

    def __init__(self, status: int, title: str, words: str) -> None:
        super().__init__(title)
        self.status, self.title, self.words = status, title, words


NOT_FOUND = Refused(
    404, "Page not found", "There is nothing here, or it is not in the teams you can see."
)


def not_allowed() -> Refused:
    return Refused(
        403,
        "You cannot use this page",
        "Your console account does not include this page. Ask your service lead if you need it.",
    )


def stale_form() -> Refused:
    return Refused(
        403,
        "The form had expired",
        "Nothing was changed. The page was probably open from an earlier "
        "session; please go back, reload the page and try again.",
    )


@dataclass
class Console:
    """The console bound to one database: its engine, settings and templates."""

    engine: Engine
    settings: ConsoleSettings
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Jinja2Templates(directory=str(_HERE / "templates"))
        self.templates.env.globals.update(prefix=PREFIX, role_words=ROLE_WORDS)
        self.templates.env.filters["when"] = _when
        self.templates.env.filters["age"] = _age

    def secure_cookies(self, request: Request) -> bool:
        """Secure cookies except over plain http to a loopback address (tests, a laptop
        trying the console); behind a TLS proxy or over https always."""
        if self.settings.trusted_proxy is not None or request.url.scheme == "https":
            return True
        server = request.scope.get("server") or ("", 0)  # the socket, not the Host header
        return not is_loopback(str(server[0] or ""))

    def set_cookie(
        self, response: Response, request: Request, name: str, value: str, path: str = PREFIX
    ) -> None:
        response.set_cookie(
            name,
            value,
            path=path,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookies(request),
        )

    def address(self, request: Request) -> str:
        from sp_desktop.server.app import client_address

        return client_address(request, self.settings.trusted_proxy)

    async def run(self, work: Callable[..., Any], *args: Any) -> Any:
        return await run_in_threadpool(work, *args)

    def render(
        self,
        request: Request,
        template: str,
        viewer: Viewer | None,
        status: int = 200,
        **context: Any,
    ) -> Response:
        context.update(viewer=viewer, nav=_nav(viewer), path=request.url.path)
        response = self.templates.TemplateResponse(request, template, context, status_code=status)
        return response


def _when(value: str | None) -> str:
    """A stored ISO time as 'YYYY-MM-DD HH:MM' (UTC), or a dash."""
    if not value:
        return "never"
    return value[:16].replace("T", " ")


def _age(value: str | None, now: str) -> str:
    """How long ago a stored ISO time was, in words ('3 days'), or a dash."""
    if not value:
        return "-"
    try:
        seconds = (datetime.fromisoformat(now) - datetime.fromisoformat(value)).total_seconds()
    except ValueError:
        return "-"
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "under a minute"


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    words: str


def _nav(viewer: Viewer | None) -> list[NavItem]:
    if viewer is None:
        return []
    if viewer.role is ConsoleRole.COMMISSIONER:
        return [NavItem(f"{PREFIX}/reports", "Reports"), NavItem(f"{PREFIX}/outcomes", "Outcomes")]
    return [
        NavItem(f"{PREFIX}/teams", "Teams"),
        NavItem(f"{PREFIX}/outcomes", "Outcomes"),
        NavItem(f"{PREFIX}/advisers", "Advisers"),
        NavItem(f"{PREFIX}/devices", "Laptops"),
        NavItem(f"{PREFIX}/directory", "Directory"),
        NavItem(f"{PREFIX}/erasures", "Erasures"),
        NavItem(f"{PREFIX}/audit-breaks", "Audit trail breaks"),
    ]


def signed_in(console: Console) -> Callable[[Request], Awaitable[Viewer]]:
    """The dependency every page uses: the live, fully signed-in session's viewer."""

    def look_up(token: str | None) -> Viewer | None:
        # A read; a write only to end an expired session or to note activity (at most
        # every TOUCH_SECONDS), so page views do not queue behind syncs for the write lock.
        now = console.settings.clock()
        with read_transaction(console.engine) as conn:
            found = auth.find_session(conn, token, now, console.settings.limits, end_expired=False)
            viewer = None
            if found is not None and found.live and found.stage == auth.STAGE_FULL:
                viewer = auth.viewer_for(conn, found)
        if found is not None and (
            not found.live or (viewer is not None and now - found.last_seen_at >= TOUCH_SECONDS)
        ):
            with write_transaction(console.engine) as conn:
                if found.live:
                    auth.touch_session(conn, found.token_hash, now)
                else:
                    auth.end_session(conn, found.token_hash)
        return viewer

    async def dependency(request: Request) -> Viewer:
        viewer = await run_in_threadpool(look_up, request.cookies.get(COOKIE))
        if viewer is None:
            raise NeedSignIn()
        return viewer

    return dependency


def guard(console: Console, *roles: ConsoleRole) -> Any:
    """`Depends(...)` for a page open to these roles only."""
    allowed = frozenset(roles)
    who = signed_in(console)

    async def dependency(viewer: Viewer = Depends(who)) -> Viewer:  # noqa: B008
        if viewer.role not in allowed:
            raise not_allowed()
        return viewer

    return Depends(dependency)


async def form_of(request: Request, viewer: Viewer) -> FormData:
    """The posted form, refused unless it carries this session's CSRF token."""
    form = await request.form(max_part_size=MAX_FORM_BYTES)
    if not auth.csrf_matches(viewer.csrf, form.get("csrf")):
        raise stale_form()
    return form


def audit(
    conn: Connection,
    console: Console,
    request: Request,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    detail: str = "",
) -> None:
    """One line in the office audit log: who, what, to what (ids, never personal data)."""
    conn.execute(
        office_audit.insert().values(
            at=console.settings.stamp(),
            actor=actor[:200],
            role=role[:16],
            action=action[:64],
            target=target[:200],
            detail=detail[:2000],
            address=console.address(request)[:64],
        )
    )


def audit_viewer(
    conn: Connection,
    console: Console,
    request: Request,
    viewer: Viewer,
    action: str,
    target: str = "",
    detail: str = "",
) -> None:
    audit(conn, console, request, viewer.name, viewer.role.value, action, target, detail)


def field_text(form: FormData | Mapping[str, Any], name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""
