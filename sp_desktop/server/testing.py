"""Running a real server in a subprocess on a free loopback port, for tests and benchmarks.

Also a throw-away PostgreSQL schema (dropped afterwards) when a local server is reachable, and
a cutting TCP proxy that breaks connections at chosen byte offsets of requests and responses.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from sp_desktop.server import accounts
from sp_desktop.server.db import make_engine, write_transaction
from sp_desktop.sync.protocol import HEALTH_PATH

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_ENV = "SP_TEST_POSTGRES_URL"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sp_desktop.server.cli", *args]


@dataclass
class RunningServer:
    """A `sp-server serve` subprocess and the CLI bound to the same database."""

    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    work_dir: Path
    _engine: Engine | None = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            _cli_command(*args, "--database-url", self.database_url),
            capture_output=True, text=True, timeout=60, check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"sp-server {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def _admin(self) -> Engine:
        # In-process administration: the same functions the CLI calls, without its start-up.
        if self._engine is None:
            self._engine = make_engine(self.database_url, pool_size=1)
        return self._engine

    def add_team(self, name: str) -> None:
        with write_transaction(self._admin()) as conn:
            accounts.add_team(conn, name)

    def add_adviser(self, name: str, team: str, password: str, role: str = "adviser") -> None:
        with write_transaction(self._admin()) as conn:
            accounts.add_adviser(conn, name, team, password, accounts.Role(role))

    def add_adviser_via_cli(
        self, name: str, team: str, password: str, role: str = "adviser"
    ) -> None:
        secret = self.work_dir / f"pw-{secrets.token_hex(6)}"
        secret.write_text(password + "\n", encoding="utf-8")
        try:
            self.cli("adviser", "add", name, "--team", team, "--role", role,
                     "--password-file", str(secret))
        finally:
            secret.unlink()

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_server(
    database_url: str,
    work_dir: Path,
    *,
    workers: int = 1,
    log_level: str = "info",
    startup_timeout: float = 30.0,
    extra_args: Sequence[str] = (),
) -> RunningServer:
    """Initialises the database, starts `sp-server serve` and waits for its health check.

    `extra_args` go to `serve` as they are (`--behind-tls-proxy 127.0.0.1`, `--token-days`).
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(_cli_command("init", "--database-url", database_url), check=True,
                   capture_output=True, timeout=60)
    port = free_port()
    log_path = work_dir / f"server-{port}.log"
    log_file = open(log_path, "wb")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        _cli_command("serve", "--database-url", database_url, "--host", "127.0.0.1",
                     "--port", str(port), "--workers", str(workers), "--log-level", log_level,
                     *extra_args),
        stdout=log_file, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    log_file.close()
    server = RunningServer(f"http://127.0.0.1:{port}", database_url, process, log_path, work_dir)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited at start:\n{server.log_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.url + HEALTH_PATH, timeout=1).status_code == 200:
                return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"the server did not answer within {startup_timeout} s:\n"
                       f"{server.log_text()}")


def postgres_unavailable(base_url: str | None = None) -> str | None:
    """Why PostgreSQL cannot be used (None when it can)."""
    base_url = base_url or os.environ.get(POSTGRES_ENV, LOCAL_POSTGRES)
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(base_url)
        with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                             password=url.password, dbname=url.database, connect_timeout=2):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "skip with this reason"
        return f"PostgreSQL not reachable at {base_url}: {type(exc).__name__}"


