"""`sp-server`: set up the database, manage teams, advisers and devices, publish the directory,
and serve. Every command takes `--database-url` (or `--data-dir` for the default SQLite file).
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import NoResultFound

from sp_desktop.domain.errors import ValidationError
from sp_desktop.server import accounts, migrations
from sp_desktop.server.accounts import AccountError, RevokeKind, Role
from sp_desktop.server.app import (
    CONSOLE_IDLE_ENV,
    DEFAULT_LEASE_SECONDS,
    LEASE_ENV,
    TOKEN_LIFETIME_ENV,
    TRUSTED_PROXY_ENV,
)
from sp_desktop.server.db import (
    DATABASE_URL_ENV,
    make_engine,
    office_audit,
    read_transaction,
    resolve_database_url,
    write_transaction,
)
from sp_desktop.server.sync import DEFAULT_TOMBSTONE_DAYS, purge_tombstones
from sp_desktop.sync.protocol import is_loopback

log = logging.getLogger("sp_desktop.server")


class CliError(Exception):
    """A command that cannot be done; printed as is, exit status 1."""


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=argparse.SUPPRESS,
                        help=f"SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
                             f"(default: ${DATABASE_URL_ENV} or a SQLite file in --data-dir)")
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="folder of the default SQLite database (default: per-user data dir)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="sp-server", parents=[common],
                                     description="SP Desktop office server.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", parents=[common], help="create or upgrade the database")

    team = commands.add_parser("team", help="teams").add_subparsers(dest="action", required=True)
    team_add = team.add_parser("add", parents=[common], help="add a team")
    team_add.add_argument("name")
    team.add_parser("list", parents=[common], help="list teams")

    adviser = commands.add_parser("adviser", help="advisers").add_subparsers(
        dest="action", required=True)
    adviser_add = adviser.add_parser("add", parents=[common], help="add an adviser")
    adviser_add.add_argument("name")
    adviser_add.add_argument("--team", required=True)
    adviser_add.add_argument("--role", choices=[r.value for r in Role], default=Role.ADVISER.value)
    adviser_add.add_argument("--password-file", type=Path,
                             help="read the password from this file (first line) instead of asking")
    adviser_move = adviser.add_parser("move", parents=[common],
                                      help="move an adviser to another team")
    adviser_move.add_argument("name")
    adviser_move.add_argument("--team", required=True)
    adviser_pw = adviser.add_parser(
        "password", parents=[common],
        help="set a new password (every laptop of the adviser must register again)")
    adviser_pw.add_argument("name")
    adviser_pw.add_argument("--password-file", type=Path)
    disable = adviser.add_parser(
        "disable", parents=[common],
        help="switch an adviser off (a leaver): every laptop of theirs hands in its waiting "
             "changes and wipes; registering is refused")
    disable.add_argument("name")
    enable = adviser.add_parser("enable", parents=[common],
                                help="switch a disabled adviser on again")
    enable.add_argument("name")

    console_user = commands.add_parser(
        "console-user", help="people who use the office console (not advisers)"
    ).add_subparsers(dest="action", required=True)
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument("--by", default=_who_runs(),
                    help="who made the change, kept in the audit log (default: this "
                         "computer's user name)")
    console_add = console_user.add_parser(
        "add", parents=[common, by],
        help="add a console user: asks for a password, then prints the secret for their "
             "authenticator app (shown once)")
    console_add.add_argument("name")
    console_add.add_argument("--role", required=True,
                             choices=["manager", "lead", "commissioner"],
                             help="manager: their teams; lead: every team; commissioner: "
                                  "aggregate reports only")
    console_add.add_argument("--team", action="append", default=[],
                             help="a team a manager runs (repeat for several)")
    console_add.add_argument("--password-file", type=Path,
                             help="read the password from this file (first line) instead of asking")
    console_user.add_parser("list", parents=[common],
                            help="list console users: role, teams, switched on or off")
    console_password = console_user.add_parser(
        "password", parents=[common, by],
        help="set a new password for a console user (their sessions end)")
    console_password.add_argument("name")
    console_password.add_argument("--password-file", type=Path)
    for action, words in (
        ("new-authenticator", "a lost or replaced phone: prints a new secret for their "
                              "authenticator app (shown once); the old one stops working and "
                              "their sessions end"),
        ("disable", "switch a console user off (a leaver): their sessions end and signing in "
                    "is refused"),
        ("enable", "switch a console user on again"),
    ):
        console_user.add_parser(action, parents=[common, by], help=words).add_argument("name")

    device = commands.add_parser("device", help="devices").add_subparsers(
        dest="action", required=True)
    device.add_parser("list", parents=[common], help="list registered devices")
    revoke = device.add_parser("revoke", parents=[common],
                               help="switch a laptop off: 'retired' hands in its waiting "
                                    "changes, then wipes; 'lost' (or stolen) wipes at once")
    revoke.add_argument("device_id")
    revoke.add_argument("--kind", required=True, choices=[k.value for k in RevokeKind],
                        help="retired: handed back, uploads first; lost: lost or stolen")

    tombstones = commands.add_parser("tombstones", help="deleted rows").add_subparsers(
        dest="action", required=True)
    purge = tombstones.add_parser("purge", parents=[common],
                                  help="forget deletes older than the retention; devices that "
                                       "have not synced since must restore")
    purge.add_argument("--older-than-days", type=float, default=DEFAULT_TOMBSTONE_DAYS)

    erase = commands.add_parser(
        "erase", parents=[common],
        help="erase one person everywhere (UK GDPR article 17): the office deletes their "
             "records now; each laptop of their team purges its copy at its next sync")
    erase.add_argument("person_id")
    erase.add_argument("--reason", required=True, help="why (kept with the erasure record)")
    erase.add_argument("--by", required=True, help="the manager who confirmed it")
    retention = commands.add_parser(
        "retention", parents=[common],
        help="apply the scheme's retention rule: erase everyone whose case closed more than "
             "N years ago (each erasure recorded and sent to the laptops like any other)")
    retention.add_argument("--closed-years", type=int, required=True)
    retention.add_argument("--by", default="retention job")
    retention.add_argument("--team", help="apply it to one team only (default: every team)")
    export = commands.add_parser(
        "export", parents=[common],
        help="everyone referred in a period, as a FHIR R4 Bundle (identifiable: for other "
             "health systems) or as the analysts' CSV tables (a zip naming nobody)")
    export.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD")
    export.add_argument("--format", choices=["fhir", "csv"], required=True)
    export.add_argument("--out", type=Path, required=True, help="a new file (never overwritten)")
    export.add_argument("--team", action="append", default=[],
                        help="only this team's people (repeat for several; default: every team)")
    export.add_argument("--by", required=True, help="who asked for it (kept in the audit log)")
    erasures_cmd = commands.add_parser("erasures", help="erasures done").add_subparsers(
        dest="action", required=True)
    erasures_cmd.add_parser("list", parents=[common], help="every erasure, newest first")
    erasure_show = erasures_cmd.add_parser(
        "show", parents=[common], help="which laptops have confirmed one erasure")
    erasure_show.add_argument("erasure_id")

    outcomes_cmd = commands.add_parser("outcomes", help="the outcomes report").add_subparsers(
        dest="action", required=True)
    outcomes_cmd.add_parser(
        "build", parents=[common],
        help="bring the report tables up to date now, with progress (a large office's first "
             "build takes minutes; run it before opening the outcomes page)")
    population = outcomes_cmd.add_parser(
        "population", parents=[common],
        help="load practices' registered populations for the equity tables: NHS Digital's "
             "quinary-age CSV (ORG_CODE, SEX, AGE_GROUP_5, NUMBER_OF_PATIENTS) or "
             "practice,dimension,group,count; a file with problems changes nothing")
    population.add_argument("file", type=Path)
    population.add_argument("--by", required=True, help="who loaded it (kept in the audit log)")

    directory = commands.add_parser("directory", help="directory of services").add_subparsers(
        dest="action", required=True)
    publish = directory.add_parser(
        "import", parents=[common],
        help="publish a council's directory file: ORUK/HSDS JSON, a datapackage (its "
             "datapackage.json, folder or .zip) or the flat CSV, checked as laptops check it")
    publish.add_argument("file", type=Path)
    fetch = directory.add_parser(
        "fetch", parents=[common],
        help="fetch a council's directory from its ORUK API (every page, politely) and publish it")
    fetch.add_argument("url", help="the API's service list, e.g. https://example.org/api/services")
    fetch.add_argument("--delay", type=float, default=1.0,
                       help="seconds between requests (default 1)")
    fetch.add_argument("--max-pages", type=int, default=1000)
    fetch.add_argument("--per-page", type=int, help="ask for this many services a page")
    for command in (publish, fetch):
        command.add_argument("--mapping", type=Path,
                             help="the office's JSON file mapping council terms (and single "
                                  "services) to the scheme's categories and five ways")
        command.add_argument("--good-rows", action="store_true",
                             help="publish the good services even when some are left out")
        command.add_argument("--dry-run", action="store_true",
                             help="only report what would be published")
        command.add_argument("--unmapped-terms", type=Path, metavar="FILE",
                             help="write the council terms still to map, as a mapping file "
                                  "to fill in")

    serve = commands.add_parser("serve", parents=[common], help="run the server")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on; anything but loopback needs TLS "
                            "(--tls-cert/--tls-key) or --behind-tls-proxy")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--tls-cert", type=Path)
    serve.add_argument("--tls-key", type=Path)
    serve.add_argument("--behind-tls-proxy", metavar="ADDRESS",
                       help="a TLS proxy at this IP address forwards to this server: serve "
                            "plain HTTP to it, and believe its X-Forwarded-For (only its) "
                            "for login throttling")
    serve.add_argument("--token-days", type=float,
                       help="how long a device token lasts; a laptop in use gets a fresh one "
                            f"before then (default ${TOKEN_LIFETIME_ENV} seconds, else "
                            f"{accounts.DEFAULT_TOKEN_DAYS})")
    serve.add_argument("--lease-days", type=float,
                       help="how long a laptop may go without syncing and still open "
                            f"(default ${LEASE_ENV} seconds, else "
                            f"{DEFAULT_LEASE_SECONDS // 86_400})")
    serve.add_argument("--console-idle-minutes", type=float,
                       help="how long an office console session may sit idle before it "
                            "ends (default 15)")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info",
                       choices=["critical", "error", "warning", "info", "debug"])
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def _export(args: argparse.Namespace, engine: Engine) -> None:
    """Writes the period's records to a new file and notes who took them in the audit log."""
    from sp_desktop.server.record_export import csv_for_period, fhir_for_period

    out: Path = args.out
    if out.exists():
        raise CliError(f"{out} already exists; nothing was written.")
    if args.end < args.start:
        raise CliError("The end of the period is before its start; nothing was written.")
    team_ids: list[int] | None = None
    if args.team:
        with read_transaction(engine) as conn:
            known = {name: team_id for team_id, name in accounts.list_teams(conn)}
        missing = [name for name in args.team if name not in known]
        if missing:
            raise CliError(f"No team called {missing[0]!r}; nothing was written.")
        team_ids = [known[name] for name in args.team]
    made = (fhir_for_period if args.format == "fhir" else csv_for_period)(
        engine, args.start, args.end, team_ids=team_ids
    )
    try:
        with out.open("xb") as file:
            file.write(made)
    except OSError as exc:
        raise CliError(f"Could not write {out}: {exc.strerror or 'not possible'}.") from None
    with write_transaction(engine) as conn:
        conn.execute(
            office_audit.insert().values(
                at=datetime.now(UTC).isoformat(timespec="seconds"),
                actor=args.by[:200],
                role="command line",
                action=f"export {args.format}",
                target=f"referred {args.start.isoformat()} to {args.end.isoformat()}",
                detail=f"teams: {', '.join(args.team) or 'every team'}",
                address="",
            )
        )
    print(f"Written {out} ({len(made):,} bytes).")


