"""Consent first: what a person agreed to about their records, when, how and asked by whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sp_desktop.domain.choices import ConsentDecision, ConsentMethod, coerce
from sp_desktop.domain.rows import CONSENTS, check_consent_decision, check_entity


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One answer the person gave; the newest of a person's records is what holds now.

    `recording`: notes about them may be kept; `share_gp`: their GP hears how it went (the
    referrer letter); `share_services`: the services they are referred to get their details.
    """

    id: str
    person_id: str
    decision: ConsentDecision
    recording: bool
    share_gp: bool
    share_services: bool
    method: ConsentMethod
    given_on: date
    recorded_by: str
    notes: str = ""

    def __post_init__(self) -> None:
        coerce(self, "decision", ConsentDecision)
        coerce(self, "method", ConsentMethod)
        check_entity(CONSENTS, self, ("person_id", "recording", "share_gp", "share_services",
                                      "given_on", "recorded_by", "notes"), date.today())
        check_consent_decision(self.decision, self.recording, self.share_gp,
                               self.share_services)

    @property
    def allows_recording(self) -> bool:
        return self.decision is ConsentDecision.GIVEN and self.recording

    def describe(self) -> str:
        """One sentence for the person's page and the printed record."""
        when = f"{self.given_on.day} {self.given_on:%B %Y}"
        how = self.method.label.lower()
        if self.decision is ConsentDecision.DECLINED:
            return f"Declined consent {how} on {when} (asked by {self.recorded_by})."
        if self.decision is ConsentDecision.WITHDRAWN:
            return f"Withdrew consent {how} on {when} (recorded by {self.recorded_by})."
        shared = [who for who, agreed in (("their GP", self.share_gp),
                                          ("the services they are referred to",
                                           self.share_services)) if agreed]
        sharing = (f"sharing with {' and '.join(shared)}" if shared
                   else "no sharing with anyone else")
        return (f"Agreed {how} on {when} to notes being kept and {sharing} "
                f"(asked by {self.recorded_by}).")
