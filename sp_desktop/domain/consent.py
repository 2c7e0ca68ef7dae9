"""Consent first: what a person agreed to about their records, when, how and asked by whom."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sp_desktop.domain.choices import ConsentDecision, ConsentMethod, coerce
from sp_desktop.domain.rows import (
    CONSENTS,
    RowRules,
    check_consent_decision,
    check_entity,
    shares_with_services,
)

NEVER_ASKED = (
    "Their consent to keeping notes has not been recorded yet: please ask them and record "
    "their answer first."
)
DECLINED = (
    "They did not agree to notes being kept, so nothing more can be recorded about them. If "
    "they have changed their mind, record their new answer first."
)
WITHDRAWN = (
    "They withdrew their consent to notes being kept, so nothing more can be recorded about "
    "them. If they have changed their mind, record their new answer first."
)
NOT_SHARED = (
    "They have not agreed to their details being shared with the services they are referred "
    "to, so the referral to the provider cannot be sent."
)

# A referral marked "they agreed to take part" before consent records existed (or by the quick
# answer in the referral form): taken as agreement to everything that form implied, until the
# adviser records the details. A consent record, once there, always wins.
REFERRAL_AGREED: Mapping[str, Any] = {
    "decision": ConsentDecision.GIVEN.value,
    "recording": True,
    "share_gp": True,
    "share_services": True,
    "method": None,
    "given_on": None,
    "recorded_by": "",
    "from_referral": True,
}


def refusal(consent: Mapping[Any, Any] | None) -> str | None:
    """Why nothing personal may be recorded under this consent (None: it may)."""
    if consent is None:
        return NEVER_ASKED
    if consent["recording"]:
        return None
    if consent["decision"] == ConsentDecision.WITHDRAWN:
        return WITHDRAWN
    return DECLINED


def needs_consent(rules: RowRules, fields: Mapping[str, Any]) -> bool:
    """Whether writing these fields of `rules.table` depends on the person's consent at all."""
    return rules.records_personal(fields) or (
        rules.about_a_person and shares_with_services(rules.table, fields)
    )


def change_refusal(
    rules: RowRules, fields: Mapping[str, Any], consent: Mapping[Any, Any] | None
) -> str | None:
    """The one decision both the laptop's gate and the office apply: why this change of
    `rules.table` may not be written under the person's consent held now (None: it may)."""
    if not needs_consent(rules, fields):
        return None
    words = refusal(consent) if rules.records_personal(fields) else None
    if (
        words is None
        and shares_with_services(rules.table, fields)
        and not (consent is not None and consent["share_services"])
    ):
        words = NOT_SHARED
    return words


def supersedes(new: Mapping[Any, Any], held: Mapping[Any, Any] | None) -> bool:
    """Whether consent record `new` is what holds now over `held`: the newest answer (by its
    date, then clock stamp) wins, and any record wins over a referral's quick answer."""
    if held is None or held.get("from_referral"):
        return True
    return (str(new["given_on"]), str(new["hlc"])) >= (str(held["given_on"]), str(held["hlc"]))


# How it was asked, as the sentence on the person's page says it.
HOW = {
    ConsentMethod.IN_PERSON: "in person",
    ConsentMethod.PHONE: "by phone",
    ConsentMethod.VIDEO: "by video call",
    ConsentMethod.IN_WRITING: "in writing",
}


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
        how = HOW[self.method]
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
