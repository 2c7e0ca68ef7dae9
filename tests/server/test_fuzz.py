"""The office API fuzzed from its own OpenAPI schema (schemathesis), on SQLite and PostgreSQL.

The app publishes its schema only when asked (`create_app(serve_schema=True)`); the schema
describes every request body table by table from `domain/rows.py`, so generated changes reach
the merge and the row checks. A share of generated changes is aimed at the office's real state
(this device's stamp, people and parent rows that exist, dates of today, required fields filled)
so many are stored, and the rest probe the refusals. Each case must be answered without a 5xx,
as the schema says, and a refused case (or a refused change in a batch) must leave the office
as it was. After each run every stored row passes the shared rules and belongs where it should.
"""

from __future__ import annotations

import gzip
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, func, select

from sp_desktop.domain import rows as row_rules
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.hlc import MAX_CLOCK_AHEAD_MS, HlcStamp, wall_now_ms
from sp_desktop.domain.ids import new_id
from sp_desktop.server import accounts, db, migrations
from sp_desktop.server.app import DIRECTORY_PATH, OPENAPI_PATH, Settings, create_app
from sp_desktop.server.testing import postgres_schema, postgres_unavailable
from sp_desktop.sync.protocol import (
    AUDIT_PATH,
    ERASURES_PATH,
    HEALTH_PATH,
    PROTOCOL_VERSION,
    REGISTER_PATH,
    SYNC_PATH,
    TABLES,
    TableKind,
)

# What a library says (pydantic, a traceback), never to reach an adviser's screen.
LIBRARY_TEXT = re.compile(r"Input should|validation error|Unable to parse|Field required|"
                          r"Traceback|pydantic|Error\(", re.IGNORECASE)
IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Where a registration says it came from (X-Forwarded-For, believed from the test client):
# loopback addresses, so no address of anyone else is ever named.
ADDRESSES = st.ip_addresses(network="127.0.0.0/8").map(str)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
ACCEPTED = {"applied", "merged", "conflict"}
TODAY = date.today().isoformat()
VALID_NHS = "9434765919"
TEST_CLIENT_ADDRESS = "testclient"  # the peer address of schemathesis' in-process client


def _fuzz_settings(examples: int) -> settings:
    # No shrinking (a failing case is reported as found, with its answer) and no example
    # database (each run is fresh); no deadline: the machine's speed is not under test.
    return settings(max_examples=examples, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))


@dataclass
class Device:
    device_id: str
    token: str
    wall: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stamp(self) -> str:
        """A fresh stamp of this device, strictly later than the last (a laptop's clock)."""
        self.wall = max(self.wall + 1, wall_now_ms() - 60_000)
        return str(HlcStamp(self.wall, 0, self.device_id))


@dataclass
class Office:
    """One office database behind the app in-process, with its schema and seeded caseload."""

    backend: str
    engine: Engine
    schema: Any
    adviser: Device
    manager: Device
    outsider: Device  # another team's adviser
    teams: set[str]
    # Row ids per table that the office holds, for aimed changes; another team's person too.
    held: dict[str, list[str]] = field(default_factory=dict)
    foreign_person: str = ""
    cases: Counter[str] = field(default_factory=Counter)

    def call(self, case: Any, headers: dict[str, str] | None, *, gzipped: bool = False) -> Any:
        if not gzipped:
            return case.call(headers=headers)
        sent = case.as_transport_kwargs(headers=headers)
        body = sent.pop("json", None)
        sent["data"] = gzip.compress(json.dumps(body).encode("utf-8"))
        sent["headers"]["Content-Encoding"] = "gzip"
        with asgi.get_client(self.schema.app) as client:
            return client.request(**sent)


def _register(app: Any, name: str, password: str) -> Device:
    device_id = secrets.token_hex(8)
    with asgi.get_client(app) as client:
        answer = client.post(f"http://{asgi.HOST}{REGISTER_PATH}", json={
            "protocol": PROTOCOL_VERSION, "adviser": name, "password": password,
            "device_id": device_id})
    assert answer.status_code == 200, answer.text
    return Device(device_id, answer.json()["token"])


