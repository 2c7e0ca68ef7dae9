"""What reading a directory file found wrong, said once per service and grouped by kind.

A finding either refuses its service (it is left out of the import) or flags it (the service is
imported and the office is told what to look at). Groups carry a heading and what to do, in
words an office worker can act on; each service appears once per kind.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Kind(enum.StrEnum):
    """Kinds of findings, in the order the report lists them."""

    UNREADABLE = "unreadable"
    BLANK = "blank"
    NO_ID = "no_id"
    NO_NAME = "no_name"
    DUPLICATE_ID = "duplicate_id"
    NOT_A_SERVICE = "not_a_service"
    BAD_VALUE = "bad_value"
    UNCATEGORISED = "uncategorised"
    BAD_POSTCODE = "bad_postcode"
    BAD_EMAIL = "bad_email"
    LEFT_OUT = "left_out"
    PAGES = "pages"


_GROUPS: dict[Kind, tuple[str, str]] = {
    Kind.UNREADABLE: (
        "The file could not be read",
        "Check it is the file the council sent, saved as UTF-8.",
    ),
    Kind.BLANK: (
        "Empty records",
        "These records hold no name and no identifier; there is nothing to import.",
    ),
    Kind.NO_ID: (
        "Services without an identifier",
        "Ask the directory's owner to give each service an id; until then they cannot be "
        "kept up to date, so they are left out.",
    ),
    Kind.NO_NAME: (
        "Services without a name",
        "Advisers could not find these; they are left out until the directory names them.",
    ),
    Kind.DUPLICATE_ID: (
        "Identifier already used by an earlier service",
        "The first service with each identifier was kept; tell the directory's owner so "
        "they can give the others their own.",
    ),
    Kind.NOT_A_SERVICE: (
        "Entries that are not services",
        "These entries are not service records and were left out.",
    ),
    Kind.BAD_VALUE: (
        "Values that could not be read",
        "These services were left out; correct the values named and import again.",
    ),
    Kind.UNCATEGORISED: (
        "To be categorised",
        "These services were imported and can be found by name. Map the council's terms "
        "listed to the scheme's categories so they appear under a category too.",
    ),
    Kind.BAD_POSTCODE: (
        "Postcodes that are not UK postcodes",
        "Kept as written. Tell the directory's owner, or check the address with the provider.",
    ),
    Kind.BAD_EMAIL: (
        "Email addresses that are not email addresses",
        "Left out of the entry; the rest of each service was imported.",
    ),
    Kind.LEFT_OUT: (
        "Details left out",
        "The rest of each service was imported.",
    ),
    Kind.PAGES: (
        "Only part of the directory",
        "This file holds some pages of a longer list. Replacing the directory with it would "
        "remove every service on the other pages, so only adding and updating is offered.",
    ),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing found: `where` is the service's place in the file ('service 12', 'services.csv
    line 14'), `service` its name or id when known, `detail` the value or fact to look at."""

    kind: Kind
    where: str
    service: str
    detail: str
    refused: bool

    def __str__(self) -> str:
        who = f"{self.where} ({self.service})" if self.service else self.where
        return f"{who}: {self.detail}" if self.detail else who


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """Findings of one kind, with the heading and advice shown above them."""

    kind: Kind
    heading: str
    advice: str
    findings: tuple[Finding, ...]

    @property
    def refused(self) -> bool:
        return any(f.refused for f in self.findings)

    def lines(self, limit: int | None = None) -> list[str]:
        shown = self.findings if limit is None else self.findings[:limit]
        out = [str(f) for f in shown]
        if limit is not None and len(self.findings) > limit:
            out.append(f"… and {len(self.findings) - limit:,} more")
        return out


def grouped(findings: Iterable[Finding]) -> tuple[FindingGroup, ...]:
    by_kind: dict[Kind, list[Finding]] = {}
    for finding in findings:
        by_kind.setdefault(finding.kind, []).append(finding)
    return tuple(
        FindingGroup(kind, *_GROUPS[kind], tuple(by_kind[kind])) for kind in Kind if kind in by_kind
    )


def report_lines(groups: Sequence[FindingGroup], limit: int | None = 20) -> list[str]:
    """The groups as plain lines, for the office's command line and logs-free summaries."""
    lines: list[str] = []
    for group in groups:
        count = len({(f.where, f.service) for f in group.findings})
        lines.append(f"{group.heading} ({count:,}): {group.advice}")
        lines.extend(f"  {line}" for line in group.lines(limit))
    return lines
