"""A directory entry as a stored and synced row, and the check every such row must pass.

One place turns a `Service` into the `services` row the laptop stores and the office publishes
(tags, languages, places and contacts as JSON text; "to be categorised" as a blank category)
and back again. `check_service_row` applies the shared definition of a valid row
(`domain.rows.SERVICES`) to the row exactly as it will travel, so an entry the laptop could
not show is refused by the importer, at the office and on the laptop alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from sp_desktop.domain.directory import Category, Contact, Place, Service, WellbeingWay
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.rows import SERVICES, office_today

SERVICE_FIELDS = tuple(f.name for f in fields(Service) if f.name != "id")
_PLACE_FIELDS = tuple(f.name for f in fields(Place))
_CONTACT_FIELDS = tuple(f.name for f in fields(Contact))
_LISTS = ("wellbeing_tags", "languages", "places", "contacts")


def service_row(service: Service) -> dict[str, Any]:
    """The entry as a `services` row (Python values: dates stay dates)."""
    row: dict[str, Any] = {name: getattr(service, name) for name in SERVICE_FIELDS}
    row["id"] = service.id
    row["category"] = service.category.value if service.category is not None else ""
    row["wellbeing_tags"] = json.dumps([w.value for w in service.wellbeing_tags])
    row["languages"] = json.dumps(list(service.languages), ensure_ascii=False)
    row["places"] = json.dumps([_compact(p, _PLACE_FIELDS) for p in service.places],
                               ensure_ascii=False)
    row["contacts"] = json.dumps([_compact(c, _CONTACT_FIELDS) for c in service.contacts],
                                 ensure_ascii=False)
    return row


def wire_row(service: Service) -> dict[str, Any]:
    """The row as it travels to laptops (dates as ISO text)."""
    row = service_row(service)
    if service.last_checked is not None:
        row["last_checked"] = service.last_checked.isoformat()
    return row


def _compact(entry: Place | Contact, names: tuple[str, ...]) -> dict[str, Any]:
    """The parts of a place or contact that are given (lists for tuples)."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(entry, name)
        if value:
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


def service_from_row(row: RowMapping | Mapping[str, Any]) -> Service:
    """A stored or pulled row as an entry; raises ValidationError or ValueError if unreadable."""
    category = row["category"] or None
    return Service(
        id=row["id"],
        name=row["name"],
        category=Category(category) if category else None,
        organisation=row["organisation"],
        description=row["description"],
        wellbeing_tags=tuple(WellbeingWay(w) for w in _list(row.get("wellbeing_tags"))),
        address=row["address"],
        postcode=row["postcode"],
        area=row["area"],
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        contact_email=row["contact_email"],
        schedule=row["schedule"],
        cost=row["cost"],
        free=bool(row["free"]),
        step_free=bool(row["step_free"]),
        accessibility=row["accessibility"],
        how_to_refer=row["how_to_refer"],
        waiting_weeks=row["waiting_weeks"],
        active=bool(row["active"]),
        last_checked=_day(row["last_checked"]),
        website=row.get("website") or "",
        eligibility=row.get("eligibility") or "",
        min_age=row.get("min_age"),
        max_age=row.get("max_age"),
        languages=tuple(str(x) for x in _list(row.get("languages"))),
        places=tuple(_entry(Place, p) for p in _list(row.get("places"))),
        contacts=tuple(_entry(Contact, c) for c in _list(row.get("contacts"))),
    )


def _list(text: Any) -> list[Any]:
    value = json.loads(text) if isinstance(text, str) and text else []
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _entry(kind: type[Place] | type[Contact], value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("not an object")
    if kind is Place and "phones" in value:
        value = {**value, "phones": tuple(value["phones"])}
    return kind(**value)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def check_service_row(service: Service) -> str:
    """Why the shared row rules refuse this entry's row, in words ('' when they accept it)."""
    row = wire_row(service)
    values = {k: v for k, v in row.items() if k != "id"}
    try:
        SERVICES.check_new(values, office_today(date.today()))
        service_from_row(row)  # what a laptop does with the row: it must give the entry back
    except ValidationError as exc:
        return exc.message
    except (ValueError, TypeError, KeyError):
        return "This entry could not be read back as a directory entry."
    return ""
