"""Reading the data files installed with SP Desktop (resources/, the package sp_desktop.resources).

The one door to them for every layer: the services' typed loaders, the directory importer and
the demo generator all read through it, frozen or from source.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

# A source checkout (a git worktree) reads its own resources/ beside the package: an editable
# install maps sp_desktop.resources to the checkout it was installed from, which in a second
# worktree is another branch's files.
_SOURCE_RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Traversable:
    """A file under resources/, one path part at a time.

    Frozen, the resources are a namespace package whose MultiplexedPath.joinpath takes a single
    part on Python 3.11 (`joinpath("words", name)` raised TypeError in the installed app); `/`
    one part at a time works on every kind of Traversable.
    """
    found: Traversable
    if (_SOURCE_RESOURCES / "conversation_guide.json").is_file():
        found = _SOURCE_RESOURCES
    else:
        found = files("sp_desktop.resources")
    for part in parts:
        found = found / part
    return found


def resource_lines(*parts: str) -> list[str]:
    """The non-blank lines of a word list, stripped."""
    text = resource(*parts).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_json(name: str) -> Any:
    return json.loads(resource(name).read_text(encoding="utf-8"))
