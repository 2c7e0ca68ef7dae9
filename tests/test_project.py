"""Project wiring that would otherwise rot silently: packaging lists and the README's promises."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_package_is_listed_for_installation() -> None:
    """The package list is written by hand (resources/ is mapped in), so check it is whole."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "sp_desktop").rglob("__init__.py")
    } | {"sp_desktop.resources"}
    # Each folder of data under resources/ too: unlisted, setuptools warns at every install.
    on_disk |= {
        f"sp_desktop.resources.{folder.name}"
        for folder in (ROOT / "resources").iterdir()
        if folder.is_dir() and not folder.name.startswith((".", "__"))
    }
    assert listed == on_disk


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line.split("#")[0].strip() for line in readme.split("```")[1].splitlines()[1:]]
    assert commands[:2] == [
        "python3 -m sp_desktop.devtools try",
        "python3 -m sp_desktop.devtools test",
    ]
    assert "python3 -m sp_desktop.devtools test" in (ROOT / ".ci" / "run").read_text()
