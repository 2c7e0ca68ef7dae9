"""The console's information governance pages (issue 14): for a person, who viewed or changed
what, when, from which laptop, with subject access (JSON and PDF) and erasure (a manager, with
a reason); for an adviser, whom they looked at; every erasure and which laptops confirmed it;
breaks found in the laptops' audit trails.

Pages follow the console's habits (`routes.py`): guarded by role, CSRF on every form, each
action written to the office audit log in the same transaction, POST then redirect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection, select

from sp_desktop.domain.errors import ValidationError
from sp_desktop.server import audit as office_audit
from sp_desktop.server import erasure as office_erasure
from sp_desktop.server.console import queries
from sp_desktop.server.console.auth import Viewer
from sp_desktop.server.console.web import (
    NOT_FOUND,
    PREFIX,
    Console,
    audit_viewer,
    field_text,
    form_of,
)
from sp_desktop.server.db import (
    advisers,
    devices,
    erasures,
    metadata,
    read_transaction,
    write_transaction,
)

ERASED = ("The person's records were erased at the office. Each laptop of their team removes its "
          "copy at its next sync; this page shows which have confirmed.")


def _redirect(path: str, **query: str) -> Response:
    target = f"{PREFIX}{path}" + (f"?{urlencode(query)}" if query else "")
    return RedirectResponse(target, status_code=303)


def office_rows_about(conn: Connection, person_id: str) -> dict[str, list[dict[str, Any]]]:
    """Everything the office holds naming one person, found by walking the office schema:
    every table with a `person_id` column (records, conflict copies, the laptops' audit events,
    report lines, the erasure record)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in metadata.sorted_tables:
        if "person_id" not in table.c:
            continue
        rows = [
            {str(k): v for k, v in r.items()}
            for r in conn.execute(select(table).where(table.c.person_id == person_id)).mappings()
        ]
        if rows:
            found[str(table.name)] = rows
    return found


def _subject_access_json(tables: dict[str, list[dict[str, Any]]], person_id: str) -> bytes:
    decoded: dict[str, list[dict[str, Any]]] = {}
    for name, rows in tables.items():
        decoded[name] = [
            {k: (orjson.loads(v) if k in ("fields", "versions") and isinstance(v, str) else v)
             for k, v in row.items()}
            for row in rows
        ]
    document = {"kind": "subject_access", "person_id": person_id, "source": "the office",
                "made_at": datetime.now(UTC).isoformat(timespec="seconds"), "tables": decoded}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
                        default=str)


def _subject_access_pdf(tables: dict[str, list[dict[str, Any]]], made_by: str) -> bytes:
    from sp_desktop.pdf.subject_access import SubjectAccessCopy, build_subject_access

    sections: dict[str, list[list[tuple[str, str]]]] = {}
    name = "this person"
    for table_name, rows in tables.items():
        lines = []
        for row in rows:
            values = dict(row)
            if isinstance(values.get("fields"), str):
                values.update(orjson.loads(values.pop("fields")))
                values.pop("versions", None)
            if values.get("table_name") == "people":
                name = f"{values.get('given_name', '')} {values.get('family_name', '')}".strip()
            lines.append([(k.replace("_", " ").capitalize(), "" if v is None else str(v))
                          for k, v in values.items()])
        sections[table_name.replace("_", " ").capitalize()] = lines
    return build_subject_access(SubjectAccessCopy(
        name=name, made_on=datetime.now(UTC).date(), made_by=made_by, source="the office",
        sections=sections))