@contextlib.contextmanager
def postgres_schema(base_url: str | None = None) -> Iterator[str]:
    """A fresh schema in the test database, as a URL whose search_path points at it; dropped
    afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    base_url = base_url or os.environ.get(POSTGRES_ENV, LOCAL_POSTGRES)
    url = make_url(base_url)
    schema = f"sp_test_{secrets.token_hex(6)}"
    conninfo = psycopg.conninfo.make_conninfo(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        dbname=url.database,
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"'.encode())
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


@dataclass
class CuttingProxy:
    """A loopback TCP proxy that cuts some connections part-way through.

    For each new connection it decides (with probability `cut_ratio`) to cut it once a random
    number of bytes (below `max_offset`) has passed in one direction, the request or the
    response; the cut closes both sides abruptly. `cuts` counts cuts that happened.
    """

    target_port: int
    cut_ratio: float = 0.5
    max_offset: int = 6000
    seed: int = 0
    port: int = 0
    cuts: int = 0
    request_cuts: int = 0
    response_cuts: int = 0
    connections: int = 0
    enabled: bool = True
    _server: socket.socket | None = None
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> CuttingProxy:
        self._rng.seed(self.seed)
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = int(self._server.getsockname()[1])
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.close()
            self._server = None

    def _accept(self) -> None:
        while self._server is not None:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                cut = self.enabled and self._rng.random() < self.cut_ratio
                direction = self._rng.choice(("request", "response"))
                offset = self._rng.randrange(0, self.max_offset)
            thread = threading.Thread(target=self._pipe_pair,
                                      args=(client, cut, direction, offset), daemon=True)
            thread.start()

    def _pipe_pair(self, client: socket.socket, cut: bool, direction: str, offset: int) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()
            return
        done = threading.Event()
        budget = {"request": offset if cut and direction == "request" else -1,
                  "response": offset if cut and direction == "response" else -1}

        def pump(source: socket.socket, sink: socket.socket, which: str) -> None:
            passed = 0
            try:
                while not done.is_set():
                    data = source.recv(4096)
                    if not data:
                        break
                    limit = budget[which]
                    if limit >= 0 and passed + len(data) > limit:
                        sink.sendall(data[: limit - passed])
                        with self._lock:
                            self.cuts += 1
                            if which == "request":
                                self.request_cuts += 1
                            else:
                                self.response_cuts += 1
                        break
                    sink.sendall(data)
                    passed += len(data)
            except OSError:
                pass
            finally:
                done.set()
                for sock in (client, upstream):
                    # shutdown wakes the other direction's blocked recv; close alone may not.
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    with contextlib.suppress(OSError):
                        sock.close()

        up = threading.Thread(target=pump, args=(client, upstream, "request"), daemon=True)
        up.start()
        pump(upstream, client, "response")
        up.join(5)


@dataclass(frozen=True)
class Enrolled:
    """An adviser set up on a running server, with one registered device."""

    name: str
    team: str
    password: str
    device_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def enrol(
    server: RunningServer, *, team: str | None = None, role: str = "adviser",
    device_id: str | None = None, new_team: bool = True,
) -> Enrolled:
    """A fresh team (unless given an existing one) and adviser, and a registered device."""
    from sp_desktop.sync.protocol import PROTOCOL_VERSION, REGISTER_PATH

    team = team or f"team_{secrets.token_hex(4)}"
    if new_team:
        server.add_team(team)
    name = f"adviser_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    server.add_adviser(name, team, password, role)
    device_id = device_id or secrets.token_hex(16)
    answer = httpx.post(server.url + REGISTER_PATH, json={
        "protocol": PROTOCOL_VERSION, "adviser": name, "password": password,
        "device_id": device_id}, timeout=30)
    answer.raise_for_status()
    return Enrolled(name, team, password, device_id, answer.json()["token"])


def stored_rows(database_url: str) -> dict[tuple[str, str], dict[str, object]]:
    """Every row the server holds, keyed by (table, row id), read straight from its database."""
    import orjson
    from sqlalchemy import select

    from sp_desktop.server.db import make_engine, rows

    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            found = conn.execute(select(rows)).all()
    finally:
        engine.dispose()
    return {
        (r.table_name, r.row_id): {
            "person": r.person_id, "team_id": r.team_id, "fields": orjson.loads(r.fields),
            "versions": orjson.loads(r.versions), "deleted": bool(r.deleted), "hlc": r.hlc,
            "seq": int(r.seq),
        }
        for r in found
    }


def stored_count(database_url: str, table_name: str) -> int:
    from sqlalchemy import func, select

    from sp_desktop.server import db

    engine = db.make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(
                db.metadata.tables[table_name])).scalar_one())
    finally:
        engine.dispose()


def team_rows(database_url: str, team: str) -> dict[tuple[str, str], dict[str, object]]:
    """The rows of one team's people as the server holds them."""
    from sqlalchemy import select

    from sp_desktop.server import db

    engine = db.make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            team_id = conn.execute(select(db.teams.c.id).where(db.teams.c.name == team)).scalar()
    finally:
        engine.dispose()
    return {key: row for key, row in stored_rows(database_url).items()
            if row["team_id"] == team_id}


def with_consent(who: Enrolled, ops: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A forged batch as a laptop would send it: after each new person (a people op carrying
    a name), the record that they agreed to notes being kept, or the office's consent gate
    refuses every note about them (tests of other office rules need consent held)."""
    from datetime import date

    from sp_desktop.domain.hlc import HlcStamp
    from sp_desktop.domain.ids import new_id

    sent: list[dict[str, Any]] = []
    for op in ops:
        sent.append(op)
        fields = op.get("fields") or {}
        if op.get("table") != "people" or "given_name" not in fields:
            continue
        try:
            made = HlcStamp.parse(str(op["hlc"]))
        except ValueError:
            continue  # an unreadable person is refused anyway
        stamp = HlcStamp(made.wall_ms, made.counter + 1, who.device_id)
        sent.append({
            "op": new_id(), "table": "consents", "row": new_id(), "person": op["row"],
            "kind": "append", "hlc": str(stamp), "base": {},
            "fields": {"person_id": op["row"], "decision": "given", "recording": True,
                       "share_gp": True, "share_services": True, "method": "in_person",
                       "given_on": date.today().isoformat(), "recorded_by": who.name},
        })
    return sent
