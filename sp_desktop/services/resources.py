"""The typed loaders for data schemes adapt without code: the guide, the questionnaires.

Questionnaires are measures (resources/measures/, read by domain/measures.py); ONS4's typed
view here serves the screens and printouts written around its four questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sp_desktop.domain.measures import Measure, catalogue
from sp_desktop.domain.wellbeing import ONS4, Ons4Item
from sp_desktop.resource_files import load_json


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
    definition = catalogue()[ONS4]
    questions = tuple(
        Ons4Question(
            Ons4Item(item.key),
            item.question,
            item.labels[item.low],
            item.labels[item.high],
            item.plain_label,
        )
        for item in definition.items
    )
    if [q.item for q in questions] != list(Ons4Item):
        raise ValueError("measures/ons4.json must list the four ONS items in order")
    return Ons4Questionnaire(definition.preamble, questions)


def measures() -> tuple[Measure, ...]:
    """Every measure shipped, ONS4 first (for the settings dialog)."""
    found = list(catalogue().values())
    found.sort(key=lambda m: m.key != ONS4)
    return tuple(found)
