"""Fast checks that the spec, launcher, installer scripts and self-test agree (no freezing here)."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

import sp_desktop
from sp_desktop.cli import build_parser, default_data_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "sp-desktop.spec"
ISS = PACKAGING / "windows" / "sp-desktop.iss"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


appinfo = _load("sp_packaging_appinfo", PACKAGING / "appinfo.py")
qt_policy = _load("sp_packaging_qt_policy", PACKAGING / "hooks" / "qt_policy.py")


def _pyproject_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def _iss_define(name: str) -> str:
    match = re.search(rf'^\s*#define {name} "([^"]*)"', ISS.read_text(encoding="utf-8"), re.M)
    assert match, f"{name} is not defined in {ISS.name}"
    return match.group(1)


def _iss_setting(name: str) -> str:
    match = re.search(rf"^{name}=(.*)$", ISS.read_text(encoding="utf-8"), re.M)
    assert match, f"{name} is not set in {ISS.name}"
    return match.group(1).strip()


def _spec_excludes() -> set[str]:
    """The literal module names in the spec's `excludes = [...]`."""
    for node in ast.walk(ast.parse(SPEC.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "excludes" for t in node.targets
        ):
            assert isinstance(node.value, ast.List)
            return {
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
    raise AssertionError("no excludes list in the spec")


def test_versions_agree() -> None:
    version = _pyproject_version()
    assert appinfo.version() == version
    assert sp_desktop.__version__ == version
    # The installer's fallback version; build.py passes the real one, but it must not go stale.
    assert _iss_define("AppVersion") == version


def test_windows_version_resource_numbers() -> None:
    assert appinfo.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert appinfo.version_tuple("2.10.3rc1") == (2, 10, 3, 0)
    assert appinfo.version_tuple("1.2") == (1, 2, 0, 0)


def test_inno_script_names_the_same_app() -> None:
    assert _iss_setting("AppId") == "{" + appinfo.WINDOWS_APP_ID
    assert _iss_define("AppName") == appinfo.APP_NAME
    assert _iss_define("ExeName") == f"{appinfo.EXE_NAME}.exe"
    assert _iss_define("ConsoleExeName") == f"{appinfo.CONSOLE_EXE_NAME}.exe"
    assert _iss_define("SourceDir").replace("\\", "/").endswith(f"dist/{appinfo.EXE_NAME}")
    # The folder the uninstaller leaves alone is the one the app really stores data in.
    assert _iss_define("DataFolderName") == default_data_dir().name == appinfo.APP_NAME


def test_inno_script_installs_per_user_and_keeps_data_by_default() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert _iss_setting("PrivilegesRequired") == "lowest"
    assert _iss_setting("DefaultDirName").startswith("{localappdata}\\Programs\\")
    assert "RemoveUserData := False;" in text
    assert "DeleteBox.Checked := False;" in text
    assert "MB_DEFBUTTON2" in text  # the confirmation defaults to "No"
    # Nothing in [UninstallDelete] may reach the data folder or sweep all of {app}.
    section = text.split("[UninstallDelete]", 1)[1].split("[Code]", 1)[0]
    assert "localappdata}\\{#DataFolderName" not in section
    assert "{app}\\*" not in section


def test_spec_keeps_every_qt_module_the_app_imports() -> None:
    excludes = _spec_excludes()
    used = set()
    for path in (ROOT / "sp_desktop").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if any(module == e or module.startswith(e + ".") for e in excludes):
            continue  # not shipped: developer tools and the server
        used |= set(re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    excluded = {name.split(".", 1)[1] for name in excludes if name.startswith("PySide6.")}
    assert used, "no Qt modules found: the scan is broken"
    # QtSvg is excluded only while USE_SVG is off in the spec.
    assert not used & excluded, f"the app imports {used & excluded}, which the spec leaves out"
    assert {"QtCore", "QtGui", "QtWidgets"} <= used
    # Each has a hook here, so qt_policy trims its plugins and translations.
    missing_hooks = {m for m in used if not (PACKAGING / "hooks" / f"hook-PySide6.{m}.py").exists()}
    assert not missing_hooks, f"add packaging/hooks/hook-PySide6.<module>.py for {missing_hooks}"


def test_spec_bundles_resources_and_migrations_it_names() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert '"launcher.py"' in text and (PACKAGING / "launcher.py").exists()
    for needed in ("sp_desktop/resources", "sp_desktop/store/migrations", "script.py.mako"):
        assert needed in text
    assert (ROOT / "sp_desktop" / "store" / "migrations" / "script.py.mako").exists()
    for key in ("CFBundleShortVersionString", "CFBundleIdentifier", "LSMinimumSystemVersion"):
        assert key in text
    assert (PACKAGING / "macos" / "entitlements.plist").exists()


@pytest.mark.parametrize(
    ("source", "dest", "kept"),
    [
        ("Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms", True),
        ("Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/platforms", True),
        ("plugins/platforms/qwindows.dll", "PySide6/plugins/platforms", True),
        ("Qt/plugins/platforms/libqcocoa.dylib", "PySide6/Qt/plugins/platforms", True),
        ("Qt/plugins/platforms/libqwayland.so", "PySide6/Qt/plugins/platforms", False),
        ("Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms", False),
        ("Qt/plugins/platformthemes/libqgtk3.so", "PySide6/Qt/plugins/platformthemes", False),
        ("Qt/plugins/generic/libqevdevmouseplugin.so", "PySide6/Qt/plugins/generic", False),
        ("Qt/plugins/tls/libqopensslbackend.so", "PySide6/Qt/plugins/tls", False),
        ("plugins/styles/qmodernwindowsstyle.dll", "PySide6/plugins/styles", True),
        (
            "Qt/plugins/printsupport/libcupsprintersupport.so",
            "PySide6/Qt/plugins/printsupport",
            True,
        ),
        ("Qt/lib/libQt6Core.so.6", "PySide6/Qt/lib", True),
        ("Qt/plugins/platforms/darwin/x.dylib", "PySide6/Qt/plugins/platforms/darwin", True),
    ],
)
def test_qt_plugin_policy(source: str, dest: str, kept: bool) -> None:
    assert qt_policy.keep_binary(source, dest) is kept


def test_qt_translations_are_dropped() -> None:
    _, datas = qt_policy.trim([], [("Qt/translations/qtbase_de.qm", "PySide6/Qt/translations")])
    assert datas == []


def test_icons_are_there_in_every_format() -> None:
    from PIL import Image

    icons = PACKAGING / "icons"
    with Image.open(icons / "sp-desktop.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(icons / "sp-desktop.icns") as icns:
        assert icns.size == (1024, 1024)
    with Image.open(icons / "sp-desktop.png") as png:
        assert png.size == (256, 256)
    assert (icons / "sp-desktop.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_cli_answers_self_test() -> None:
    assert build_parser().parse_args(["--self-test"]).self_test is True


def test_launcher_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, str(PACKAGING / "launcher.py"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"SP Desktop {sp_desktop.__version__}"


def test_self_test_passes_from_source() -> None:
    """What the frozen build runs, here from source, in a process of its own (it makes a QApp)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from sp_desktop.selftest import run_self_test; sys.exit(run_self_test())",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("Self-test passed")
    checks = [line.split()[1] for line in lines if line.startswith(("ok ", "FAIL"))]
    for name in ("store", "encryption", "migrations", "pdf", "qt", "resources", "cleanup"):
        assert name in checks
    assert not any(line.startswith("FAIL") for line in lines)
