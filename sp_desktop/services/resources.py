"""The one loader for data schemes adapt without code (resources/, installed as a package)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from sp_desktop.domain.wellbeing import Ons4Item


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


@dataclass(frozen=True, slots=True)
class LifeDomain:
    key: str
    title: str
    prompts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConversationGuide:
    title: str
    opening: str
    domains: tuple[LifeDomain, ...]

    def domain(self, key: str) -> LifeDomain:
        for domain in self.domains:
            if domain.key == key:
                return domain
        raise KeyError(key)


@dataclass(frozen=True, slots=True)
class Ons4Question:
    item: Ons4Item
    question: str
    low_anchor: str
    high_anchor: str
    plain_label: str


@dataclass(frozen=True, slots=True)
class Ons4Questionnaire:
    preamble: str
    questions: tuple[Ons4Question, ...]


@cache
def conversation_guide() -> ConversationGuide:
    raw = load_json("conversation_guide.json")
    domains = tuple(LifeDomain(d["key"], d["title"], tuple(d["prompts"])) for d in raw["domains"])
    return ConversationGuide(raw["title"], raw["opening"], domains)


@cache
def ons4_questionnaire() -> Ons4Questionnaire:
    raw = load_json("ons4.json")
    questions = tuple(
        Ons4Question(
            Ons4Item(q["key"]), q["question"], q["low_anchor"], q["high_anchor"], q["plain_label"]
        )
        for q in raw["items"]
    )
    if [q.item for q in questions] != list(Ons4Item):
        raise ValueError("ons4.json must list the four ONS items in order")
    return Ons4Questionnaire(raw["preamble"], questions)
