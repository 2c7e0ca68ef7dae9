"""People's records as plain CSV tables for analysts, in one zip, with no one named in them.

Analysts count and compare; they do not need to know who anyone is. So the tables carry a
pseudonymous key per person (the record's internal id, meaningless outside the scheme), an age
band instead of a date of birth, the postcode district instead of the postcode, and no names,
contact details, NHS numbers or free text (words people said can name them or others).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from sp_desktop.interchange.records import MeasureDefinition, PersonRecord

# A fixed timestamp inside the zip, so the same records always give the same bytes.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
AGE_BAND_YEARS = 5

TABLES: dict[str, tuple[str, ...]] = {
    "people.csv": (
        "person_key",
        "age_band_at_referral",
        "gender",
        "ethnicity",
        "postcode_district",
        "gp_practice",
        "conditions",
    ),
    "referrals.csv": (
        "person_key",
        "referral_key",
        "received_on",
        "source",
        "status",
        "consent",
        "consent_on",
    ),
    "steps.csv": ("person_key", "step_key", "progress_0_to_10", "target_date", "done"),
    "concerns.csv": (
        "person_key",
        "concern_key",
        "area",
        "severity_first_0_to_10",
        "severity_latest_0_to_10",
    ),
    "activities.csv": (
        "person_key",
        "activity_key",
        "activity",
        "provider",
        "status",
        "start_date",
        "weeks",
        "ended_on",
        "carries_on",
    ),
    "answers.csv": (
        "person_key",
        "answer_set_key",
        "measure",
        "taken_on",
        "context",
        "item",
        "value",
        "declined",
    ),
    "closing.csv": ("person_key", "closed_on", "outcome", "carries_on"),
}

ABOUT = """\
Social prescribing records for analysis.

Each person has a pseudonymous person_key, the same in every table and in every export from
this scheme; it means nothing outside the scheme. Nobody is named: there are no names, dates
of birth, NHS numbers, addresses, phone numbers or free text. Ages are in {band}-year bands at
the first referral; postcodes are cut to their district (the part before the space).
"conditions" lists the long-term conditions recorded, as keys separated by ";" (empty where
none was recorded).

answers.csv has one row per question answered: "declined" is yes where the person preferred
not to say, and then "value" is empty (a declined question is not a zero). Measures:
{measures}
Ratings of steps and concerns run from 0 to 10.
"""


def analyst_tables(records: Iterable[PersonRecord]) -> dict[str, list[tuple[object, ...]]]:
    """The rows of each table, in the column order of :data:`TABLES`."""
    tables: dict[str, list[tuple[object, ...]]] = {name: [] for name in TABLES}
    for record in records:
        key = record.person.id
        first_referral = min((r.received_on for r in record.referrals), default=None)
        tables["people.csv"].append(
            (
                key,
                age_band(record.person.date_of_birth, first_referral),
                record.person.gender or "",
                record.person.ethnicity or "",
                postcode_district(record.person.postcode),
                record.person.gp_practice,
                ";".join(record.person.conditions),
            )
        )
        for r in record.referrals:
            tables["referrals.csv"].append(
                (key, r.id, r.received_on, r.source, r.status, r.consent, r.consent_on)
            )
        for s in record.steps:
            tables["steps.csv"].append(
                (key, s.id, s.progress, s.target_date, _yes_no(s.progress >= 10))
            )
        for c in record.concerns:
            tables["concerns.csv"].append((key, c.id, c.area, c.severity_first, c.severity_latest))
        for a in record.activities:
            tables["activities.csv"].append(
                (
                    key,
                    a.id,
                    a.name,
                    a.provider,
                    a.status_words,
                    a.start_date,
                    a.weeks,
                    a.ended_on,
                    _yes_no(a.carries_on),
                )
            )
        for m in record.measures:
            for item, value in m.answers:
                tables["answers.csv"].append(
                    (
                        key,
                        m.id,
                        m.measure,
                        m.taken_on,
                        m.context,
                        item,
                        value,
                        _yes_no(value is None),
                    )
                )
        if record.closing is not None:
            closed = record.closing
            tables["closing.csv"].append(
                (key, closed.closed_on, closed.outcome, _yes_no(closed.carries_on))
            )
    return tables


def analyst_zip(
    records: Iterable[PersonRecord], definitions: Mapping[str, MeasureDefinition]
) -> bytes:
    """Every table as a UTF-8 CSV file (with a header row) plus ABOUT.txt, in one zip."""
    tables = analyst_tables(records)
    measures = "\n".join(
        f"  {d.key}: {d.title}" + (f" ({d.licence})" if d.licence else "")
        for d in sorted(definitions.values(), key=lambda d: d.key)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "ABOUT.txt", ABOUT.format(band=AGE_BAND_YEARS, measures=measures))
        for name, columns in TABLES.items():
            _add(archive, name, to_csv(columns, tables[name]))
    return out.getvalue()


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV text: dates as ISO, None as empty, and cells that a spreadsheet would run as a
    formula (=, +, -, @ first) quoted with a leading apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def age_band(born: date | None, on: date | None) -> str:
    """ "80-84" for someone 82 on `on`; blank when either date is unknown."""
    if born is None or on is None:
        return ""
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    low = age // AGE_BAND_YEARS * AGE_BAND_YEARS
    return f"{low}-{low + AGE_BAND_YEARS - 1}"


def postcode_district(postcode: str) -> str:
    """The outward code ("LS6" of "LS6 2AB"): an area of thousands of homes, not a street."""
    compact = postcode.replace(" ", "").upper()
    return compact[:-3] if len(compact) > 3 else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _add(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text.encode("utf-8"))
