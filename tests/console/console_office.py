"""An office for the console tests: the real application bound to a real database (SQLite
file or PostgreSQL schema), console users with TOTP, laptops that sync with demo people.

The in-process tests drive the application through Starlette's test client (so the session
clock can be injected); the browser tests run the same application as a real server process.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from sp_desktop.server import accounts, migrations
from sp_desktop.server.app import create_app
from sp_desktop.server.console import ConsoleSettings
from sp_desktop.server.console.auth import ConsoleRole, add_user
from sp_desktop.server.db import office_audit, write_transaction
from sp_desktop.services.demo import populate
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params
from sp_desktop.sync.client import SyncClient, SyncResult, register_device

FAST_KEYS = Argon2Params(memory_kib=1024, iterations=1, lanes=1)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "a long console password for tests"


class Clock:
    """The console's clock: the wall clock moved forward by the test (idle timeouts without
    waiting). It follows the wall clock because the login throttle it shares with laptop
    registration reads the wall clock there, and must not see attempts from its future."""

    def __init__(self) -> None:
        self.ahead = 0.0

    @property
    def now(self) -> float:
        return time.time() + self.ahead

    @now.setter
    def now(self, value: float) -> None:
        self.ahead = value - time.time()

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class ConsoleUser:
    name: str
    password: str
    secret: str

    def code(self, at: float) -> str:
        return pyotp.TOTP(self.secret).at(at)


def make_user(
    engine: Engine, role: ConsoleRole, teams: list[str], name: str | None = None
) -> ConsoleUser:
    name = name or f"{role.value} {secrets.token_hex(3)}"
    with write_transaction(engine) as conn:
        made = add_user(conn, name, role, PASSWORD, teams)
    return ConsoleUser(name, PASSWORD, made.secret)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: httpx.Client, user: ConsoleUser, at: float, prefix: str = "") -> str:
    """Signs in with password and code; returns the session's CSRF token."""
    page = client.get(f"{prefix}/console/login")
    answer = client.post(
        f"{prefix}/console/login",
        data={"csrf": csrf_of(page.text), "name": user.name, "password": user.password},
    )
    assert answer.status_code == 200 and "authenticator" in answer.text, answer.text
    answer = client.post(
        f"{prefix}/console/login/code", data={"csrf": csrf_of(answer.text), "code": user.code(at)}
    )
    assert answer.status_code == 200 and "Sign out" in answer.text, answer.text
    return csrf_of(answer.text)


@dataclass
class Laptop:
    """An adviser's laptop (a real encrypted store) registered with the office."""

    adviser: str
    team: str
    password: str
    ws: Workspace
    transport: httpx.BaseTransport | None
    url: str

    def sync(self) -> SyncResult:
        with SyncClient(
            self.ws.store, clock=self.ws.changes.clock, transport=self.transport
        ) as client:
            return client.sync_once()


@dataclass
class Office:
    """The application on one database, with an injected clock, and what tests set up."""

    engine: Engine
    clock: Clock
    client: TestClient
    folder: Path
    laptops: list[Laptop] = field(default_factory=list)

    @classmethod
    def open(cls, database_url: str, folder: Path) -> Office:
        from sp_desktop.server.db import make_engine

        engine = make_engine(database_url, pool_size=4)
        migrations.upgrade(engine)
        clock = Clock()
        app = create_app(engine, console=ConsoleSettings(clock=clock))
        return cls(engine, clock, TestClient(app, base_url="https://testserver"), folder)

    def new_client(self) -> TestClient:
        return TestClient(self.client.app, base_url="https://testserver")

    def team(self, name: str | None = None) -> str:
        name = name or f"team {secrets.token_hex(3)}"
        with write_transaction(self.engine) as conn:
            accounts.add_team(conn, name)
        return name

    def user(self, role: ConsoleRole, *teams: str) -> ConsoleUser:
        return make_user(self.engine, role, list(teams))

    def laptop(self, team: str, people: int = 0, seed: int = 1) -> Laptop:
        adviser = f"adviser {secrets.token_hex(3)}"
        password = secrets.token_urlsafe(16)
        with write_transaction(self.engine) as conn:
            accounts.add_adviser(conn, adviser, team, password)
        folder = self.folder / adviser.replace(" ", "_")
        ws, _ = Workspace.create(
            folder, "a long passphrase here", adviser=adviser, team=team, params=FAST_KEYS
        )
        if people:
            populate(ws, people, seed=seed, service_count=5)
        transport = self.client._transport  # the application, in process
        register_device(
            ws.store,
            "https://testserver",
            adviser,
            password,
            label="test laptop",
            transport=transport,
        )
        laptop = Laptop(adviser, team, password, ws, transport, "https://testserver")
        self.laptops.append(laptop)
        return laptop

    def audit_count(self, action: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(office_audit)
                    .where(office_audit.c.action == action)
                ).scalar_one()
            )

    def close(self) -> None:
        for laptop in self.laptops:
            if laptop.ws.store.is_open:
                laptop.ws.close()
        self.client.close()
        self.engine.dispose()


def demo_names(ws: Workspace) -> list[str]:
    """The full names of the demo people on a laptop, as pages write them (to search for)."""
    from sp_desktop.store.schema import people

    with ws.store.read() as conn:
        return [
            f"{given} {family}"
            for given, family in conn.execute(select(people.c.given_name, people.c.family_name))
        ]
