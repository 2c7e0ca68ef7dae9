"""The published ORUK 3.0 profile and HSDS 3.0 JSON schemas (tests/data/oruk), ready to check a
service object against. HSDS's files refer to each other by file name (`"$ref": "phone.json"`),
so they are loaded into one registry; the profile's compiled schema stands alone. Formats are
checked too (ids are UUIDs, emails have an @)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ORUK = Path(__file__).parent.parent / "data" / "oruk"
HSDS_SCHEMAS = ORUK / "hsds-3.0" / "schema"
PROFILE_SCHEMA = ORUK / "uk-profile-3.0" / "schema" / "compiled" / "service.json"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def validators() -> dict[str, Draft202012Validator]:
    registry: Registry[Any] = Registry().with_resources(
        (path.name, Resource.from_contents(_load(path), default_specification=DRAFT202012))
        for path in HSDS_SCHEMAS.glob("*.json")
    )
    checker = FormatChecker()
    return {
        "HSDS 3.0": Draft202012Validator(_load(HSDS_SCHEMAS / "service.json"),
                                         registry=registry, format_checker=checker),
        "ORUK 3.0 profile": Draft202012Validator(_load(PROFILE_SCHEMA), format_checker=checker),
    }


def schema_errors(service: Any) -> list[str]:
    """Every way `service` breaks either schema, as 'schema: path: message'."""
    return [
        f"{name}: {'/'.join(map(str, error.absolute_path))}: {error.message[:120]}"
        for name, validator in validators().items()
        for error in validator.iter_errors(service)
    ]
