"""`sp-desktop --self-test`: proves an installed or frozen copy has all it needs, headless."""

from __future__ import annotations

import contextlib
import io
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# A name no real store holds, with letters outside ASCII so encoding is exercised too. It is
# looked for, byte for byte, in the database files: finding it there means plain SQLite.
GIVEN_NAME = "Zoëselftest"
FAMILY_NAME = "Dvořákcheck"
DATE_OF_BIRTH = date(1950, 2, 28)
PASSPHRASE = "self-test only, never a real store"
NEW_PASSPHRASE = "self-test changed it, still never a real store"


class CheckFailed(Exception):
    """A check ran and found something wrong; the message says what, in plain words."""


@dataclass
class SelfTest:
    """The checks run so far.

    Attributes:
        folder: the temporary folder holding the throwaway store.
        person_id: the person the store check wrote, read back after reopening.
        results: (check name, passed, one-line detail), in the order run.
        warnings: findings worth printing that do not fail the test (missing system libraries).
    """

    folder: Path
    person_id: str = ""
    recovery_key: str = ""
    results: list[tuple[str, bool, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def run(self, name: str, check: Callable[[], str]) -> bool:
        started = time.perf_counter()
        try:
            detail = check()
            passed = True
        except Exception as exc:  # any failure is a finding to report, never a crash
            detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
            passed = False
        elapsed = time.perf_counter() - started
        self.results.append((name, passed, detail))
        print(f"{'ok  ' if passed else 'FAIL'} {name:<12} {detail} ({elapsed:.2f}s)", flush=True)
        return passed

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.results)


def _check_runtime() -> str:
    from sp_desktop import __version__

    frozen = "frozen" if getattr(sys, "frozen", False) else "from source"
    return (
        f"SP Desktop {__version__}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {frozen}"
    )


def _check_libraries() -> str:
    """The libraries the UI and sync need, so a frozen build that left one out fails here."""
    import httpx
    import orjson
    import platformdirs
    import uuid_utils
    from zxcvbn import zxcvbn

    if orjson.loads(orjson.dumps({"ok": [1, 2]})) != {"ok": [1, 2]}:
        raise CheckFailed("orjson round trip changed the data")
    if uuid_utils.uuid7().version != 7:
        raise CheckFailed("uuid_utils did not make a version 7 UUID")
    if zxcvbn("correct horse battery staple")["score"] < 3:
        raise CheckFailed("zxcvbn's word lists are missing")
    platformdirs.user_data_dir("SP Desktop", appauthor=False)
    httpx.URL("https://example.invalid/sync")  # parses only: the self-test never uses a network
    return "httpx, orjson, platformdirs, uuid_utils, zxcvbn"


def _store_check(test: SelfTest) -> Callable[[], str]:
    def check() -> str:
        from sqlalchemy import text

        from sp_desktop.services.workspace import Workspace
        from sp_desktop.store.keyfile import Argon2Params

        # Light Argon2 settings: the wrap is real, but the self-test should not take a second.
        params = Argon2Params(memory_kib=8 * 1024, iterations=1, lanes=1)
        ws, test.recovery_key = Workspace.create(
            test.folder, PASSPHRASE, adviser="Self-test", params=params
        )
        try:
            with ws.store.read() as conn:
                cipher = conn.execute(text("PRAGMA cipher_version")).scalar()
                provider = conn.execute(text("PRAGMA cipher_provider")).scalar()
            if not cipher:
                raise CheckFailed("PRAGMA cipher_version is empty: this is plain SQLite")
            created = ws.people.create(
                given_name=GIVEN_NAME, family_name=FAMILY_NAME, date_of_birth=DATE_OF_BIRTH
            )
            test.person_id = created.id
            person = ws.people.get(created.id)
            if (person.given_name, person.family_name, person.date_of_birth) != (
                GIVEN_NAME,
                FAMILY_NAME,
                DATE_OF_BIRTH,
            ):
                raise CheckFailed("the person read back differs from the one written")
        finally:
            ws.close()
        return f"SQLCipher {cipher} ({provider}); a person written and read back"

    return check


def _encryption_check(test: SelfTest) -> Callable[[], str]:
    def check() -> str:
        from sp_desktop.services.workspace import Workspace
        from sp_desktop.store.database import DATABASE_NAME

        files = sorted(test.folder.glob(DATABASE_NAME + "*"))
        if not files:
            raise CheckFailed("no database file was written")
        for path in files:
            data = path.read_bytes()
            if data.startswith(b"SQLite format 3\x00"):
                raise CheckFailed(f"{path.name} has a plain SQLite header")
            for needle in (GIVEN_NAME, FAMILY_NAME):
                if needle.encode("utf-8") in data:
                    raise CheckFailed(f"{path.name} holds the name in plain text")
        ws = Workspace.open(test.folder, PASSPHRASE)
        try:
            person = ws.people.get(test.person_id)
        finally:
            ws.close()
        if person.given_name != GIVEN_NAME:
            raise CheckFailed("the person read back after reopening differs")
        return f"{len(files)} database file(s) hold no plain text; reopened with the passphrase"

    return check


def _check_migrations() -> str:
    from alembic.script import ScriptDirectory

    from sp_desktop.store import migrations

    script = ScriptDirectory.from_config(migrations.alembic_config())
    heads = script.get_heads()
    if heads != [migrations.HEAD_REVISION]:
        raise CheckFailed(f"migration head is {heads}, expected {migrations.HEAD_REVISION}")
    revisions = list(script.walk_revisions())
    return f"{len(revisions)} migration(s) found, head {heads[0]}"


def _migrated_store_check(test: SelfTest) -> Callable[[], str]:
    def check() -> str:
        from sp_desktop.store import migrations
        from sp_desktop.store.database import Store

        store = Store.open(test.folder, PASSPHRASE)  # runs the migrations (a no-op when current)
        try:
            with store.read() as conn:
                revision = migrations.current_revision(conn)
        finally:
            store.close()
        if revision != migrations.HEAD_REVISION:
            raise CheckFailed(f"store is at {revision}, expected {migrations.HEAD_REVISION}")
        return f"the new store is at revision {revision}"

    return check


def _check_fhir() -> str:
    """A record and a message back built and validated, so a build that left out part of
    fhir.resources (it finds its models by name at run time) or pydantic fails here."""
    from sp_desktop.interchange.fhir_prsb import (
        Author,
        MessageBack,
        Recipient,
        message_bundle,
    )
    from sp_desktop.interchange.fhir_record import SOCIAL_PRESCRIBING_OFFERED, record_bundle
    from sp_desktop.interchange.records import (
        ConcernFacts,
        MeasureAnswers,
        PersonFacts,
        PersonRecord,
        ReferralFacts,
        StepFacts,
        measure_definitions,
    )

    definitions = measure_definitions()
    person = PersonFacts("self-test", GIVEN_NAME, FAMILY_NAME, date_of_birth=DATE_OF_BIRTH)
    referral = ReferralFacts(
        "self-test-referral", DATE_OF_BIRTH, "self", "Self-referral", "", "", "", "active",
        "given",
    )
    answers = tuple(
        MeasureAnswers(
            f"self-test-{d.key}", d.key, DATE_OF_BIRTH, "baseline",
            tuple((item.link_id, None) for item in d.items),
        )
        for d in definitions.values()
    )
    record = PersonRecord(
        person, "Self-test", (referral,), (StepFacts("self-test-step", "A step", 3),),
        measures=answers,
    )
    bundle = record_bundle([record], definitions)
    message = message_bundle(
        MessageBack(
            "self-test-message", person, referral,
            (ConcernFacts("self-test-concern", "Area", "Words", 5),), (), (), None, None, "",
            None, (SOCIAL_PRESCRIBING_OFFERED,), Author("Self-test", "Link worker", "Team"),
            Recipient("Self-test", "GP", "Practice"), "Practice", DATE_OF_BIRTH,
        )
    )
    return (
        f"FHIR R4: {len(bundle.model.entry or [])} + {len(message.model.entry or [])} "
        "resources validated"
    )


def _check_pdf() -> str:
    from sp_desktop.pdf.plan import build_plan
    from sp_desktop.pdf.samples import sample_plan

    pdf = build_plan(sample_plan())
    if not pdf.startswith(b"%PDF-"):
        raise CheckFailed("the plan is not a PDF")
    if b"AtkinsonHyperlegible" not in pdf:
        raise CheckFailed("the plan does not embed Atkinson Hyperlegible")
    return f"sample plan built, {len(pdf) // 1024} KiB, fonts embedded"


def _check_preview() -> str:
    """The print preview draws pages with PDFium; its shared library must be bundled."""
    import pypdfium2  # type: ignore[import-untyped]  # ships no py.typed marker

    from sp_desktop.pdf.plan import build_plan
    from sp_desktop.pdf.samples import sample_plan

    document = pypdfium2.PdfDocument(build_plan(sample_plan()))
    try:
        pages = len(document)
        bitmap = document[0].render(scale=0.5)
        width, height = bitmap.width, bitmap.height
    finally:
        document.close()
    if not pages or width <= 0 or height <= 0:
        raise CheckFailed("PDFium rendered nothing")
    return f"PDFium drew page 1 of {pages} ({width}x{height} px)"


def _check_resources() -> str:
    from sp_desktop.domain.measures import DefinitionError
    from sp_desktop.services.resources import conversation_guide, measures, ons4_questionnaire

    guide = conversation_guide()
    ons4 = ons4_questionnaire()
    if not guide.domains:
        raise CheckFailed("the conversation guide has no life domains")
    try:
        found = measures()
    except DefinitionError as error:
        raise CheckFailed(f"a questionnaire definition does not fit: {error}") from None
    return (
        f"conversation guide ({len(guide.domains)} domains), ONS4 ({len(ons4.questions)} items), "
        f"{len(found)} questionnaires ({', '.join(m.short_title for m in found)})"
    )


def run_self_test() -> int:
    """Runs every check, one line each, in a throwaway folder; 0 only if all pass."""
    folder = Path(tempfile.mkdtemp(prefix="sp-desktop-selftest-"))
    test = SelfTest(folder / "store")
    print(f"SP Desktop self-test in {folder}", flush=True)
    try:
        test.run("runtime", _check_runtime)
        test.run("resources", _check_resources)
        stored = test.run("store", _store_check(test))
        if stored:
            test.run("encryption", _encryption_check(test))
            test.run("migrations", _check_migrations)
            test.run("schema", _migrated_store_check(test))
            test.run("commands", _commands_check(test))
        test.run("pdf", _check_pdf)
        test.run("fhir", _check_fhir)
        test.run("preview", _check_preview)
        # The Qt checks live in the UI package: only ui/ and app.py import Qt.
        from sp_desktop.ui.selfcheck import long_session_check, qt_checks, ui_checks, with_qt

        test.run("qt", with_qt(test, qt_checks))
        test.run("long-session", with_qt(test, long_session_check))
        test.run("ui", with_qt(test, ui_checks))
        test.run("libraries", _check_libraries)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        test.run("cleanup", lambda: _check_removed(folder))
    for warning in test.warnings:
        print(f"warn {warning}", flush=True)
    failed = [name for name, ok, _ in test.results if not ok]
    if failed:
        print(f"Self-test FAILED: {', '.join(failed)}", flush=True)
        return 1
    print(f"Self-test passed: {len(test.results)} checks.", flush=True)
    return 0


@contextlib.contextmanager
def _answering(*answers: str) -> Iterator[None]:
    """Answers a command's prompts (hidden or not) in turn, as a person at the keyboard would."""
    import builtins
    import getpass

    queue = list(answers)

    def answer(_prompt: str = "") -> str:
        if not queue:
            raise CheckFailed("the command asked more questions than expected")
        return queue.pop(0)

    saved = builtins.input, getpass.getpass
    builtins.input, getpass.getpass = answer, answer  # type: ignore[assignment]
    try:
        yield
    finally:
        builtins.input, getpass.getpass = saved


def _commands_check(test: SelfTest) -> Callable[[], str]:
    """Every command an adviser or office can reach, through the real command line: a training
    store made, checked, its passphrase changed, opened and printed; the first store recovered."""

    def check() -> str:
        from sp_desktop import cli
        from sp_desktop.services.documents import plan_pdf
        from sp_desktop.services.workspace import Workspace

        demo_folder = test.folder.parent / "commands"
        secret = test.folder.parent / "passphrase.txt"
        secret.write_text(PASSPHRASE, encoding="utf-8")
        common = ["--data-dir", str(demo_folder), "--passphrase-file", str(secret)]

        def run(*argv: str) -> None:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                code = cli.main(list(argv))
            if code != 0:
                said = printed.getvalue().strip().splitlines()[-1:] or ["nothing"]
                raise CheckFailed(f"'sp-desktop {argv[0]}' exited {code}: {said[0]}")

        run("demo", *common, "--people", "3")
        run("check", *common)
        with _answering(NEW_PASSPHRASE, NEW_PASSPHRASE):
            run("passwd", *common)
        secret.write_text(NEW_PASSPHRASE, encoding="utf-8")
        run("rekey", *common)
        ws = Workspace.open(demo_folder, NEW_PASSPHRASE)
        try:
            first = ws.caseload.search("")[0]
            pdf = plan_pdf(ws, first.person_id).pdf
        finally:
            ws.close()
        if not pdf.startswith(b"%PDF-"):
            raise CheckFailed("the plan printed from the training store is not a PDF")
        with _answering(test.recovery_key, NEW_PASSPHRASE, NEW_PASSPHRASE):
            run("recover", "--data-dir", str(test.folder))
        Workspace.open(test.folder, NEW_PASSPHRASE).close()
        return "demo, check, passwd, rekey, recover; a store opened and a plan printed from it"

    return check


def _check_removed(folder: Path) -> str:
    if folder.exists():
        raise CheckFailed(f"{folder} could not be removed")
    return "temporary folder removed"


if __name__ == "__main__":
    sys.exit(run_self_test())