def _sync(office: Office, who: Device, ops: list[dict[str, Any]]) -> None:
    with asgi.get_client(office.schema.app) as client:
        answer = client.post(f"http://{asgi.HOST}{SYNC_PATH}", headers=who.headers,
                             json={"protocol": PROTOCOL_VERSION, "cursor": 0, "ops": ops})
    assert answer.status_code == 200, answer.text
    refused = [a for a in answer.json()["acks"] if a["status"] not in ACCEPTED]
    assert not refused, refused


def _op(who: Device, table: str, row: str, person: str | None, fields: dict[str, Any],
        kind: str = "upsert") -> dict[str, Any]:
    return {"op": new_id(), "table": table, "row": row, "person": person, "kind": kind,
            "fields": fields, "base": {}, "hlc": who.stamp()}


def _seed(office: Office) -> None:
    """A published activity, and one person of each team with a visit, a concern, a step and
    a prescription: the parents aimed changes refer to."""
    service = new_id()
    with asgi.get_client(office.schema.app) as client:
        answer = client.post(f"http://{asgi.HOST}{DIRECTORY_PATH}", headers=office.manager.headers,
                             json={"protocol": PROTOCOL_VERSION,
                                   "entries": [{"id": service, "name": "Walking group",
                                                "category": ""}]})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    office.held = {name: [] for name in TABLES}
    office.held["services"].append(service)
    for who, name in ((office.adviser, "ann"), (office.outsider, "sid")):
        person, visit, concern, step, prescription = (new_id() for _ in range(5))
        _sync(office, who, [
            _op(who, "people", person, person, {"given_name": "Ada", "family_name": "Lovelace",
                                                "date_of_birth": "1941-02-03"}),
            _op(who, "consents", new_id(), person, {  # consent first, at the office too
                "person_id": person, "decision": "given", "recording": True, "share_gp": True,
                "share_services": True, "method": "in_person", "given_on": TODAY,
                "recorded_by": name}, kind="append"),
            _op(who, "visits", visit, person, {"person_id": person, "visit_date": TODAY,
                                               "place": "home"}),
            _op(who, "concerns", concern, person, {"person_id": person, "visit_id": visit,
                                                   "domain": "money", "words": "Bills",
                                                   "severity": 4}),
            _op(who, "steps", step, person, {"person_id": person, "visit_id": visit,
                                             "words": "Call the bank"}),
            _op(who, "prescriptions", prescription, person, {
                "person_id": person, "service_id": service, "start_date": TODAY}),
        ])
        if who is office.outsider:
            office.foreign_person = person
            continue
        for table, row in (("people", person), ("visits", visit), ("concerns", concern),
                           ("steps", step), ("prescriptions", prescription)):
            office.held[table].append(row)