def _who_runs() -> str:
    """This computer's user name, the audit log's default for who made a change."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name at all (a bare container)
        return "the command line"


def _password(path: Path | None) -> str:
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        if not lines or not lines[0]:
            raise CliError(f"{path} holds no password.")
        return lines[0]
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Same password again: "):
        raise CliError("The two passwords differ; nothing was changed.")
    return first


def _url(args: argparse.Namespace) -> str:
    return resolve_database_url(getattr(args, "database_url", None),
                                getattr(args, "data_dir", None))


def run(args: argparse.Namespace) -> int:
    url = _url(args)
    engine = make_engine(url, pool_size=2)
    try:
        if args.command == "serve":
            return _serve(args, url)
        migrations.upgrade(engine)
        if args.command == "init":
            print("The database is ready.")
        elif args.command == "team":
            if args.action == "add":
                with write_transaction(engine) as conn:
                    accounts.add_team(conn, args.name)
                print(f"Team {args.name!r} added.")
            else:
                with read_transaction(engine) as conn:
                    for team_id, name in accounts.list_teams(conn):
                        print(f"{team_id}\t{name}")
        elif args.command == "adviser" and args.action == "move":
            with write_transaction(engine) as conn:
                accounts.move_adviser(conn, args.name, args.team)
            print(f"Adviser {args.name!r} moved to team {args.team!r}; their laptops will "
                  "download that team's caseload at their next sync.")
        elif args.command == "tombstones":
            count = purge_tombstones(engine, args.older_than_days)
            print(f"{count} deleted row(s) older than {args.older_than_days:g} days purged.")
        elif args.command == "adviser" and args.action in ("disable", "enable"):
            active = args.action == "enable"
            with write_transaction(engine) as conn:
                laptops = accounts.set_adviser_active(conn, args.name, active)
            if active:
                print(f"Adviser {args.name!r} enabled: they can register and sync again.")
            else:
                print(f"Adviser {args.name!r} disabled: registering is refused, and each of "
                      f"their {laptops} laptop(s) hands in its waiting changes and wipes "
                      "itself at its next sync.")
        elif args.command == "adviser":
            password = _password(args.password_file)
            with write_transaction(engine) as conn:
                if args.action == "add":
                    accounts.add_adviser(conn, args.name, args.team, password, Role(args.role))
                    print(f"Adviser {args.name!r} added to team {args.team!r}.")
                else:
                    ended = accounts.set_password(conn, args.name, password)
                    print(f"Password of {args.name!r} changed; their {ended} laptop(s) must "
                          "register again with the new password (nothing on them is lost).")
        elif args.command == "device":
            if args.action == "list":
                with read_transaction(engine) as conn:
                    listing = accounts.list_devices(conn)
                print("device\tadviser\tteam\tregistered\tlast seen\tstate")
                for d in listing:
                    state = "active" if d.adviser_active else "adviser disabled"
                    if d.revoked_at:
                        state = f"revoked ({d.revoke_kind or 'lost'}) {d.revoked_at}"
                    print(f"{d.device_id}\t{d.adviser}\t{d.team}\t{d.created_at}\t"
                          f"{d.last_seen_at or '-'}\t{state}")
            else:
                kind = RevokeKind(args.kind)
                with write_transaction(engine) as conn:
                    done = accounts.revoke_device(conn, args.device_id, kind)
                if not done:
                    raise CliError(f"No active device {args.device_id!r}.")
                if kind is RevokeKind.RETIRED:
                    print(f"Device {args.device_id} retired: at its next sync it hands in its "
                          "waiting changes, then wipes itself.")
                else:
                    print(f"Device {args.device_id} revoked as lost or stolen: it will be "
                          "refused and wiped, uploading nothing, next time it connects.")
        elif args.command == "retention":
            from sp_desktop.server.retention import apply_rule

            ran = apply_rule(engine, args.closed_years, by=args.by, team=args.team)
            print(f"Retention rule (closed more than {args.closed_years} years, before "
                  f"{ran.cutoff.isoformat()}): {len(ran.erased)} person(s) erased.")
            for person in ran.erased:
                print(f"erased\t{person}")
        elif args.command == "export":
            _export(args, engine)
        elif args.command in ("erase", "erasures"):
            _erasure(args, engine)
        elif args.command == "directory":
            return _directory(args, engine)
        elif args.command == "outcomes":
            _outcomes(args, engine)
        elif args.command == "console-user":
            _console_user(args, engine)
        return 0
    finally:
        engine.dispose()


def _outcomes(args: argparse.Namespace, engine: Engine) -> None:
    from sp_desktop.server.console import outcome_lines, outcome_population

    if args.action == "build":
        start = outcome_lines.backlog(engine)
        if start == 0:
            print("The outcomes report tables are up to date.")
            return

        def progress(upto: int, top: int, rebuilt: int) -> None:
            done = 100 * (1 - (top - upto) / start) if start else 100.0
            print(f"{min(100.0, done):5.1f}% read (change {upto:,} of {top:,}); "
                  f"{rebuilt:,} people's lines made", flush=True)

        rebuilt = outcome_lines.catch_up(engine, progress=progress)
        print(f"The outcomes report tables are up to date ({rebuilt:,} people's lines made).")
        return
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"Cannot read {args.file}: {exc.strerror or exc}.") from exc
    reading = outcome_population.read_population(data)
    if reading.problems:
        more = f"\n  and {reading.more_problems} more" if reading.more_problems else ""
        raise CliError("Nothing was loaded: the file has problems:\n  "
                       + "\n  ".join(reading.problems) + more)
    with write_transaction(engine) as conn:
        kept = outcome_population.store(conn, reading, date.today())
        _audited(conn, args.by, "loaded registered populations", args.file.name,
                 f"{len(reading.practices())} practices, {kept} lines")
    print(f"Registered populations loaded for {len(reading.practices())} practice(s) "
          f"({kept} lines); what was held for them before is replaced.")


def _audited(conn: Connection, by: str, action: str, target: str, detail: str = "") -> None:
    """A change made on the command line, in the office's audit log like a console action."""
    conn.execute(office_audit.insert().values(
        at=datetime.now(UTC).isoformat(timespec="seconds"), actor=by[:200],
        role="command line", action=action, target=target[:200], address="", detail=detail))


