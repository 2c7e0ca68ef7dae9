"""The directory as Open Referral UK 3.0 JSON: valid against the ORUK 3.0 profile and HSDS 3.0.

Each entry is a full HSDS 3.0 service (a page object with `contents`, as an ORUK API serves
`/services`). Related objects get UUIDs made from the entry's id, so every export of the same
directory is identical and re-importing it changes nothing. The scheme's category, five ways,
step-free access and waiting time travel as `attributes` in the taxonomies named under `oruk`
in resources/directory/categories.json (`taxonomy` is the taxonomy's name, as HSDS 3.0 wants).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from sp_desktop.domain.directory import Contact, Place, Service
from sp_desktop.domain.text import fold
from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files.hsds import service_id

_NAMESPACE = uuid.UUID("8f0c3c55-2d61-4e0b-9a4e-5b0c4d0f6a21")
_TAXONOMY_DESCRIPTIONS = {
    "category": "The kinds of activity social prescribing schemes prescribe.",
    "five_ways": "The New Economics Foundation's five ways to wellbeing.",
    "access": "Access facts advisers filter on.",
    "waiting": "How long people wait to start, in weeks.",
}


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def to_page(services: Iterable[Service]) -> dict[str, Any]:
    contents = [service_json(s) for s in services]
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
    }


def to_json(services: Iterable[Service]) -> bytes:
    return json.dumps(to_page(services), ensure_ascii=False, indent=1).encode("utf-8")


def _term(sid: str, kind: str, taxonomy: str, code: str, name: str,
          value: str | None = None) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "id": _uid(sid, "attribute", taxonomy, code),
        "link_id": sid,
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term": {
            "id": _uid("term", taxonomy, code),
            "code": code,
            "name": name,
            "description": name,
            "taxonomy": taxonomy,
            "taxonomy_detail": {"id": _uid("taxonomy", taxonomy), "name": taxonomy,
                                "description": _TAXONOMY_DESCRIPTIONS[kind]},
        },
    }
    if value is not None:
        attribute["value"] = value
    return attribute


def service_json(s: Service) -> dict[str, Any]:
    vocab = oruk.vocabulary()
    sid = service_id(s.id)
    attributes = []
    if s.category is not None:
        attributes.append(_term(sid, "category", vocab.category_taxonomy, s.category.value,
                                vocab.category_labels[s.category]))
    attributes += [_term(sid, "five_ways", vocab.five_ways_taxonomy, w.value,
                         vocab.way_labels[w]) for w in s.wellbeing_tags]
    if s.step_free:
        attributes.append(_term(sid, "access", vocab.access_taxonomy, "step_free",
                                "Step-free access"))
    if s.waiting_weeks is not None:
        attributes.append(_term(sid, "waiting", vocab.waiting_taxonomy, "waiting_weeks",
                                "Waiting time in weeks", str(s.waiting_weeks)))
    out: dict[str, Any] = {
        "id": sid,
        "name": s.name,
        "description": s.description,
        "status": "active" if s.active else "inactive",
    }
    if s.website:
        out["url"] = s.website
    if s.cost:
        out["fees"] = s.cost  # the ORUK 3.0 profile's name
        out["fees_description"] = s.cost  # HSDS 3.0's
    if s.how_to_refer:
        out["application_process"] = s.how_to_refer
    if s.eligibility:
        out["eligibility_description"] = s.eligibility
    if s.min_age is not None:
        out["minimum_age"] = s.min_age
    if s.max_age is not None:
        out["maximum_age"] = s.max_age
    if s.last_checked is not None:
        out["assured_date"] = s.last_checked.isoformat()
    out["organization"] = {
        "id": _uid("organization", fold(s.organisation)),
        "name": s.organisation,
        "description": s.organisation,
    }
    out["service_areas"] = (
        [{"id": _uid(sid, "area"), "service_id": sid, "name": s.area}] if s.area else []
    )
    out["cost_options"] = (
        [{"id": _uid(sid, "cost"), "service_id": sid, "option": "Free", "currency": "GBP",
          "amount": 0}] if s.free else []
    )
    out["languages"] = [
        {"id": _uid(sid, "language", name), "service_id": sid, "name": name}
        for name in s.languages
    ]
    out["schedules"] = (
        [{"id": _uid(sid, "schedule"), "service_id": sid, "description": s.schedule}]
        if s.schedule else []
    )
    out["contacts"] = [_contact(sid, i, c) for i, c in enumerate(_contacts(s))]
    out["service_at_locations"] = [_place(sid, i, p) for i, p in enumerate(_places(s))]
    out["attributes"] = attributes
    return out


def _contacts(s: Service) -> tuple[Contact, ...]:
    if s.contacts:
        return s.contacts
    if s.contact_name or s.contact_phone or s.contact_email:
        return (Contact(s.contact_name, "", s.contact_phone, s.contact_email),)
    return ()


def _places(s: Service) -> tuple[Place, ...]:
    if s.places:
        return s.places
    if s.address or s.postcode or s.accessibility:
        return (Place("", s.address, s.postcode, (), "", s.accessibility),)
    return ()


def _contact(sid: str, index: int, c: Contact) -> dict[str, Any]:
    cid = _uid(sid, "contact", str(index))
    out: dict[str, Any] = {"id": cid, "service_id": sid}
    if c.name:
        out["name"] = c.name
    if c.role:
        out["title"] = c.role
    if c.email:
        out["email"] = c.email
    out["phones"] = [{"id": _uid(cid, "phone"), "contact_id": cid, "number": c.phone}
                     ] if c.phone else []
    return out


def _place(sid: str, index: int, p: Place) -> dict[str, Any]:
    lid = _uid(sid, "location", str(index))
    location: dict[str, Any] = {"id": lid, "location_type": "physical"}
    if p.name:
        location["name"] = p.name
    location["addresses"] = [{
        "id": _uid(lid, "address"),
        "location_id": lid,
        "address_1": p.address,
        "city": "",
        "state_province": "",
        "postal_code": p.postcode,
        "country": "GB",
        "address_type": "physical",
    }] if p.address or p.postcode else []
    location["phones"] = [{"id": _uid(lid, "phone", str(i)), "location_id": lid, "number": n}
                          for i, n in enumerate(p.phones)]
    location["schedules"] = ([{"id": _uid(lid, "schedule"), "location_id": lid,
                               "description": p.schedule}] if p.schedule else [])
    location["accessibility"] = ([{"id": _uid(lid, "access"), "location_id": lid,
                                   "description": p.accessibility}] if p.accessibility else [])
    return {"id": _uid(sid, "service_at_location", str(index)), "service_id": sid,
            "location_id": lid, "location": location}