def _open_office(backend: str, url: str) -> Office:
    engine = db.make_engine(url, pool_size=4)
    migrations.upgrade(engine)
    passwords = {name: secrets.token_urlsafe(18) for name in ("ann", "meg", "sid")}
    with db.write_transaction(engine) as conn:
        accounts.add_team(conn, "north")
        accounts.add_team(conn, "south")
        accounts.add_adviser(conn, "ann", "north", passwords["ann"])
        accounts.add_adviser(conn, "meg", "north", passwords["meg"], accounts.Role.MANAGER)
        accounts.add_adviser(conn, "sid", "south", passwords["sid"])
    # Behind a "proxy" (the test client's address), each case may come from its own address,
    # so registration cases keep reaching the password check instead of the address's wait.
    app = create_app(engine, settings=Settings(trusted_proxy=TEST_CLIENT_ADDRESS),
                     serve_schema=True)
    schema = schemathesis.openapi.from_asgi(OPENAPI_PATH, app)
    office = Office(backend, engine, schema, _register(app, "ann", passwords["ann"]),
                    _register(app, "meg", passwords["meg"]),
                    _register(app, "sid", passwords["sid"]), {"north", "south"})
    _seed(office)
    return office


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def office(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    if request.param == "sqlite":
        work: Path = tmp_path_factory.mktemp("fuzz-sqlite")
        opened = _open_office("sqlite", f"sqlite+pysqlite:///{work / 'office.db'}")
        yield opened
        opened.engine.dispose()
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        opened = _open_office("postgresql", url)
        yield opened
        opened.engine.dispose()


# --- aiming generated changes at the office's real state ------------------------------------


def _valid_value(rule: row_rules.Rule, office: Office) -> Any:
    """A value the rule accepts (for a required field the generated change left out)."""
    if isinstance(rule, row_rules.CategoryOrBlank):
        return ""
    if isinstance(rule, row_rules.OneOf):
        return sorted(rule.values)[0]
    if isinstance(rule, row_rules.Ref):
        return (office.held.get(rule.parent) or [new_id()])[0]
    if isinstance(rule, row_rules.Whole):
        return rule.low
    values: dict[type[row_rules.Rule], Any] = {
        row_rules.Hours: 1.5, row_rules.YesNo: True, row_rules.Day: TODAY,
        row_rules.Key: "money", row_rules.NhsDigits: VALID_NHS, row_rules.Notes: "{}",
        row_rules.Ways: "[]", row_rules.Listed: "[]", row_rules.Email: "",
        row_rules.Postcode: "", row_rules.Stamp: datetime.now(UTC).isoformat(),
    }
    return values.get(type(rule), "words")


def _aim_batch(body: dict[str, Any], draw: Callable[[Any], Any], strategy: Any,
               office: Office) -> None:
    """Most batches carry several changes (those of other generated batches added), most are
    not from a training store, and most changes are aimed."""
    ops = body.get("ops") if isinstance(body.get("ops"), list) else []
    for _ in range(draw(st.integers(0, 3))):
        other = draw(strategy).body
        ops = ops + (other["ops"] if isinstance(other, dict) and isinstance(
            other.get("ops"), list) else [])
    body["ops"] = ops
    if draw(st.integers(0, 9)):
        body["training"] = False
    for op in _ops_of(body):
        _aim(op, draw, office)


def _aim(op: Any, draw: Callable[[Any], Any], office: Office) -> None:
    """Points one generated change at the office: this device's stamp (or one far ahead),
    a person and parents it holds (or another team's), today's dates, required fields."""
    if not isinstance(op, dict) or op.get("table") not in row_rules.ROWS or not draw(
            st.integers(0, 3)):
        return
    table = op["table"]
    rules = row_rules.ROWS[table]
    fields = op.setdefault("fields", {})
    op["op"] = new_id()  # a short generated id was likely used before: its receipt answers
    wall = draw(st.sampled_from(["now"] * 6 + ["ahead", "far"]))
    op["hlc"] = office.adviser.stamp() if wall == "now" else str(HlcStamp(
        wall_now_ms() + 2 * MAX_CLOCK_AHEAD_MS if wall == "ahead" else 999_999_999_999_999,
        0, office.adviser.device_id))
    op["kind"] = draw(st.sampled_from(
        ["append", "upsert"] if TABLES[table].kind is TableKind.FACT else ["upsert"]
    ) if draw(st.integers(0, 9)) else st.just("delete"))
    if office.held[table] and draw(st.booleans()):
        op["row"] = draw(st.sampled_from(office.held[table]))
    if table == "people":
        op["person"] = draw(st.sampled_from([None, op["row"]]))
    elif TABLES[table].person_scoped:
        people = office.held["people"] * 6 + [office.foreign_person, new_id()]
        person = draw(st.sampled_from(people))
        op["person"] = person
        fields["person_id"] = person
    for name, rule in rules.fields.items():
        if name not in fields:
            if name in rules.required and draw(st.integers(0, 4)):
                fields[name] = _valid_value(rule, office)
            continue
        if fields[name] is None:
            continue
        if isinstance(rule, row_rules.Day) and draw(st.booleans()):
            fields[name] = TODAY
        elif isinstance(rule, row_rules.Ref) and name != "person_id" and office.held.get(
                rule.parent) and draw(st.booleans()):
            fields[name] = draw(st.sampled_from(office.held[rule.parent]))
    op["base"] = {}


# Strings and numbers a schema-valid body may still not survive: NUL (PostgreSQL text cannot
# hold it), lengths past the database's columns, numbers past 64 bits.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["\x00", "a\x00b", "x" * 65, "é" * 65, "x" * 201, " ", "", "\u202e",
                     "-", "1" * 30]),
    st.text(min_size=60, max_size=300),
)
HOSTILE_NUMBER = st.sampled_from([-1, 2**31, 2**63, 2**64 - 1, 10**30, 0.5, -0.0])