def _console_user(args: argparse.Namespace, engine: Engine) -> None:
    """`console-user …`: add (the account, then its TOTP secret, printed this once), list,
    a new password, a new authenticator, switch off or on; each change is audited."""
    from sp_desktop.server.console import auth

    if args.action == "list":
        with read_transaction(engine) as conn:
            for user in auth.list_users(conn):
                state = "on" if user.active else "switched off"
                print(f"{user.name}\t{auth.ROLE_WORDS[user.role]}\t{state}\t"
                      f"{', '.join(user.teams)}")
        return
    password = _password(args.password_file) if args.action in ("add", "password") else ""
    with write_transaction(engine) as conn:
        if args.action == "add":
            made = auth.add_user(conn, args.name, auth.ConsoleRole(args.role), password,
                                 list(args.team))
            _audited(conn, args.by, "added a console user", args.name, args.role)
        elif args.action == "password":
            auth.set_user_password(conn, args.name, password)
            _audited(conn, args.by, "set a console user's password", args.name)
        elif args.action == "new-authenticator":
            made = auth.new_authenticator(conn, args.name)
            _audited(conn, args.by, "gave a console user a new authenticator", args.name)
        else:
            auth.set_user_active(conn, args.name, args.action == "enable")
            state = "on" if args.action == "enable" else "off"
            _audited(conn, args.by, f"switched a console user {state}", args.name)
    if args.action == "add":
        print(f"Console user {args.name!r} added ({args.role}).")
    elif args.action == "password":
        print(f"Password of {args.name!r} changed; they are signed out everywhere.")
        return
    elif args.action in ("disable", "enable"):
        print(f"Console user {args.name!r} "
              + ("switched on again." if args.action == "enable"
                 else "switched off: signed out everywhere, and signing in is refused."))
        return
    else:
        print(f"{args.name!r} has a new authenticator secret; the old one no longer works and "
              "they are signed out everywhere.")
    print("Add this account to their authenticator app (shown only now):")
    print(f"  secret: {made.secret}")
    print(f"  or scan or open: {made.uri}")
    print("They sign in at https://<this server>/console/ with their name, password and the "
          "app's 6-digit code.")