def add_governance_pages(router: APIRouter, console: Console, people_pages: Any) -> None:
    """Adds the pages to the console's router (before its catch-all "not found")."""
    engine = console.engine

    def person_in_view(conn: Connection, viewer: Viewer, person_id: str) -> int | None:
        team_id = queries.person_team(conn, person_id[:64])
        if team_id is None or not viewer.sees_team(team_id):
            raise NOT_FOUND
        return team_id

    @router.get("/people/{person_id}/audit")
    async def person_audit(
        request: Request, person_id: str, viewer: Viewer = people_pages
    ) -> Response:
        def read() -> dict[str, Any]:
            with read_transaction(engine) as conn:
                person_in_view(conn, viewer, person_id)
                events = office_audit.events_about(conn, person_id[:64])
                erased = conn.execute(select(erasures).where(
                    erasures.c.person_id == person_id[:64])).mappings().first()
            with write_transaction(engine) as conn:
                audit_viewer(conn, console, request, viewer, "read a person's audit trail",
                             person_id[:64])
            return {"events": events, "erased": erased}

        found = await console.run(read)
        return console.render(request, "person_audit.html", viewer, person_id=person_id[:64],
                              **found)

    @router.get("/people/{person_id}/subject-access.{kind}")
    async def subject_access(
        request: Request, person_id: str, kind: str, viewer: Viewer = people_pages
    ) -> Response:
        if kind not in ("json", "pdf"):
            raise NOT_FOUND

        def build() -> bytes:
            with read_transaction(engine) as conn:
                person_in_view(conn, viewer, person_id)
                tables = office_rows_about(conn, person_id[:64])
            made = (_subject_access_json(tables, person_id[:64]) if kind == "json"
                    else _subject_access_pdf(tables, viewer.name))
            with write_transaction(engine) as conn:
                audit_viewer(conn, console, request, viewer, "made a subject access copy",
                             person_id[:64], kind)
            return made

        data = await console.run(build)
        media = "application/json" if kind == "json" else "application/pdf"
        return Response(data, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="subject-access.{kind}"',
            "Cache-Control": "no-store"})

    @router.post("/people/{person_id}/erase")
    async def erase(request: Request, person_id: str, viewer: Viewer = people_pages
                    ) -> Response:
        form = await form_of(request, viewer)
        reason = field_text(form, "reason", 2000)
        sure = field_text(form, "confirm", 10) == "yes"

        def change() -> tuple[str | None, str | None]:
            with write_transaction(engine) as conn:
                person_in_view(conn, viewer, person_id)
                if not sure:
                    return None, "Tick the box to confirm: erasure cannot be undone."
                try:
                    done = office_erasure.erase_in(conn, person_id[:64], reason=reason,
                                                   by=viewer.name)
                except ValidationError as exc:
                    return None, exc.message
                audit_viewer(conn, console, request, viewer, "erased a person",
                             person_id[:64], f"erasure {done.id}")
                return done.id, None

        if not reason:
            erasure_id, error = None, "Please say why this person's records are erased."
        else:
            erasure_id, error = await console.run(change)
        if error is not None or erasure_id is None:
            def read() -> list[dict[str, Any]]:
                with read_transaction(engine) as conn:
                    return office_audit.events_about(conn, person_id[:64])

            events = await console.run(read)
            return console.render(request, "person_audit.html", viewer, status=400,
                                  person_id=person_id[:64], events=events, erased=None,
                                  error=error, reason=reason)
        return _redirect(f"/erasures/{erasure_id}", done="erased")

    @router.get("/erasures")
    async def erasures_page(request: Request, viewer: Viewer = people_pages) -> Response:
        def read() -> dict[str, Any]:
            with read_transaction(engine) as conn:
                done = [e for e in office_erasure.erasure_list(conn)
                        if e["team_id"] is None or viewer.sees_team(e["team_id"])]
                asked = [r for r in office_erasure.pending_requests(conn)
                         if viewer.sees_team(r["team_id"])]
            return {"erasures": done, "requests": asked}

        return console.render(request, "erasures.html", viewer, **await console.run(read))

    @router.get("/erasures/{erasure_id}")
    async def erasure_page(request: Request, erasure_id: str, viewer: Viewer = people_pages
                           ) -> Response:
        def read() -> dict[str, Any]:
            with read_transaction(engine) as conn:
                record = conn.execute(select(erasures).where(
                    erasures.c.id == erasure_id[:36])).mappings().first()
                if record is None or not (record["team_id"] is None
                                          or viewer.sees_team(record["team_id"])):
                    raise NOT_FOUND
                return {"erasure": record,
                        "laptops": office_erasure.confirmations(conn, erasure_id[:36])}

        found = await console.run(read)
        done = ERASED if request.query_params.get("done") == "erased" else None
        return console.render(request, "erasure.html", viewer, done=done, **found)

    @router.get("/advisers/{adviser_id}/audit")
    async def adviser_audit(request: Request, adviser_id: int, viewer: Viewer = people_pages
                            ) -> Response:
        def read() -> dict[str, Any]:
            with read_transaction(engine) as conn:
                found = conn.execute(select(advisers.c.name, advisers.c.team_id).where(
                    advisers.c.id == adviser_id)).first()
                if found is None or not viewer.sees_team(found.team_id):
                    raise NOT_FOUND
                events = office_audit.events_by(conn, found.name)
            with write_transaction(engine) as conn:
                audit_viewer(conn, console, request, viewer, "read an adviser's audit trail",
                             f"adviser {adviser_id}")
            return {"adviser": found.name, "events": events}

        found = await console.run(read)
        return console.render(request, "adviser_audit.html", viewer, **found)

    @router.get("/audit-breaks")
    async def audit_breaks(request: Request, viewer: Viewer = people_pages) -> Response:
        def read() -> list[dict[str, Any]]:
            with read_transaction(engine) as conn:
                teams_of = {d.id: d.team_id for d in conn.execute(
                    select(devices.c.id, advisers.c.team_id)
                    .join(advisers, advisers.c.id == devices.c.adviser_id))}
                return [f for f in office_audit.flags_of(conn)
                        if viewer.sees_team(teams_of.get(str(f["device_id"])))]

        return console.render(request, "audit_breaks.html", viewer,
                              flags=await console.run(read))