def _roughen(value: Any, draw: Callable[[Any], Any]) -> Any:
    """The body with some of its strings and numbers swapped for hostile ones."""
    if isinstance(value, dict):
        return {key: _roughen(item, draw) for key, item in value.items()}
    if isinstance(value, list):
        return [_roughen(item, draw) for item in value]
    if isinstance(value, str) and not draw(st.integers(0, 3)):
        return draw(HOSTILE_TEXT)
    if isinstance(value, int | float) and not isinstance(value, bool) and not draw(
            st.integers(0, 5)):
        return draw(HOSTILE_NUMBER)
    return value


# --- what a case may change at the office ---------------------------------------------------


def _totals(office: Office) -> dict[str, int]:
    """Counts of everything a request could create; a refused request changes none."""
    with office.engine.connect() as conn:
        totals = {table.name: int(conn.execute(
            select(func.count()).select_from(table)).scalar_one())
            for table in (db.rows, db.conflicts, db.receipts, db.person_scope, db.teams,
                          db.advisers, db.devices)}
        totals["seq"] = int(conn.execute(select(db.counters.c.value).where(
            db.counters.c.name == db.SEQ_COUNTER)).scalar_one())
    return totals


def _ops_of(body: Any) -> list[dict[str, Any]]:
    """The changes of a sync body that name a table and row the office could hold."""
    ops = body.get("ops") if isinstance(body, dict) else None
    return [op for op in ops if isinstance(op, dict) and _is_id(op.get("table"))
            and _is_id(op.get("row"))] if isinstance(ops, list) else []


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and IDENTIFIER.fullmatch(value) is not None


def _person_named(op: dict[str, Any]) -> str | None:
    person = op.get("person")
    if op["table"] == "people" and person is None:
        return str(op["row"])
    return person if _is_id(person) else None


def _held_state(office: Office, ops: list[dict[str, Any]]) -> dict[Any, Any]:
    """What the office holds for the rows and people these changes name."""
    keys = {(op["table"], op["row"]) for op in ops}
    people = {p for op in ops if (p := _person_named(op)) is not None}
    state: dict[Any, Any] = {}
    with office.engine.connect() as conn:
        for table, row in keys:
            found = conn.execute(select(db.rows.c.fields, db.rows.c.versions, db.rows.c.hlc,
                                        db.rows.c.deleted, db.rows.c.seq).where(
                db.rows.c.table_name == table, db.rows.c.row_id == row)).first()
            state[("row", table, row)] = None if found is None else tuple(found)
        for person in people:
            state[("person", person)] = conn.execute(select(db.person_scope.c.team_id).where(
                db.person_scope.c.person_id == person)).scalar_one_or_none()
    return state


