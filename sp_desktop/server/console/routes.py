"""The console's pages: sign-in, teams and caseloads, a person's record, advisers, laptops,
the directory, and the commissioners' reports page.

Every page is a route guarded by role (`web.guard`); every form checks its CSRF token
(`web.form_of`), changes through the server's own account and directory functions, writes a
line to the office audit log in the same transaction, and answers with a redirect to a page
that says what happened (POST, redirect, GET). Bad input re-shows the form with the reason in
words and changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile

from sp_desktop.domain import rows as row_rules
from sp_desktop.domain.directory import Category
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.server import accounts
from sp_desktop.server.accounts import AccountError, RevokeKind, Role
from sp_desktop.server.console import auth, queries, reports
from sp_desktop.server.console.auth import ConsoleRole, Viewer
from sp_desktop.server.console.governance import add_governance_pages
from sp_desktop.server.console.outcome_pages import add_outcome_pages
from sp_desktop.server.console.web import (
    _HERE,
    COOKIE,
    LOGIN_COOKIE,
    NOT_FOUND,
    PREFIX,
    SECURITY_HEADERS,
    Console,
    ConsoleSettings,
    NeedSignIn,
    Refused,
    audit,
    audit_viewer,
    field_text,
    form_of,
    guard,
    stale_form,
)
from sp_desktop.server.db import console_users, read_transaction, write_transaction

# Words for a finished action, shown once after the redirect (never the user's own text).
DONE = {
    "added": "The adviser was added. They can now register a laptop with their name and password.",
    "password": "The password was changed. Each of their laptops must register again with "
    "the new password; nothing on them is lost.",
    "moved": "The adviser was moved. Their laptops download the new team's caseload at their "
    "next sync.",
    "disabled": "The adviser was switched off. Each of their laptops hands in its waiting "
    "changes and wipes itself at its next sync; registering is refused.",
    "enabled": "The adviser was switched on again. They can register and sync.",
    "retired": "The laptop was retired: at its next sync it hands in its waiting changes, "
    "then wipes itself.",
    "lost": "The laptop was switched off as lost or stolen: it will be refused and wiped, "
    "uploading nothing, next time it connects.",
    "saved": "The service was saved and published: laptops receive it at their next sync.",
    "withdrawn": "The service was withdrawn: laptops show it as no longer running after "
    "their next sync.",
    "published": "The service was published again: laptops show it at their next sync.",
    "imported": "The directory file was imported and published.",
}
SHOW_WORDS = queries.SHOWS
SERVICE_FORM_FIELDS = (
    "name",
    "organisation",
    "description",
    "category",
    "address",
    "postcode",
    "area",
    "contact_name",
    "contact_phone",
    "contact_email",
    "schedule",
    "cost",
    "how_to_refer",
    "website",
    "eligibility",
    "last_checked",
)
TEAM_ROLES = (ConsoleRole.MANAGER, ConsoleRole.LEAD)
OVERSTRETCHED_WEEKS = 4  # a wait this long marks a service as possibly overstretched


def mount_console(app: FastAPI, engine: Engine, settings: ConsoleSettings | None = None) -> None:
    """Adds the console's pages under /console to the server's application."""
    console = Console(engine, settings or ConsoleSettings())
    app.mount(
        f"{PREFIX}/static", StaticFiles(directory=str(_HERE / "static")), name="console-static"
    )
    app.include_router(_router(console))

    @app.exception_handler(NeedSignIn)
    async def _sign_in(request: Request, exc: NeedSignIn) -> Response:
        # The cookie stays: a session half way through signing in must reach the code page.
        return RedirectResponse(f"{PREFIX}/login", status_code=303)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return console.render(
            request, "message.html", None, status=exc.status, title=exc.title, words=exc.words
        )

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.url.path.startswith(PREFIX):
            response.headers.update(SECURITY_HEADERS)
            if not request.url.path.startswith(f"{PREFIX}/static"):
                response.headers["Cache-Control"] = "no-store"
        return response


def _redirect(path: str, **query: str) -> Response:
    url = PREFIX + path + (("?" + urlencode(query)) if query else "")
    return RedirectResponse(url, status_code=303)


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) < 100_000 else 0


def _router(console: Console) -> APIRouter:  # noqa: C901 - one place lists every page
    # Pages, not API: left out of the published OpenAPI description (and the API fuzzing).
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    engine = console.engine
    people_pages = guard(console, *TEAM_ROLES)
    any_role = guard(console, *ConsoleRole)

    # --- signing in and out ---------------------------------------------------------------

    @router.get("/login")
    async def login_page(request: Request) -> Response:
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
        response = console.render(
            request,
            "login.html",
            None,
            csrf=token,
            signed_out=request.query_params.get("out") == "1",
        )
        console.set_cookie(response, request, LOGIN_COOKIE, token, path=f"{PREFIX}/login")
        return response

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        if not auth.csrf_matches(request.cookies.get(LOGIN_COOKIE, ""), form.get("csrf")):
            raise stale_form()
        name, password = field_text(form, "name", 200), form.get("password")
        if not name or not isinstance(password, str) or not password:
            return console.render(
                request,
                "login.html",
                None,
                status=400,
                csrf=form.get("csrf"),
                name=name,
                error="Enter your name and your password.",
            )
        address = console.address(request)
        attempt: _Attempt = await console.run(_check_password, console, name, password, address)
        if attempt.token is None:
            with write_transaction(engine) as conn:
                audit(conn, console, request, name, "", "sign-in refused", "", attempt.error)
            return console.render(
                request,
                "login.html",
                None,
                status=attempt.status,
                csrf=form.get("csrf"),
                name=name,
                error=attempt.error,
            )
        response = _redirect("/login/code")
        console.set_cookie(response, request, COOKIE, attempt.token)
        return response

    def half_session(request: Request) -> auth.FoundSession:
        with write_transaction(engine) as conn:
            found = auth.find_session(
                conn, request.cookies.get(COOKIE), console.settings.clock(), console.settings.limits
            )
        if found is None:
            raise NeedSignIn()
        return found

    @router.get("/login/code")
    async def code_page(request: Request) -> Response:
        found = await console.run(half_session, request)
        if found.stage == auth.STAGE_FULL:
            return _redirect("/")
        return console.render(request, "code.html", None, csrf=found.csrf)

    @router.post("/login/code")
    async def code(request: Request) -> Response:
        found = await console.run(half_session, request)
        form = await request.form()
        if not auth.csrf_matches(found.csrf, form.get("csrf")):
            raise stale_form()
        result: _Attempt = await console.run(
            _check_code, console, request, found, field_text(form, "code", 20)
        )
        if result.token is None:
            return console.render(
                request,
                "code.html",
                None,
                status=result.status,
                csrf=found.csrf,
                error=result.error,
            )
        response = _redirect("/")
        console.set_cookie(response, request, COOKIE, result.token)
        return response

    @router.post("/logout")
    async def logout(request: Request, viewer: Viewer = any_role) -> Response:
        await form_of(request, viewer)
        with write_transaction(engine) as conn:
            auth.end_session(conn, viewer.session_hash)
            audit_viewer(conn, console, request, viewer, "signed out")
        response = _redirect("/login", out="1")
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    @router.get("/")
    async def home(viewer: Viewer = any_role) -> Response:
        if viewer.role is ConsoleRole.COMMISSIONER:
            return _redirect("/reports")
        return _redirect("/teams")

    @router.get("/reports")
    async def reports_page(request: Request, viewer: Viewer = any_role) -> Response:
        return console.render(request, "reports.html", viewer)

    # --- teams, caseloads, people -----------------------------------------------------------

    def read_teams(viewer: Viewer) -> list[queries.Caseload]:
        reports.catch_up(engine, max_steps=3)
        with read_transaction(engine) as conn:
            return queries.team_summaries(conn, viewer.team_ids, console.settings.today())

    @router.get("/teams")
    async def teams_page(request: Request, viewer: Viewer = people_pages) -> Response:
        summaries = await console.run(read_teams, viewer)
        return console.render(request, "teams.html", viewer, teams=summaries)

    def read_team(
        viewer: Viewer, team_id: int, caseloads: bool = True
    ) -> tuple[str, list[queries.Caseload]]:
        if not viewer.sees_team(team_id):
            raise NOT_FOUND
        reports.catch_up(engine, max_steps=3)
        with read_transaction(engine) as conn:
            name = queries.team_name(conn, team_id)
            if name is None:
                raise NOT_FOUND
            if not caseloads:
                return name, []
            return name, queries.adviser_caseloads(conn, team_id, console.settings.today())

    @router.get("/teams/{team_id}")
    async def team_page(request: Request, team_id: int, viewer: Viewer = people_pages) -> Response:
        name, caseloads = await console.run(read_team, viewer, team_id)
        return console.render(
            request, "team.html", viewer, team_id=team_id, team=name, caseloads=caseloads
        )

    @router.get("/teams/{team_id}/people")
    async def people_page(
        request: Request, team_id: int, viewer: Viewer = people_pages
    ) -> Response:
        show = request.query_params.get("show", "open")
        show = show if show in SHOW_WORDS else "open"
        adviser = request.query_params.get("adviser") or None
        page = _page_number(request.query_params.get("page"))

        def read() -> tuple[str, list[queries.PersonListing], int]:
            name, _ = read_team(viewer, team_id, caseloads=False)
            with read_transaction(engine) as conn:
                listing, total = queries.people(
                    conn, team_id, console.settings.today(), show=show, adviser=adviser, page=page
                )
            return name, listing, total

        name, listing, total = await console.run(read)
        base = {"show": show, **({"adviser": adviser} if adviser else {})}
        return console.render(
            request,
            "people.html",
            viewer,
            team_id=team_id,
            team=name,
            people=listing,
            total=total,
            show=show,
            show_words=SHOW_WORDS,
            adviser=adviser,
            page=page,
            pages=(total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE,
            query=lambda number: urlencode({**base, "page": str(number)}),
        )

    @router.get("/people/{person_id}")
    async def person_page(
        request: Request, person_id: str, viewer: Viewer = people_pages
    ) -> Response:
        def read() -> tuple[queries.PersonRecord, str]:
            with read_transaction(engine) as conn:
                team_id = queries.person_team(conn, person_id[:64])
                if team_id is None or not viewer.sees_team(team_id):
                    raise NOT_FOUND
                record = queries.person_record(conn, person_id[:64])
                if record is None:
                    raise NOT_FOUND
                team = queries.team_name(conn, team_id) or ""
            with write_transaction(engine) as conn:  # reading a record is audited too
                audit_viewer(
                    conn, console, request, viewer, "opened a person's record", person_id[:64]
                )
            return record, team

        record, team = await console.run(read)
        return console.render(
            request, "person.html", viewer, record=record, team=team, team_id=record.team_id
        )

    # --- advisers -------------------------------------------------------------------------

    def adviser_context(viewer: Viewer) -> dict[str, Any]:
        with read_transaction(engine) as conn:
            return {
                "advisers": queries.adviser_list(conn, viewer.team_ids),
                "teams": queries.teams_of(conn, viewer.team_ids),
            }

    @router.get("/advisers")
    async def advisers_page(request: Request, viewer: Viewer = people_pages) -> Response:
        context = await console.run(adviser_context, viewer)
        return console.render(
            request,
            "advisers.html",
            viewer,
            done=DONE.get(request.query_params.get("done", "")),
            **context,
        )

    @router.get("/advisers/new")
    async def new_adviser_page(request: Request, viewer: Viewer = people_pages) -> Response:
        context = await console.run(adviser_context, viewer)
        return console.render(request, "adviser_new.html", viewer, form={}, **context)

    @router.post("/advisers/new")
    async def add_adviser(request: Request, viewer: Viewer = people_pages) -> Response:
        form = await form_of(request, viewer)
        name, team = field_text(form, "name", 200), field_text(form, "team", 20)

        def add() -> str | int:
            with read_transaction(engine) as conn:
                team_names = dict(queries.teams_of(conn, viewer.team_ids))
            if not name:
                return "Enter the adviser's name."
            if not team.isdigit() or int(team) not in team_names:
                return "Choose one of your teams."
            password, again = form.get("password"), form.get("password_again")
            if not isinstance(password, str) or password != again:
                return "The two passwords differ. Type the same password twice."
            try:
                with write_transaction(engine) as conn:
                    adviser_id = accounts.add_adviser(
                        conn, name, team_names[int(team)], password, Role.ADVISER
                    )
                    audit_viewer(
                        conn,
                        console,
                        request,
                        viewer,
                        "added an adviser",
                        f"adviser {adviser_id}",
                        f"team {team}",
                    )
            except (AccountError, IntegrityError) as exc:
                return (
                    str(exc)
                    if isinstance(exc, AccountError)
                    else ("There is already an adviser with that name.")
                )
            return adviser_id

        result = await console.run(add)
        if isinstance(result, str):
            context = await console.run(adviser_context, viewer)
            return console.render(
                request,
                "adviser_new.html",
                viewer,
                status=400,
                error=result,
                form={"name": name, "team": team},
                **context,
            )
        return _redirect("/advisers", done="added")

    def one_adviser(viewer: Viewer, adviser_id: int) -> dict[str, Any]:
        with read_transaction(engine) as conn:
            found = queries.adviser(conn, adviser_id, viewer.team_ids)
            if found is None:
                raise NOT_FOUND
            laptops = [
                d for d in queries.device_list(conn, viewer.team_ids) if d.adviser == found.name
            ]
            return {
                "adviser": found,
                "teams": queries.teams_of(conn, viewer.team_ids),
                "laptops": laptops,
            }

    @router.get("/advisers/{adviser_id}")
    async def adviser_page(
        request: Request, adviser_id: int, viewer: Viewer = people_pages
    ) -> Response:
        context = await console.run(one_adviser, viewer, adviser_id)
        return console.render(
            request,
            "adviser.html",
            viewer,
            done=DONE.get(request.query_params.get("done", "")),
            **context,
        )

    @router.post("/advisers/{adviser_id}/{action}")
    async def change_adviser(
        request: Request, adviser_id: int, action: str, viewer: Viewer = people_pages
    ) -> Response:
        if action not in ("password", "move", "disable", "enable"):
            raise NOT_FOUND
        form = await form_of(request, viewer)

        def change() -> str | None:
            context = one_adviser(viewer, adviser_id)
            found: queries.AdviserListing = context["adviser"]
            team_names = dict(context["teams"])
            try:
                with write_transaction(engine) as conn:
                    if action == "password":
                        password, again = form.get("password"), form.get("password_again")
                        if not isinstance(password, str) or password != again:
                            return "The two passwords differ. Type the same password twice."
                        accounts.set_password(conn, found.name, password)
                    elif action == "move":
                        team = field_text(form, "team", 20)
                        if not team.isdigit() or int(team) not in team_names:
                            return "Choose one of your teams."
                        accounts.move_adviser(conn, found.name, team_names[int(team)])
                    else:
                        accounts.set_adviser_active(conn, found.name, action == "enable")
                    audit_viewer(
                        conn, console, request, viewer, f"adviser {action}", f"adviser {adviser_id}"
                    )
            except AccountError as exc:
                return str(exc)
            return None

        error = await console.run(change)
        if error is not None:
            context = await console.run(one_adviser, viewer, adviser_id)
            return console.render(
                request, "adviser.html", viewer, status=400, error=error, **context
            )
        done = {
            "password": "password",
            "move": "moved",
            "disable": "disabled",
            "enable": "enabled",
        }[action]
        return _redirect(f"/advisers/{adviser_id}", done=done)

    # --- laptops ----------------------------------------------------------------------------

    @router.get("/devices")
    async def devices_page(request: Request, viewer: Viewer = people_pages) -> Response:
        def read() -> list[queries.DeviceListing]:
            with read_transaction(engine) as conn:
                return queries.device_list(conn, viewer.team_ids)

        listing = await console.run(read)
        return console.render(
            request,
            "devices.html",
            viewer,
            devices=listing,
            now=console.settings.stamp(),
            done=DONE.get(request.query_params.get("done", "")),
        )

    def one_device(viewer: Viewer, device_id: str) -> queries.DeviceListing:
        with read_transaction(engine) as conn:
            for device in queries.device_list(conn, viewer.team_ids):
                if device.device_id == device_id:
                    return device
        raise NOT_FOUND

    @router.get("/devices/{device_id}")
    async def device_page(
        request: Request, device_id: str, viewer: Viewer = people_pages
    ) -> Response:
        device = await console.run(one_device, viewer, device_id)
        return console.render(request, "device.html", viewer, device=device)

    @router.post("/devices/{device_id}/revoke")
    async def revoke(request: Request, device_id: str, viewer: Viewer = people_pages) -> Response:
        form = await form_of(request, viewer)
        kind_text = field_text(form, "kind", 10)

        def change() -> str | None:
            device = one_device(viewer, device_id)
            if kind_text not in (RevokeKind.RETIRED.value, RevokeKind.LOST.value):
                return "Choose whether the laptop was handed back or lost or stolen."
            with write_transaction(engine) as conn:
                done = accounts.revoke_device(conn, device.device_id, RevokeKind(kind_text))
                if done:
                    audit_viewer(
                        conn,
                        console,
                        request,
                        viewer,
                        f"laptop revoked ({kind_text})",
                        f"device {device.device_id}",
                    )
            return None if done else "This laptop is switched off already."

        error = await console.run(change)
        if error is not None:
            device = await console.run(one_device, viewer, device_id)
            return console.render(
                request, "device.html", viewer, status=400, device=device, error=error
            )
        return _redirect("/devices", done=kind_text)

    # --- the directory ------------------------------------------------------------------------

    @router.get("/directory")
    async def directory_page(request: Request, viewer: Viewer = people_pages) -> Response:
        search = request.query_params.get("q", "")[:100]
        only_stale = request.query_params.get("stale") == "1"

        def read() -> list[queries.ServiceListing]:
            with read_transaction(engine) as conn:
                return queries.directory(
                    conn,
                    console.settings.today(),
                    console.settings.stale_days,
                    viewer.team_ids,
                    query=search,
                )

        listing = await console.run(read)
        stale = sum(1 for s in listing if s.stale)
        if only_stale:
            listing = [s for s in listing if s.stale]
        return console.render(
            request,
            "directory.html",
            viewer,
            services=listing,
            q=search,
            stale=stale,
            only_stale=only_stale,
            stale_days=console.settings.stale_days,
            overstretched_weeks=OVERSTRETCHED_WEEKS,
            done=DONE.get(request.query_params.get("done", "")),
        )

    def service_context(viewer: Viewer, service_id: str | None) -> dict[str, Any]:
        with read_transaction(engine) as conn:
            fields = {} if service_id is None else queries.service(conn, service_id)
            if fields is None:
                raise NOT_FOUND
            use = (
                []
                if service_id is None
                else queries.service_teams(conn, service_id, viewer.team_ids)
            )
            counts = (
                (0, 0, 0)
                if service_id is None
                else queries.service_use(conn, viewer.team_ids).get(service_id, (0, 0, 0))
            )
        return {
            "service_id": service_id,
            "fields": fields,
            "use": use,
            "counts": counts,
            "categories": [(c.value, c.label) for c in Category],
        }

    @router.get("/directory/new")
    async def new_service_page(request: Request, viewer: Viewer = people_pages) -> Response:
        context = await console.run(service_context, viewer, None)
        return console.render(request, "service.html", viewer, **context)

    @router.get("/directory/export.{kind}")
    async def export(request: Request, kind: str, viewer: Viewer = people_pages) -> Response:
        if kind not in ("json", "csv"):
            raise NOT_FOUND

        def build() -> bytes:
            from sp_desktop.interchange import oruk
            from sp_desktop.interchange.directory_files.rows import service_from_row

            with read_transaction(engine) as conn:
                listing = queries.directory(
                    conn, console.settings.today(), console.settings.stale_days, viewer.team_ids
                )
            services = []
            for item in listing:
                row: dict[str, Any] = {
                    name: None if rule.nullable else _blank(rule)
                    for name, rule in row_rules.SERVICES.fields.items()
                }
                row.update(item.fields, id=item.service_id)
                try:
                    services.append(service_from_row(row))
                except (ValidationError, ValueError, KeyError):
                    continue  # an entry the laptops could not read either
            with write_transaction(engine) as conn:
                audit_viewer(conn, console, request, viewer, "exported the directory", kind)
            return oruk.serialise(services, kind)

        data = await console.run(build)
        media = "application/json" if kind == "json" else "text/csv; charset=utf-8"
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="directory.{kind}"'},
        )

    @router.get("/directory/import")
    async def import_page(request: Request, viewer: Viewer = people_pages) -> Response:
        return console.render(request, "import.html", viewer)

    @router.post("/directory/import")
    async def import_file(request: Request, viewer: Viewer = people_pages) -> Response:
        form = await form_of(request, viewer)
        upload = form.get("file")
        good_rows = form.get("good_rows") == "yes"
        if not isinstance(upload, UploadFile) or not upload.filename:
            return console.render(
                request,
                "import.html",
                viewer,
                status=400,
                error="Choose a directory file to import.",
            )
        data = await upload.read()
        name = upload.filename[-100:]

        def publish() -> dict[str, Any]:
            from sp_desktop.interchange.directory_files import read_bytes
            from sp_desktop.interchange.directory_files.findings import report_lines
            from sp_desktop.interchange.directory_files.rows import wire_row
            from sp_desktop.server.sync import publish_directory

            reading = read_bytes(data, name)
            lines = report_lines(reading.groups, 20)
            outcome: dict[str, Any] = {
                "summary": reading.summary(),
                "lines": lines,
                "published": None,
            }
            if not reading.services:
                outcome["error"] = "Nothing was imported: no service in this file can be used."
                return outcome
            if reading.refused and not good_rows:
                outcome["error"] = (
                    f"Nothing was imported: {reading.refused:,} services are left out (listed "
                    f"below). Tick 'Import the good services' to publish the "
                    f"{len(reading.services):,} good ones, or correct the file first."
                )
                return outcome
            result = publish_directory(engine, [wire_row(s) for s in reading.services])
            with write_transaction(engine) as conn:
                audit_viewer(
                    conn,
                    console,
                    request,
                    viewer,
                    "imported a directory file",
                    name,
                    f"{result.applied} published, {result.rejected} refused",
                )
            outcome["published"] = result.applied
            return outcome

        outcome = await console.run(publish)
        status = 400 if outcome.get("error") else 200
        return console.render(request, "import.html", viewer, status=status, **outcome)

    @router.get("/directory/{service_id}")
    async def service_page(
        request: Request, service_id: str, viewer: Viewer = people_pages
    ) -> Response:
        context = await console.run(service_context, viewer, service_id[:64])
        return console.render(
            request,
            "service.html",
            viewer,
            done=DONE.get(request.query_params.get("done", "")),
            **context,
        )

    @router.post("/directory/{service_id}")
    async def save_service(
        request: Request, service_id: str, viewer: Viewer = people_pages
    ) -> Response:
        form = await form_of(request, viewer)
        is_new = service_id == "new"
        wanted: dict[str, Any] = {name: field_text(form, name) for name in SERVICE_FORM_FIELDS}
        wanted["last_checked"] = wanted["last_checked"] or None
        wanted["free"] = form.get("free") == "yes"
        wanted["step_free"] = form.get("step_free") == "yes"
        weeks = field_text(form, "waiting_weeks", 10)
        wanted["waiting_weeks"] = int(weeks) if weeks.isdigit() else (None if not weeks else -1)

        def save() -> str | None:
            if not is_new:
                service_context(viewer, service_id[:64])  # it exists
            try:
                row_rules.SERVICES.check_fields(wanted, console.settings.today())
            except ValidationError as exc:
                return exc.message
            return None

        error = await console.run(save)
        if error is not None:
            context = await console.run(service_context, viewer, None if is_new else service_id)
            context["fields"] = {**context["fields"], **wanted}
            return console.render(
                request, "service.html", viewer, status=400, error=error, **context
            )
        row_id = new_id() if is_new else service_id[:64]
        if is_new:
            wanted["active"] = True
        await console.run(
            _publish,
            console,
            request,
            viewer,
            row_id,
            wanted,
            "added a service" if is_new else "edited a service",
        )
        return _redirect(f"/directory/{quote(row_id)}", done="saved")

    @router.post("/directory/{service_id}/{action}")
    async def service_state(
        request: Request, service_id: str, action: str, viewer: Viewer = people_pages
    ) -> Response:
        if action not in ("withdraw", "publish"):
            raise NOT_FOUND
        await form_of(request, viewer)
        await console.run(service_context, viewer, service_id[:64])
        await console.run(
            _publish,
            console,
            request,
            viewer,
            service_id[:64],
            {"active": action == "publish"},
            f"service {action}",
        )
        return _redirect(
            f"/directory/{quote(service_id[:64])}",
            done="withdrawn" if action == "withdraw" else "published",
        )

    add_governance_pages(router, console, people_pages)  # issue 14: audit, access, erasure
    add_outcome_pages(router, console, any_role)  # issue 13: outcomes and exports

    @router.get("/{anything:path}")
    async def unknown(anything: str) -> Response:
        raise NOT_FOUND  # a page in words, not the API's JSON

    return router


def _blank(rule: row_rules.Rule) -> Any:
    """What a field the office never set holds for a laptop: no, or empty text."""
    return False if isinstance(rule, row_rules.YesNo) else ""


def _publish(
    console: Console,
    request: Request,
    viewer: Viewer,
    row_id: str,
    fields: dict[str, Any],
    action: str,
) -> None:
    from sp_desktop.server.sync import publish_directory

    result = publish_directory(console.engine, [{"id": row_id, **fields}])
    with write_transaction(console.engine) as conn:
        audit_viewer(
            conn,
            console,
            request,
            viewer,
            action,
            f"service {row_id}",
            f"{result.applied} applied, {result.rejected} refused",
        )


@dataclass(frozen=True, slots=True)
class _Attempt:
    """A password-stage session token, or why not (in words) with the HTTP status."""

    token: str | None
    error: str = ""
    status: int = 200


def _check_password(console: Console, name: str, password: str, address: str) -> _Attempt:
    now = console.settings.clock()
    throttle = auth.throttle_name(name)
    try:
        with write_transaction(console.engine) as conn:
            accounts.begin_login(conn, throttle, address, now)
    except accounts.LoginThrottled as exc:
        return _Attempt(
            None,
            "Too many attempts. Please wait a little and try again "
            f"(about {exc.retry_after} seconds).",
            429,
        )
    except IntegrityError:
        return _Attempt(None, "Too many attempts at once. Please try again.", 429)
    with read_transaction(console.engine) as conn:
        stored = auth.stored_user(conn, name)
    if not auth.password_ok(stored, password) or stored.user_id is None:
        return _Attempt(None, "That name and password were not recognised.", 401)
    with write_transaction(console.engine) as conn:
        return _Attempt(auth.start_session(conn, stored.user_id, now))


def _check_code(
    console: Console, request: Request, found: auth.FoundSession, code: str
) -> _Attempt:
    """A full session's token for the right code, or why not. Codes are counted per user
    before they are checked, as passwords are: six digits cannot be guessed by trying fast."""
    now = console.settings.clock()
    address = console.address(request)
    throttle = auth.code_throttle_name(found.user_id)
    try:
        with write_transaction(console.engine) as conn:
            accounts.begin_login(conn, throttle, address, now)
    except accounts.LoginThrottled as exc:
        return _Attempt(
            None,
            "Too many codes were tried. Please wait a little and try again "
            f"(about {exc.retry_after} seconds).",
            429,
        )
    except IntegrityError:
        return _Attempt(None, "Too many attempts at once. Please try again.", 429)
    with write_transaction(console.engine) as conn:
        user = conn.execute(
            select(console_users.c.name, console_users.c.role).where(
                console_users.c.id == found.user_id
            )
        ).one()
        if not auth.check_code(conn, found.user_id, code, now):
            audit(conn, console, request, str(user.name), "", "sign-in code refused")
            return _Attempt(
                None,
                "That code was not right, or was used already. Enter the "
                "6-digit code your authenticator app shows now.",
                401,
            )
        token = auth.promote_session(conn, _token_of(request), now)
        accounts.login_succeeded(conn, auth.throttle_name(str(user.name)), address, now)
        accounts.login_succeeded(conn, throttle, address, now)
        audit(conn, console, request, str(user.name), str(user.role), "signed in")
        return _Attempt(token)


def _token_of(request: Request) -> str:
    return request.cookies.get(COOKIE, "")
