"""Reading the data files installed with SP Desktop (resources/, the package sp_desktop.resources).

The one door to them for every layer: the services' typed loaders, the directory importer and
the demo generator all read through it, frozen or from source.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any


def resource(*parts: str) -> Traversable:
    """A file under resources/, one path part at a time.

    Frozen, the resources are a namespace package whose MultiplexedPath.joinpath takes a single
    part on Python 3.11 (`joinpath("words", name)` raised TypeError in the installed app); `/`
    one part at a time works on every kind of Traversable.
    """
    found: Traversable = files("sp_desktop.resources")
    for part in parts:
        found = found / part
    return found


def resource_lines(*parts: str) -> list[str]:
    """The non-blank lines of a word list, stripped."""
    text = resource(*parts).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_json(name: str) -> Any:
    return json.loads(resource(name).read_text(encoding="utf-8"))