def _judge(office: Office, case: Any, answer: Any, before: dict[str, int],
           held: dict[Any, Any]) -> None:
    """The answer is as the schema says and no 5xx, every refusal is in words; what was
    refused left no trace."""
    case.validate_response(answer, checks=CHECKS)
    status = answer.status_code
    office.cases[f"{case.operation.label} {status}"] += 1
    if status >= 400:
        assert not LIBRARY_TEXT.search(answer.json()["detail"]), answer.text
    if status == 200 and case.operation.path == SYNC_PATH:
        for ack in answer.json()["acks"]:
            office.cases[" ".join(("ack", ack["status"], ack.get("code", ""))).strip()] += 1
            assert not LIBRARY_TEXT.search(ack.get("reason", "")), ack
    ops = _ops_of(case.body)
    if case.operation.path != SYNC_PATH:
        if status >= 400:
            assert _totals(office) == before, f"a refused request changed the office: {status}"
        return
    if status >= 400:
        assert _totals(office) == before, f"a refused sync changed the office: {status}"
        assert _held_state(office, ops) == held
        return
    acks = {ack["op"]: ack["status"] for ack in answer.json()["acks"]}
    taken = [op for op in ops if acks.get(op.get("op")) in ACCEPTED]
    touched = {(op["table"], op["row"]) for op in taken}
    claimed = {_person_named(op) for op in taken}
    after = _held_state(office, ops)
    for key, value in held.items():
        if key[0] == "row" and (key[1], key[2]) not in touched:
            assert after[key] == value, f"a refused change altered {key[1]} row"
        if key[0] == "person" and key[1] not in claimed:
            assert after[key] == value, "a refused change claimed a person for a team"


def _fuzz(office: Office, path: str, method: str, mode: GenerationMode, examples: int,
          who: Callable[[Any], dict[str, str] | None], *, aim: bool = False,
          rough: bool = False, gzipped: bool = False) -> int:
    """Runs `examples` generated cases of one operation; returns how many were sent."""
    strategy = office.schema[path][method].as_strategy(generation_mode=mode)
    sent = [0]

    @_fuzz_settings(examples)
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        if aim and isinstance(case.body, dict):
            _aim_batch(case.body, data.draw, strategy, office)
        if rough and isinstance(case.body, dict):
            case.body = _roughen(case.body, data.draw)
        headers = who(data.draw)
        if path == REGISTER_PATH:  # each case from an address of its own (see `_open_office`)
            headers = {**(headers or {}), "X-Forwarded-For": data.draw(ADDRESSES)}
        before = _totals(office)
        held = _held_state(office, _ops_of(case.body)) if path == SYNC_PATH else {}
        answer = office.call(case, headers, gzipped=gzipped)
        sent[0] += 1
        _judge(office, case, answer, before, held)

    run()
    return sent[0]


def _token(who: Device) -> Callable[[Any], dict[str, str] | None]:
    return lambda draw: who.headers