def _directory(args: argparse.Namespace, engine: Engine) -> int:
    """`directory import` / `directory fetch`: the laptop's importer, then publish."""
    from sp_desktop.interchange.directory_files import read_path, read_records
    from sp_desktop.interchange.directory_files.fetch import FetchPolicy, FetchRefused, fetch_source
    from sp_desktop.server.directory import PublishChoice, load_mapping, publish_reading

    try:
        mapping = load_mapping(args.mapping)
        if args.action == "fetch":
            policy = FetchPolicy(delay=max(0.0, args.delay), max_pages=args.max_pages,
                                 per_page=args.per_page)
            reading = read_records(fetch_source(args.url, policy), mapping)
        else:
            reading = read_path(args.file, mapping)
    except (ValueError, FetchRefused) as exc:
        raise CliError(str(exc)) from None
    choice = PublishChoice(args.good_rows, args.dry_run, args.unmapped_terms)
    return 0 if publish_reading(engine, reading, choice, print) else 1


def _serve(args: argparse.Namespace, url: str) -> int:
    import uvicorn

    if bool(args.tls_cert) != bool(args.tls_key):
        raise CliError("--tls-cert and --tls-key go together.")
    proxy = _proxy_address(args.behind_tls_proxy)
    if not args.tls_cert and proxy is None and not is_loopback(args.host):
        raise CliError(
            f"Refusing to serve on {args.host} without TLS: passwords and records would cross "
            "the network unencrypted. Give --tls-cert and --tls-key, or, when a TLS proxy in "
            "front of this server forwards to it, --behind-tls-proxy with the proxy's address.")
    if any(days is not None and days <= 0 for days in (args.token_days, args.lease_days)):
        raise CliError("--token-days and --lease-days must be more than 0.")
    engine = make_engine(url, pool_size=1)
    try:
        migrations.upgrade(engine)  # once, before any worker starts
    finally:
        engine.dispose()
    os.environ[DATABASE_URL_ENV] = url  # workers build their own engine from it
    for name, days in ((TOKEN_LIFETIME_ENV, args.token_days), (LEASE_ENV, args.lease_days)):
        if days is not None:
            os.environ[name] = str(max(1, round(days * 86_400)))
    if args.console_idle_minutes is not None:
        if args.console_idle_minutes <= 0:
            raise CliError("--console-idle-minutes must be more than 0.")
        os.environ[CONSOLE_IDLE_ENV] = str(max(1, round(args.console_idle_minutes * 60)))
    if proxy is not None:
        os.environ[TRUSTED_PROXY_ENV] = proxy
    else:
        os.environ.pop(TRUSTED_PROXY_ENV, None)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        "sp_desktop.server.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=max(1, args.workers),
        ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
        ssl_keyfile=str(args.tls_key) if args.tls_key else None,
        log_level=args.log_level,
        server_header=False,
        # uvicorn would believe X-Forwarded-For from any loopback peer; the app believes only
        # the proxy named with --behind-tls-proxy.
        proxy_headers=False,
    )
    return 0


