"""What the plan, the letter and the visit pack share: the link worker's contact details, the
finished-PDF value, the activities read for printing, and the audit trail of what left the app.

Everything is built in memory and handed back as bytes: a PDF is written only where the adviser
chooses to save it or sent to the printer, never to a temporary file, so no copy of anyone's
details is left behind on the laptop.
"""

from __future__ import annotations

import enum
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sp_desktop.domain.directory import Service
from sp_desktop.domain.errors import SpDesktopError
from sp_desktop.domain.people import Person
from sp_desktop.domain.prescribing import Prescription
from sp_desktop.domain.wellbeing import Ons4Item, band
from sp_desktop.pdf.model import LinkWorker
from sp_desktop.services.settings import (
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
    LINK_WORKER_PHONE,
    Settings,
)

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

_UNSAFE_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')

# reportlab registers fonts and caches glyph widths process-wide, so two builds at once could
# trip over each other; the UI already builds on its one writer thread, this also guards scripts.
_BUILD_LOCK = threading.Lock()


class DocumentNotPossible(SpDesktopError):
    """A document cannot be made yet; the message says what to do first."""


class WorkPhoneMissing(DocumentNotPossible):
    """No work phone number in Settings: the print preview offers to open Settings."""


class DocumentKind(enum.StrEnum):
    """What was built; also the entity named in the audit trail."""

    PLAN = "plan"
    LETTER = "letter"
    VISIT_PACK = "visit_pack"


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """How people and referrers reach the link worker: work details, never anyone's personal data.

    Attributes:
        phone: a work number the person can ring; printouts cannot be made without one.
        email: a work address, or "" if people should ring instead.
        organisation: the scheme or charity; blank means the adviser's team name.
    """

    phone: str = ""
    email: str = ""
    organisation: str = ""


@dataclass(frozen=True, slots=True)
class BuiltDocument:
    """A finished PDF held in memory, with what the preview and the audit trail need to know.

    `pdf` and `title` are left out of the repr: they hold a person's details and must never reach
    a log or a crash report.

    Attributes:
        kind: plan, letter or visit pack.
        pdf: the PDF bytes.
        title: what the preview window shows ("Journey printout for Zoë Dvořák").
        file_name: the name offered in the "Save as PDF" box.
        person_ids: everyone whose details are in it (one audit event each).
        large_print: whether it is in large print; None for a pack that mixes both, or a letter.
        page_count: pages, as the builder laid them out.
        structured: the same content for a computer to file, where there is one (a letter's
            PRSB message back as FHIR JSON), saved beside the PDF; None otherwise.
        structured_file_name: the name it is saved under.
    """

    kind: DocumentKind
    pdf: bytes = field(repr=False)
    title: str = field(repr=False)
    file_name: str = field(repr=False)
    person_ids: tuple[str, ...] = field(repr=False)
    large_print: bool | None
    page_count: int
    structured: bytes | None = field(default=None, repr=False)
    structured_file_name: str = field(default="", repr=False)


def read_contact(folder: Path) -> ContactDetails:
    """The link worker's work phone, email and organisation from the settings file in `folder`.

    Read through the same declarations the Settings dialog writes with. A missing or unreadable
    file, or a value that breaks its rule, reads as blank: settings are a convenience, and the
    printout then asks for what is missing rather than failing obscurely.
    """
    settings = Settings.in_folder(folder)
    return ContactDetails(
        settings.get(LINK_WORKER_PHONE).strip(),
        settings.get(LINK_WORKER_EMAIL).strip(),
        settings.get(LINK_WORKER_ORGANISATION).strip(),
    )


def link_worker(ws: Workspace, contact: ContactDetails | None = None) -> LinkWorker:
    """The adviser as printed: name from the workspace, work contact from settings (or `contact`).

    Refuses without a phone number, because the printout's first promise is "ring me".
    """
    details = contact if contact is not None else read_contact(ws.store.folder)
    if not details.phone.strip():
        raise WorkPhoneMissing(
            "Please add your work phone number in Settings first: the printout tells the person "
            "to ring it."
        )
    return LinkWorker(
        name=ws.adviser.strip() or "Your link worker",
        phone=details.phone.strip(),
        email=details.email.strip(),
        organisation=details.organisation.strip() or ws.team.strip() or "Social prescribing",
    )


def full_name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}".strip()


def prescribed(ws: Workspace, person_id: str) -> list[tuple[Prescription, Service]]:
    """Prescriptions with their directory entry, oldest first (removed entries still named)."""
    return ws.prescribing.with_services(person_id)


def stripped(value: str | None) -> str:
    """Text as printed: surrounding space removed, a missing value blank."""
    return value.strip() if isinstance(value, str) else ""


def band_words(item: Ons4Item, score: int | None) -> str:
    return "" if score is None else band(item, score).value


def safe_file_name(*parts: str) -> str:
    """A file name every system accepts; the adviser can still change it in the save box."""
    name = " - ".join(p.strip() for p in parts if p.strip())
    return _UNSAFE_IN_FILE_NAMES.sub(" ", name).strip(" .") + ".pdf"


def page_count(pdf: bytes) -> int:
    """Pages in a PDF made by our builders: reportlab writes one /Type /Page object per page."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def build_pdf(kind: DocumentKind, fn: Any, *args: Any) -> bytes:
    with _BUILD_LOCK:
        pdf = fn(*args)
    if not isinstance(pdf, bytes):
        raise TypeError(f"the {kind.value} builder returned {type(pdf).__name__}, not bytes")
    return pdf


def _audit(ws: Workspace, action: str, document: BuiltDocument) -> None:
    """One event per person whose details left the app, in one transaction.

    A visit pack is recorded as each person's plan: the trail is read person by person.
    """
    entity = DocumentKind.PLAN if document.kind is DocumentKind.VISIT_PACK else document.kind
    with ws.write() as conn:
        ws.audit_many(conn, [(action, entity.value, None, pid) for pid in document.person_ids])


def record_printed(ws: Workspace, document: BuiltDocument) -> None:
    """Audit: the document was sent to a printer."""
    _audit(ws, "printed", document)


def record_exported(ws: Workspace, document: BuiltDocument) -> None:
    """Audit: the document was saved as a PDF file where the adviser chose."""
    _audit(ws, "exported", document)
