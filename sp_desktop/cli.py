"""The `sp-desktop` command: run the app, make a training store, check, recover or rekey a store,
export a person's record."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sp_desktop import __version__

PASSPHRASE_ENV = "SP_DESKTOP_PASSPHRASE"
log = logging.getLogger("sp_desktop")


def default_data_dir() -> Path:
    """The per-user data folder (e.g. %LOCALAPPDATA%\\SP Desktop on Windows)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("SP Desktop", appauthor=False))


def _passphrase(args: argparse.Namespace, *, prompt: str = "Passphrase: ") -> str:
    """From --passphrase-file, then SP_DESKTOP_PASSPHRASE, then a hidden prompt.

    The file may start with a byte-order mark (Windows Notepad writes one): it is not part of
    the passphrase. Normalising (NFC) happens in the store, for every way in alike."""
    if args.passphrase_file:
        return Path(args.passphrase_file).read_text(encoding="utf-8-sig").rstrip("\r\n")
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    return getpass.getpass(prompt)


def _cmd_run(args: argparse.Namespace) -> int:
    from sp_desktop.app import run

    return run(args.data_dir)


def _cmd_demo(args: argparse.Namespace) -> int:
    from sp_desktop.services.demo import DEMO_PASSPHRASE, create_demo_store

    explicit = bool(args.passphrase_file or os.environ.get(PASSPHRASE_ENV))
    passphrase = _passphrase(args) if explicit else DEMO_PASSPHRASE
    print(f"Creating a training store with {args.people} synthetic people in {args.data_dir} ...")
    ws = create_demo_store(args.data_dir, passphrase, args.people, seed=args.seed)
    ws.close()
    print("Done. Everyone in it is invented; NHS numbers are from the never-issued 999 range.")
    if explicit:
        print("Unlock it with the passphrase you gave.")
    else:
        print(f'Unlock it with the passphrase: "{passphrase}"')
    print(f"Open it with:  sp-desktop --data-dir {args.data_dir}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 healthy (or restored with --restore), 1 damaged, 2 could not check (message)."""
    from sp_desktop.services.workspace import Workspace, restore_warning
    from sp_desktop.store.database import DAMAGED_FOLDER

    passphrase = _passphrase(args)
    report = Workspace.check(args.data_dir, passphrase)
    print(f"Store: {args.data_dir}")
    for finding in report.findings:
        print(finding)
    if report.ok:
        print("The store is healthy.")
        return 0
    print("The store is damaged: see above. The check has left it exactly as it was.")
    if report.backup is None:
        print("There is no good backup of it on this laptop. Please contact your office.")
        return 1
    print(restore_warning(report.backup))
    if not args.restore:
        print(f"To restore that backup, run:  sp-desktop check --restore --data-dir "
              f"{args.data_dir}")
        return 1
    Workspace.restore_backup(args.data_dir, passphrase, report.backup).close()
    print(f"Restored the backup from {report.backup.describe()}. The damaged file is kept in "
          f"{args.data_dir / DAMAGED_FOLDER}.")
    return 0


def _new_passphrase() -> str | None:
    """Typed twice and held to the same rule as everywhere else; None when it cannot be used."""
    from sp_desktop.domain.passphrase import TIP, normalise, passphrase_problem

    new = getpass.getpass("New passphrase: ")
    problem = passphrase_problem(new)
    if problem:
        print(f"{problem} {TIP} Nothing was changed.")
        return None
    if normalise(new) != normalise(getpass.getpass("New passphrase again: ")):
        print("The two passphrases differ; nothing was changed.")
        return None
    return new


def _cmd_recover(args: argparse.Namespace) -> int:
    from sp_desktop.store.database import Store

    recovery_key = input("Recovery key (from your office): ")
    new = _new_passphrase()
    if new is None:
        return 1
    Store.recover(args.data_dir, recovery_key, new).close()
    print("Done: the store now opens with the new passphrase. Nothing was lost.")
    return 0


def _cmd_passwd(args: argparse.Namespace) -> int:
    from sp_desktop.store.database import Store

    old = _passphrase(args, prompt="Current passphrase: ")
    store = Store.open(args.data_dir, old)
    try:
        new = _new_passphrase()
        if new is None:
            return 1
        store.change_passphrase(old, new)
    finally:
        store.close()
    print("Passphrase changed.")
    return 0


def _cmd_rekey(args: argparse.Namespace) -> int:
    """A new data key for the whole store, and a new recovery key shown here once."""
    from sp_desktop.domain.errors import ValidationError
    from sp_desktop.pdf.recovery_sheet import KEEP_IT_SAFE
    from sp_desktop.store.database import Store

    passphrase = _passphrase(args)
    store = Store.open(args.data_dir, passphrase)
    try:
        print("Encrypting the store again with a new key. Please keep the laptop switched on…")
        recovery_key = store.rekey(passphrase)
    except ValidationError as exc:
        print(f"{exc} Change your passphrase first (sp-desktop passwd), then try again.")
        return 1
    finally:
        store.close()
    print("Done. The store has a new key; the old recovery key no longer opens it.")
    print()
    print(f"Your new recovery key:  {recovery_key}")
    print()
    print(KEEP_IT_SAFE)
    return 0


EXPORT_FORMATS = ("fhir", "csv")


def _cmd_export(args: argparse.Namespace) -> int:
    """One person's record to a file: FHIR R4 JSON, or a zip of CSV tables for analysts."""
    from sp_desktop.services import records
    from sp_desktop.services.workspace import Workspace

    out = Path(args.out)
    if out.exists():
        print(f"{out} already exists; choose another name (nothing was written).", file=sys.stderr)
        return 2
    ws = Workspace.open(args.data_dir, _passphrase(args))
    try:
        person = ws.people.find(args.person)
        make = records.fhir_export if args.format == "fhir" else records.csv_export
        export = make(ws, person.id)
        out.write_bytes(export.data)
        records.record_exported(ws, export)
    finally:
        ws.close()
    what = "FHIR R4 bundle" if args.format == "fhir" else "CSV tables for analysts (zip)"
    print(f"Wrote {out}: {what}, {len(export.data):,} bytes.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sp-desktop", description="SP Desktop: social prescribing for link workers."
    )
    parser.add_argument("--version", action="version", version=f"SP Desktop {__version__}")
    parser.add_argument(
        "--self-test", action="store_true",
        help="check this installation (store, encryption, Qt, PDF) in a temporary folder",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder holding the encrypted store (default: your per-user data folder)",
    )
    common.add_argument(
        "--passphrase-file",
        default=None,
        help=f"read the passphrase from this file (or set {PASSPHRASE_ENV})",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="open the store in this folder")
    parser.set_defaults(func=_cmd_run, passphrase_file=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    run = commands.add_parser("run", parents=[common], help="open the app (the default)")
    run.set_defaults(func=_cmd_run)
    demo = commands.add_parser("demo", parents=[common], help="create a training store")
    demo.add_argument("--people", type=int, default=150, help="how many people (default 150)")
    demo.add_argument("--seed", type=int, default=1, help="random seed for the synthetic data")
    demo.set_defaults(func=_cmd_demo)
    check = commands.add_parser("check", parents=[common], help="verify a store")
    check.add_argument("--restore", action="store_true",
                       help="if the store is damaged, put the newest good backup in its place")
    check.set_defaults(func=_cmd_check)
    recover = commands.add_parser(
        "recover", parents=[common], help="set a new passphrase using the recovery key"
    )
    recover.set_defaults(func=_cmd_recover)
    passwd = commands.add_parser("passwd", parents=[common], help="change the passphrase")
    passwd.set_defaults(func=_cmd_passwd)
    rekey = commands.add_parser(
        "rekey", parents=[common],
        help="encrypt the store again with a new key and get a new recovery key",
    )
    rekey.set_defaults(func=_cmd_rekey)
    export = commands.add_parser(
        "export", parents=[common], help="write one person's record to a file (FHIR or CSV)"
    )
    export.add_argument(
        "--person", required=True, help="their NHS number (spaces allowed) or record id"
    )
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, default="fhir",
        help="fhir: a FHIR R4 bundle (JSON); csv: tables for analysts, nobody named (zip)",
    )
    export.add_argument("--out", required=True, help="the file to write (must not exist yet)")
    export.set_defaults(func=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from sp_desktop.domain.errors import SpDesktopError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.self_test:
        from sp_desktop.selftest import run_self_test

        return run_self_test()
    args.data_dir = args.data_dir or default_data_dir()
    try:
        return int(args.func(args))
    except SpDesktopError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        known = _known_os_error(exc)
        if known is None:
            raise
        print(known, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _known_os_error(exc: OSError) -> str | None:
    """A full disk or a read-only place, said as the app says it (never a traceback)."""
    import errno

    from sp_desktop.store.errors import DiskFull

    if exc.errno == errno.ENOSPC:
        return str(DiskFull())
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"SP Desktop cannot write there{where}: it is read-only. Nothing was changed."
    return None


if __name__ == "__main__":
    sys.exit(main())
