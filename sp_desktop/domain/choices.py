"""Fixed lists people choose from, each value stored as text and shown with its label."""

from __future__ import annotations

import enum


class Choice(enum.StrEnum):
    """A stored value with a label in the adviser's words (the value itself never changes)."""

    @property
    def label(self) -> str:
        return _LABELS.get(self, self.value.replace("_", " ").capitalize())


class Gender(Choice):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class Ethnicity(Choice):
    """ONS 2021 Census categories (England and Wales), plus 'prefer not to say'."""

    ASIAN_BANGLADESHI = "asian_bangladeshi"
    ASIAN_CHINESE = "asian_chinese"
    ASIAN_INDIAN = "asian_indian"
    ASIAN_PAKISTANI = "asian_pakistani"
    ASIAN_OTHER = "asian_other"
    BLACK_AFRICAN = "black_african"
    BLACK_CARIBBEAN = "black_caribbean"
    BLACK_OTHER = "black_other"
    MIXED_WHITE_ASIAN = "mixed_white_asian"
    MIXED_WHITE_BLACK_AFRICAN = "mixed_white_black_african"
    MIXED_WHITE_BLACK_CARIBBEAN = "mixed_white_black_caribbean"
    MIXED_OTHER = "mixed_other"
    WHITE_BRITISH = "white_british"
    WHITE_IRISH = "white_irish"
    WHITE_GYPSY_TRAVELLER = "white_gypsy_traveller"
    WHITE_ROMA = "white_roma"
    WHITE_OTHER = "white_other"
    OTHER_ARAB = "other_arab"
    OTHER_ANY = "other_any"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class PreferredContact(Choice):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    LETTER = "letter"
    VIA_CARER = "via_carer"


class ReferralSource(Choice):
    GP = "gp"
    PRACTICE_NURSE = "practice_nurse"
    PHARMACIST = "pharmacist"
    SOCIAL_WORKER = "social_worker"
    COMMUNITY_MENTAL_HEALTH = "community_mental_health"
    RISK_STRATIFICATION = "risk_stratification"
    HOSPITAL_DISCHARGE = "hospital_discharge"
    SELF = "self"
    OTHER = "other"


class Consent(Choice):
    PENDING = "pending"
    GIVEN = "given"
    DECLINED = "declined"


class ConsentDecision(Choice):
    """What the person said when asked about their records (consents table)."""

    GIVEN = "given"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ConsentMethod(Choice):
    """How consent was asked for and answered."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"
    IN_WRITING = "in_writing"


class ReferralStatus(Choice):
    NEW = "new"
    ACTIVE = "active"
    DECLINED = "declined"
    CLOSED = "closed"


class VisitPlace(Choice):
    HOME = "home"
    PHONE = "phone"
    SURGERY = "surgery"
    COMMUNITY = "community"


class VisitStatus(Choice):
    DRAFT = "draft"
    SIGNED = "signed"


class ProviderReferral(Choice):
    """Where the referral to the activity's provider stands."""

    TO_SEND = "to_send"
    SENT = "sent"
    ACCEPTED = "accepted"
    WAITING_LIST = "waiting_list"
    DECLINED = "declined"


class PrescriptionStatus(Choice):
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


class AttendanceStatus(Choice):
    ATTENDED = "attended"
    MISSED = "missed"
    STOPPED = "stopped"


class AssessmentContext(Choice):
    """When in the person's journey wellbeing scores were taken."""

    BASELINE = "baseline"
    REVIEW = "review"
    EXIT = "exit"


class ClosingOutcome(Choice):
    COMPLETED = "completed"
    MOVED_AWAY = "moved_away"
    DECLINED_FURTHER_SUPPORT = "declined_further_support"
    DIED = "died"
    RE_REFERRED = "re_referred"
    LOST_CONTACT = "lost_contact"


_LABELS: dict[enum.Enum, str] = {
    Gender.NON_BINARY: "Non-binary",
    Gender.PREFER_NOT_TO_SAY: "Prefers not to say",
    Ethnicity.ASIAN_BANGLADESHI: "Asian or Asian British: Bangladeshi",
    Ethnicity.ASIAN_CHINESE: "Asian or Asian British: Chinese",
    Ethnicity.ASIAN_INDIAN: "Asian or Asian British: Indian",
    Ethnicity.ASIAN_PAKISTANI: "Asian or Asian British: Pakistani",
    Ethnicity.ASIAN_OTHER: "Asian or Asian British: any other Asian background",
    Ethnicity.BLACK_AFRICAN: "Black, Black British, Caribbean or African: African",
    Ethnicity.BLACK_CARIBBEAN: "Black, Black British, Caribbean or African: Caribbean",
    Ethnicity.BLACK_OTHER: "Black, Black British, Caribbean or African: any other background",
    Ethnicity.MIXED_WHITE_ASIAN: "Mixed or Multiple: White and Asian",
    Ethnicity.MIXED_WHITE_BLACK_AFRICAN: "Mixed or Multiple: White and Black African",
    Ethnicity.MIXED_WHITE_BLACK_CARIBBEAN: "Mixed or Multiple: White and Black Caribbean",
    Ethnicity.MIXED_OTHER: "Mixed or Multiple: any other background",
    Ethnicity.WHITE_BRITISH: "White: English, Welsh, Scottish, Northern Irish or British",
    Ethnicity.WHITE_IRISH: "White: Irish",
    Ethnicity.WHITE_GYPSY_TRAVELLER: "White: Gypsy or Irish Traveller",
    Ethnicity.WHITE_ROMA: "White: Roma",
    Ethnicity.WHITE_OTHER: "White: any other White background",
    Ethnicity.OTHER_ARAB: "Other ethnic group: Arab",
    Ethnicity.OTHER_ANY: "Other ethnic group: any other",
    Ethnicity.PREFER_NOT_TO_SAY: "Prefers not to say",
    PreferredContact.VIA_CARER: "Through their carer",
    ConsentDecision.GIVEN: "Agreed",
    ConsentDecision.WITHDRAWN: "Withdrew consent",
    ConsentMethod.IN_PERSON: "In person",
    ConsentMethod.PHONE: "By phone",
    ConsentMethod.VIDEO: "By video call",
    ConsentMethod.IN_WRITING: "In writing",
    ReferralSource.GP: "GP",
    ReferralSource.COMMUNITY_MENTAL_HEALTH: "Community mental health team",
    ReferralSource.RISK_STRATIFICATION: "Risk stratification list",
    ReferralSource.SELF: "Self-referral",
    ProviderReferral.TO_SEND: "To send",
    ProviderReferral.WAITING_LIST: "On waiting list",
    ClosingOutcome.DECLINED_FURTHER_SUPPORT: "Declined further support",
    ClosingOutcome.RE_REFERRED: "Re-referred elsewhere",
}


def coerce(
    owner: object, field: str, kind: type[enum.StrEnum], *, optional: bool = False
) -> None:
    """Accepts a choice or its stored text on a frozen dataclass; anything else is refused."""
    from sp_desktop.domain.errors import ValidationError

    value = getattr(owner, field)
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise ValidationError(field, "That is not one of the choices offered.")
    try:
        object.__setattr__(owner, field, kind(value))
    except ValueError:
        raise ValidationError(field, f"{value[:40]!r} is not one of the choices offered.") from None