def _proxy_address(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError as exc:
        raise CliError(f"--behind-tls-proxy needs the proxy's IP address, not {text!r}.") from exc


def _erasure(args: argparse.Namespace, engine: Engine) -> None:
    from sp_desktop.server import erasure

    if args.command == "erase":
        try:
            done = erasure.erase_person(engine, args.person_id, reason=args.reason, by=args.by)
        except ValidationError as exc:
            raise CliError(exc.message) from None
        print(f"Erased: {done.rows} record(s) and {done.conflict_copies} conflict copy(ies) "
              f"deleted at the office. Erasure {done.id}: each laptop of the team purges its "
              "copy at its next sync ('sp-server erasures show' lists who has confirmed).")
    elif args.action == "list":
        with read_transaction(engine) as conn:
            listing = erasure.erasure_list(conn)
        print("erasure\tperson\terased at\tby\trecords\treason")
        for e in listing:
            print(f"{e['id']}\t{e['person_id']}\t{e['erased_at']}\t{e['erased_by']}\t"
                  f"{e['rows_erased']}\t{e['reason']}")
    else:
        with read_transaction(engine) as conn:
            try:
                lines = erasure.confirmations(conn, args.erasure_id)
            except NoResultFound:
                raise CliError(f"No erasure {args.erasure_id!r}.") from None
        print("device\tadviser\tconfirmed")
        for line in lines:
            state = line["confirmed_at"] or ("revoked" if line["revoked"] else "not yet")
            print(f"{line['device_id']}\t{line['adviser']}\t{state}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (CliError, AccountError) as exc:
        print(f"sp-server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
