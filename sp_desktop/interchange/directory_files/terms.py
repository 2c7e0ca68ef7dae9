"""Which scheme category and five ways a council's taxonomy terms (or a service) stand for.

The built-in names come from resources/directory/categories.json (each category's key, label
and `also_known_as`, each way's key and label). The office adds its own in a mapping file it
keeps and edits, for its council's terms and for single services that carry no terms at all:

    {"terms": [{"term": "Lunch clubs", "category": "social_activity", "ways": ["connect"]}],
     "services": [{"id": "1234", "category": "volunteering", "ways": ["give"]}]}

Terms match by code or name, ignoring case, accents and punctuation; a term may give ways
without a category. Services not mapped arrive 'to be categorised'.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sp_desktop.domain.directory import Category, WellbeingWay, ways_in_order
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.text import fold
from sp_desktop.interchange import oruk


def term_key(text: str) -> str:
    """'Lunch-Clubs ' and 'lunch clubs' are one term."""
    return " ".join(re.split(r"[\s_\-/&,.]+", fold(text).strip())).strip()


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a term or a service stands for in the scheme's words."""

    category: Category | None = None
    ways: tuple[WellbeingWay, ...] = ()


@dataclass(frozen=True)
class TermMapping:
    """Term (folded) -> meaning, and service id -> meaning, built-in names first."""

    terms: Mapping[str, Meaning] = field(default_factory=dict)
    services: Mapping[str, Meaning] = field(default_factory=dict)

    @classmethod
    def built_in(cls) -> TermMapping:
        vocab = oruk.vocabulary()
        terms: dict[str, Meaning] = {}
        for name, way in vocab.way_names.items():
            terms[term_key(name)] = Meaning(None, (way,))
        for name, category in vocab.category_names.items():
            terms[term_key(name)] = Meaning(category)
        return cls(terms, {})

    @classmethod
    def from_json(cls, data: bytes | str) -> TermMapping:
        """The built-in names plus the office's file; raises ValidationError in plain words."""
        try:
            raw = json.loads(data)
        except ValueError:
            raise ValidationError("mapping", "The category mapping file is not JSON.") from None
        if not isinstance(raw, dict):
            raise ValidationError("mapping", "The category mapping file should hold an object.")
        base = cls.built_in()
        terms = dict(base.terms)
        services: dict[str, Meaning] = {}
        for key, target, what in (("terms", terms, "term"), ("services", services, "id")):
            entries = raw.get(key, [])
            if not isinstance(entries, list):
                raise ValidationError("mapping", f"'{key}' in the mapping file should be a list.")
            for number, entry in enumerate(entries, start=1):
                name, meaning = _entry(entry, what, key, number)
                if meaning.category is not None or meaning.ways:
                    target[term_key(name) if what == "term" else name] = meaning
        return cls(terms, services)

    def meaning(self, texts: Iterable[str]) -> Meaning | None:
        """The first category any of the texts names, and every way any of them gives."""
        category: Category | None = None
        ways: list[WellbeingWay] = []
        found = False
        for text in texts:
            meaning = self.terms.get(term_key(text))
            if meaning is None:
                continue
            found = True
            category = category or meaning.category
            ways.extend(meaning.ways)
        return Meaning(category, ways_in_order(ways)) if found else None

    def for_service(self, service_id: str) -> Meaning | None:
        return self.services.get(service_id)


def _entry(entry: Any, what: str, key: str, number: int) -> tuple[str, Meaning]:
    where = f"Entry {number} of '{key}' in the mapping file"
    if not isinstance(entry, dict) or not isinstance(entry.get(what), str | int):
        raise ValidationError("mapping", f"{where} needs a '{what}'.")
    category_text = entry.get("category") or ""
    category = None
    if category_text:
        found = TermMapping.built_in().terms.get(term_key(str(category_text)))
        if found is None or found.category is None:
            labels = ", ".join(c.value for c in Category)
            raise ValidationError(
                "mapping", f"{where}: {str(category_text)[:40]!r} is not a category ({labels})."
            )
        category = found.category
    ways_text = entry.get("ways") or []
    if isinstance(ways_text, str):
        ways_text = [ways_text]
    ways = []
    for word in ways_text:
        way = oruk.vocabulary().way(str(word))
        if way is None:
            raise ValidationError(
                "mapping", f"{where}: {str(word)[:40]!r} is not one of the five ways."
            )
        ways.append(way)
    return str(entry[what]).strip(), Meaning(category, ways_in_order(ways))


def mapping_template(unmapped: Mapping[str, int]) -> str:
    """A mapping file listing the terms still unmapped (most used first) for the office to fill."""
    terms = [
        {"term": term, "category": "", "ways": [], "services": count}
        for term, count in sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    about = (
        "Fill in 'category' (" + ", ".join(c.value for c in Category) + ") and 'ways' "
        "(connect, be_active, take_notice, keep_learning, give) for each council term; "
        "'services' counts how many services carry it. Add {\"id\": ..., \"category\": ...} "
        "entries under 'services' for services with no terms."
    )
    return json.dumps({"about": about, "terms": terms, "services": []}, indent=1,
                      ensure_ascii=False)