def _no_or_wrong_token(office: Office) -> Callable[[Any], dict[str, str] | None]:
    """No Authorization, another scheme, a made-up token, or a real token cut short."""
    choices: list[dict[str, str] | None] = [
        None, {"Authorization": ""}, {"Authorization": f"Basic {office.adviser.token}"},
        {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"},
        {"Authorization": f"Bearer {office.adviser.token[:-1]}"},
        {"Authorization": "Bearer"},
    ]
    return lambda draw: draw(st.sampled_from(choices))


# --- the invariants over the whole office ---------------------------------------------------


def assert_office_valid(office: Office) -> None:
    """Every stored row passes the shared rules and sits in the right team, with its person
    and parents present; no team was created."""
    today = row_rules.office_today(datetime.now(UTC).date())
    latest = wall_now_ms() + MAX_CLOCK_AHEAD_MS
    with office.engine.connect() as conn:
        stored = conn.execute(select(db.rows)).all()
        scope = {r.person_id: r.team_id for r in conn.execute(
            select(db.person_scope.c.person_id, db.person_scope.c.team_id))}
        teams = set(conn.execute(select(db.teams.c.name)).scalars())
    assert teams == office.teams
    held = {(r.table_name, r.row_id): r for r in stored}
    problems: list[str] = []
    for r in stored:
        rules = row_rules.ROWS[r.table_name]
        values = json.loads(r.fields)
        where = f"{r.table_name} row {r.row_id}"
        if HlcStamp.parse(r.hlc).wall_ms > latest:
            problems.append(f"{where}: stamp ahead of the office's clock")
        row = dict(values)
        if "person_id" in rules.fields and r.person_id is not None:
            row["person_id"] = r.person_id
        try:
            rules.check_fields(values, today)
            if not r.deleted:
                rules.check_row(row)
        except ValidationError as exc:
            problems.append(f"{where}: {exc.message}")
        if TABLES[r.table_name].kind is TableKind.DIRECTORY:
            if r.team_id is not None:
                problems.append(f"{where}: a directory entry held by a team")
            continue
        if scope.get(r.person_id) != r.team_id:
            problems.append(f"{where}: its person is not in its team")
        if ("people", r.person_id) not in held:
            problems.append(f"{where}: its person is not at the office")
        for name, ref in rules.refs.items():
            parent = values.get(name)
            if name == "person_id" or parent is None:
                continue
            found = held.get((ref.parent, parent))
            if found is None:
                problems.append(f"{where}: {name} refers to a row not at the office")
            elif found.team_id is not None and found.team_id != r.team_id:
                problems.append(f"{where}: {name} refers to another team's row")
            elif ref.same_person and found.person_id != r.person_id:
                problems.append(f"{where}: {name} refers to someone else's row")
    for person in scope:
        if ("people", person) not in held:
            problems.append(f"person {person} claimed for a team without their record")
    assert not problems, "\n".join(problems[:20])


# --- the runs -------------------------------------------------------------------------------


def test_schema_is_served_only_when_asked(office: Office) -> None:
    """Production hides the schema; the one the tests fuzz documents every endpoint."""
    hidden = create_app(office.engine)
    with asgi.get_client(hidden) as client:
        assert client.get(f"http://{asgi.HOST}{OPENAPI_PATH}").status_code == 404
    paths = {op.ok().label for op in office.schema.get_all_operations()}
    assert paths == {f"GET {HEALTH_PATH}", f"POST {REGISTER_PATH}", f"POST {SYNC_PATH}",
                     f"POST {DIRECTORY_PATH}", f"POST {AUDIT_PATH}", f"POST {ERASURES_PATH}"}


def test_sync_fuzzed_with_a_device_token(office: Office) -> None:
    """Generated batches, about half of their changes aimed at the office's real rows, some
    roughened: no 5xx, refusals leave no trace, and what is stored passes the shared rules."""
    adviser = _token(office.adviser)
    sent = _fuzz(office, SYNC_PATH, "POST", GenerationMode.POSITIVE, 400, adviser, aim=True)
    sent += _fuzz(office, SYNC_PATH, "POST", GenerationMode.NEGATIVE, 150, adviser)
    sent += _fuzz(office, SYNC_PATH, "POST", GenerationMode.POSITIVE, 150, adviser, aim=True,
                  rough=True)
    assert sent >= 650
    # The fuzzer got past the checks: changes were stored, not only refused.
    assert office.cases["ack applied"] + office.cases["ack merged"] >= 50, office.cases
    assert_office_valid(office)


def test_sync_fuzzed_gzipped(office: Office) -> None:
    """The same, with bodies sent gzip'd as the app sends large batches."""
    sent = _fuzz(office, SYNC_PATH, "POST", GenerationMode.POSITIVE, 100,
                 _token(office.adviser), aim=True, gzipped=True)
    assert sent >= 100
    assert_office_valid(office)


def test_sync_fuzzed_without_a_valid_token(office: Office) -> None:
    """No token, a made-up one, a cut one, the wrong scheme: refused with a code, nothing
    stored."""
    before = _totals(office)
    sent = _fuzz(office, SYNC_PATH, "POST", GenerationMode.POSITIVE, 60,
                 _no_or_wrong_token(office), aim=True)
    sent += _fuzz(office, SYNC_PATH, "POST", GenerationMode.NEGATIVE, 40,
                  _no_or_wrong_token(office))
    assert sent >= 100
    assert _totals(office) == before


def test_directory_fuzzed(office: Office) -> None:
    """A manager's publishing fuzzed (some entries roughened), and an adviser's and a
    stranger's attempts refused."""
    manager = _token(office.manager)
    sent = _fuzz(office, DIRECTORY_PATH, "POST", GenerationMode.POSITIVE, 50, manager)
    sent += _fuzz(office, DIRECTORY_PATH, "POST", GenerationMode.NEGATIVE, 50, manager)
    sent += _fuzz(office, DIRECTORY_PATH, "POST", GenerationMode.POSITIVE, 60, manager,
                  rough=True)
    sent += _fuzz(office, DIRECTORY_PATH, "POST", GenerationMode.POSITIVE, 20,
                  lambda draw: draw(st.sampled_from([office.adviser.headers, None])))
    assert sent >= 150
    assert_office_valid(office)


def test_audit_trail_and_erasure_doors_fuzzed(office: Office) -> None:
    """The governance doors (audit hand-in, erasure exchange) with made-up and malformed bodies,
    with and without a device token: refused calmly or stored, never a server error."""
    who = lambda draw: draw(st.sampled_from([office.adviser.headers, None]))  # noqa: E731
    sent = 0
    for path in (AUDIT_PATH, ERASURES_PATH):
        sent += _fuzz(office, path, "POST", GenerationMode.POSITIVE, 30, who)
        sent += _fuzz(office, path, "POST", GenerationMode.NEGATIVE, 20, who)
        sent += _fuzz(office, path, "POST", GenerationMode.POSITIVE, 20, who, rough=True)
    assert sent >= 100
    assert_office_valid(office)


def test_registration_and_health_fuzzed(office: Office) -> None:
    """Made-up names and passwords, malformed or roughened bodies: refused calmly, no device
    or adviser created."""
    before = _totals(office)
    nobody = lambda draw: None  # noqa: E731
    sent = _fuzz(office, REGISTER_PATH, "POST", GenerationMode.POSITIVE, 40, nobody)
    sent += _fuzz(office, REGISTER_PATH, "POST", GenerationMode.NEGATIVE, 30, nobody)
    sent += _fuzz(office, REGISTER_PATH, "POST", GenerationMode.POSITIVE, 40, nobody, rough=True)
    sent += _fuzz(office, HEALTH_PATH, "GET", GenerationMode.POSITIVE, 5, nobody)
    assert sent >= 100
    assert _totals(office) == before


@pytest.mark.parametrize("entry", [
    {"id": "x" * 65, "name": "Walking group", "category": ""},
    {"id": "walk\x00", "name": "Walking group", "category": ""},
    {"id": "walk-1", "name": "Walking group", "category": "", "deleted": "yes"},
])
def test_directory_entry_the_database_cannot_key_is_refused_calmly(
        office: Office, entry: dict[str, Any]) -> None:
    """Found by the fuzzer on PostgreSQL: an entry id with NUL or past 64 characters failed
    in the database (500); a "deleted" that is not true or false deleted the entry."""
    before = _totals(office)
    with asgi.get_client(office.schema.app) as client:
        answer = client.post(f"http://{asgi.HOST}{DIRECTORY_PATH}",
                             headers=office.manager.headers,
                             json={"protocol": PROTOCOL_VERSION, "entries": [entry]})
    assert answer.status_code == 422
    assert answer.json()["code"] == "bad_request"
    assert "id" in answer.json()["detail"] or "deleted" in answer.json()["detail"]
    assert _totals(office) == before


@pytest.mark.parametrize("name, label", [("ann\x00", ""), ("a\x00nn", "laptop"),
                                         ("ann", "lap\x00top")])
def test_registration_with_nul_is_refused_calmly(office: Office, name: str, label: str) -> None:
    """Found by the fuzzer on PostgreSQL: a NUL in the adviser's name failed the lookup (500);
    one in the device label would have failed storing the device."""
    before = _totals(office)
    with asgi.get_client(office.schema.app) as client:
        answer = client.post(f"http://{asgi.HOST}{REGISTER_PATH}", headers={
            "X-Forwarded-For": f"127.0.9.{secrets.randbelow(250) + 1}"}, json={
            "protocol": PROTOCOL_VERSION, "adviser": name, "password": "not the password",
            "device_id": secrets.token_hex(8), "label": label})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("The office could not read this request (")
    assert not LIBRARY_TEXT.search(answer.json()["detail"])
    assert _totals(office) == before
