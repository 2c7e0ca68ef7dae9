"""Plain frozen data the document builders print; the service layer fills it, nothing here queries.

Every value is checked on construction so a mistake surfaces where the data is made, in words a
person can read, and never as a half-printed page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sp_desktop.domain.measures import Better, Direction, compare


class DocumentDataError(ValueError):
    """Data handed to a document builder that cannot be printed as given."""


def _check_score(value: int | None, what: str) -> None:
    """ONS4 answers, severities and step progress are whole numbers from 0 to 10."""
    if value is not None and (isinstance(value, bool) or not 0 <= value <= 10):
        raise DocumentDataError(f"{what} must be a whole number from 0 to 10, not {value!r}.")


def _check_weeks(value: int | None) -> None:
    if value is not None and value < 1:
        raise DocumentDataError(f"A number of weeks must be at least 1, not {value!r}.")


# Which way a wellbeing answer moved: decided by the measure's rule in one place
# (domain/measures.py), never here.
Change = Direction


def change_between(before: float | None, after: float | None, *, lower_is_better: bool) -> Change:
    """Compare two answers; anxiety improves when it goes down, the other ONS4 items when up.

    A declined answer (None) is not a zero, so any comparison with one is "not known".
    """
    return compare(before, after, Better.LOWER if lower_is_better else Better.HIGHER)


@dataclass(frozen=True)
class MeasureWords:
    """A measure other than ONS4, then and now, in sentences the domain wrote.

    Attributes:
        title: the measure's name ("Three-item loneliness scale (UCLA)").
        sentences: one per result ("You said you felt lonely often; now some of the time.").
    """

    title: str
    sentences: tuple[str, ...]


# --- The person's own printout -------------------------------------------------------------


@dataclass(frozen=True)
class PlanStep:
    """One small step the person chose.

    Attributes:
        words: the step in the person's words ("Walk to the post box and back on dry days").
        target_date: when they hope to have done it, if they chose a date.
        progress: 0-10 as recorded at the last visit, or None if not yet looked at.
    """

    words: str
    target_date: date | None = None
    progress: int | None = None

    def __post_init__(self) -> None:
        _check_score(self.progress, "Step progress")


@dataclass(frozen=True)
class PlanActivity:
    """An activity the person might try, with everything needed to get there.

    Blank text fields are left off the printout rather than shown empty.

    Attributes:
        name: what it is ("Tuesday tea and chat").
        organisation: who runs it.
        where: address text.
        when: days and times text ("Tuesdays, 2pm to 4pm").
        contact: who to ask, with a phone number.
        cost: "Free", "£2 a session, tea included".
        getting_there: bus, community transport, parking, step-free access.
        link_worker_comes_first_time: whether the link worker will go along the first time.
        start_date: the first session the person means to go to, if known.
        weeks: how many weeks it is offered for, if known.
    """

    name: str
    organisation: str = ""
    where: str = ""
    when: str = ""
    contact: str = ""
    cost: str = ""
    getting_there: str = ""
    link_worker_comes_first_time: bool = False
    start_date: date | None = None
    weeks: int | None = None

    def __post_init__(self) -> None:
        _check_weeks(self.weeks)


@dataclass(frozen=True)
class WellbeingLine:
    """One ONS4 question, then and now, as words the service chose.

    Attributes:
        question: short plain label ("How satisfied you are with your life").
        then_score: the first answer 0-10, or None if the person preferred not to say.
        then_words: the band for the first answer ("low", "medium", "high", "very high").
        now_score: the latest answer 0-10, or None if the person preferred not to say.
        now_words: the band for the latest answer.
        lower_is_better: True for anxiety, where a lower answer is the better one.
    """

    question: str
    then_score: int | None
    then_words: str
    now_score: int | None
    now_words: str
    lower_is_better: bool = False

    def __post_init__(self) -> None:
        _check_score(self.then_score, "A wellbeing answer")
        _check_score(self.now_score, "A wellbeing answer")

    @property
    def change(self) -> Change:
        """Whether things got better, worse or stayed the same for this question."""
        return change_between(self.then_score, self.now_score, lower_is_better=self.lower_is_better)


@dataclass(frozen=True)
class LinkWorker:
    """The link worker, as the person and the referrer should reach them.

    Attributes:
        name: full name.
        phone: a number the person can ring.
        email: an address, or "" if they should ring instead.
        organisation: the scheme or charity they work for.
        role: job title for letters.
    """

    name: str
    phone: str
    email: str
    organisation: str
    role: str = "Social prescribing link worker"


@dataclass(frozen=True)
class Correction:
    """A correction added to a signed visit after it was signed, printed after the visit's own
    words (which never change).

    Attributes:
        words: the correction, as written.
        written_by: the adviser who wrote it.
        written_on: the day it was written.
    """

    words: str
    written_by: str
    written_on: date


@dataclass(frozen=True)
class PlanDocument:
    """Everything printed on one person's journey.

    Attributes:
        person_name: full name, printed on every page so loose pages find their owner.
        preferred_name: what they like to be called, used in the greeting.
        what_matters: what matters to them, in their words; blank lines separate paragraphs.
        what_matters_corrections: corrections added to the visit those words come from, oldest
            first, printed after them.
        steps: the steps they chose, in their order.
        activities: activities to try.
        link_worker: who to contact.
        next_visit: date and time of the next visit, or None if not yet arranged; a plain date
            when no time is agreed yet (follow-ups are scheduled by day), printed without a time.
        next_visit_place: where ("At your home"), or None.
        wellbeing: the ONS4 questions, then and now.
        wellbeing_then_date: when the first answers were given; None hides the "then" bars.
        wellbeing_now_date: when the latest answers were given.
        large_print: body text at 18 pt instead of 12.5 pt, and nothing below 16 pt.
        printed_on: the date printed in the footer.
        next_contact_by_phone: the next contact is a phone call, not a visit, so the printout
            says "we will ring you" rather than "we will come".
        other_measures: any other questionnaire answered (loneliness, WHO-5...), then and now
            in sentences, never a bare score.
    """

    person_name: str
    preferred_name: str | None
    what_matters: str
    steps: tuple[PlanStep, ...]
    activities: tuple[PlanActivity, ...]
    link_worker: LinkWorker
    next_visit: date | datetime | None
    next_visit_place: str | None
    wellbeing: tuple[WellbeingLine, ...]
    wellbeing_then_date: date | None
    wellbeing_now_date: date | None
    large_print: bool
    printed_on: date
    what_matters_corrections: tuple[Correction, ...] = ()
    next_contact_by_phone: bool = False
    other_measures: tuple[MeasureWords, ...] = ()

    def __post_init__(self) -> None:
        if not self.person_name.strip():
            raise DocumentDataError("A printout needs the person's name.")


# --- The letter back to the referrer and GP (PRSB message back to the GP) -------------------


def _verhoeff_ok(digits: str) -> bool:
    """SNOMED CT identifiers end in a Verhoeff check digit; a mistyped code fails it."""
    mult = (
        (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
        (2, 3, 4, 0, 1, 7, 8, 9, 5, 6), (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
        (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
        (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
        (8, 7, 6, 5, 9, 3, 2, 1, 0, 4), (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
    )  # fmt: skip
    perm = (
        (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
        (5, 8, 0, 3, 7, 9, 6, 1, 4, 2), (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
        (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
        (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
    )  # fmt: skip
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = mult[check][perm[position % 8][int(digit)]]
    return check == 0


@dataclass(frozen=True)
class SnomedCode:
    """A SNOMED CT concept for the GP to add to the record.

    Attributes:
        code: the concept id, digits only.
        term: its preferred term, without the semantic tag.
    """

    code: str
    term: str

    def __post_init__(self) -> None:
        if not (6 <= len(self.code) <= 18 and self.code.isdigit() and _verhoeff_ok(self.code)):
            raise DocumentDataError(f"{self.code!r} is not a valid SNOMED CT identifier.")


REFERRAL_TO_SOCIAL_PRESCRIBING = SnomedCode(
    "871731000000106", "Referral to social prescribing service"
)
SOCIAL_PRESCRIBING_OFFERED = SnomedCode("871691000000100", "Social prescribing offered")
SOCIAL_PRESCRIBING_DECLINED = SnomedCode("871711000000103", "Social prescribing declined")


@dataclass(frozen=True)
class Referrer:
    """Who referred the person, and where the letter goes.

    Attributes:
        name: as addressed ("Dr Amara Okafor").
        role: "GP", "Practice nurse", "Social worker".
        organisation: their practice or team.
        address_lines: postal address, one line each.
    """

    name: str
    role: str
    organisation: str
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Practice:
    """The person's GP practice, copied in so the record can be coded.

    Attributes:
        name: practice name.
        address_lines: postal address, one line each.
    """

    name: str
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonDetails:
    """Demographics the PRSB standard makes mandatory, with the NHS number as identifier.

    Attributes:
        name: full name.
        date_of_birth: date of birth.
        nhs_number: ten digits (spaces allowed), or None if not known; printed 3-3-4.
        address_lines: home address, one line each.
    """

    name: str
    date_of_birth: date
    nhs_number: str | None
    address_lines: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.nhs_number is not None:
            plain = self.nhs_number.replace(" ", "")
            if len(plain) != 10 or not plain.isdigit():
                raise DocumentDataError("An NHS number has ten digits.")


@dataclass(frozen=True)
class Concern:
    """A need or concern raised in the conversation.

    Attributes:
        domain: the conversation-guide area ("Loneliness", "Getting out and about").
        words: what the person said, in their words.
        severity_first: how much it bothered them at the start, 0-10, or None.
        severity_latest: the same at the latest visit, 0-10, or None.
    """

    domain: str
    words: str
    severity_first: int | None
    severity_latest: int | None

    def __post_init__(self) -> None:
        _check_score(self.severity_first, "A severity")
        _check_score(self.severity_latest, "A severity")


@dataclass(frozen=True)
class SupportOffered:
    """An activity or service the person was referred to.

    Attributes:
        activity: what it is.
        provider: who runs it.
        status: "offered", "accepted", "declined", "completed", as the service words it.
        start_date: when the person started, if they did.
        weeks: how many weeks it ran or is planned for, if known.
    """

    activity: str
    provider: str
    status: str
    start_date: date | None = None
    weeks: int | None = None

    def __post_init__(self) -> None:
        _check_weeks(self.weeks)


@dataclass(frozen=True)
class WellbeingOutcome:
    """One ONS4 item, first and latest, for the referrer.

    Attributes:
        item: "Life satisfaction", "Worthwhile", "Happiness", "Anxiety".
        baseline_score: first answer 0-10, or None if declined.
        baseline_band: its ONS band ("low").
        latest_score: latest answer 0-10, or None if declined.
        latest_band: its ONS band.
        lower_is_better: True for anxiety.
    """

    item: str
    baseline_score: int | None
    baseline_band: str
    latest_score: int | None
    latest_band: str
    lower_is_better: bool = False

    def __post_init__(self) -> None:
        _check_score(self.baseline_score, "An ONS4 answer")
        _check_score(self.latest_score, "An ONS4 answer")

    @property
    def change(self) -> Change:
        """Better, worse or the same, with anxiety read the right way round."""
        return change_between(
            self.baseline_score, self.latest_score, lower_is_better=self.lower_is_better
        )


@dataclass(frozen=True)
class LetterDocument:
    """The message back to the referrer and GP, in the shape of the PRSB information standard.

    Attributes:
        referrer: who referred, and to whom the letter is addressed.
        practice: the person's GP practice (copied in when not the referrer's own).
        person: demographics.
        referral_date: when the referral was made.
        referral_reason: why, as the referrer put it.
        concerns: needs and concerns from the conversation.
        support: support offered, activities included.
        wellbeing: ONS4 items, first and latest.
        wellbeing_baseline_date: when the first ONS4 answers were given.
        wellbeing_latest_date: when the latest ONS4 answers were given.
        outcome_text: what happened, in a few sentences.
        carries_on: whether the person means to carry on with the activity; None if not known.
        codes: SNOMED CT concepts for the GP record; the service decides which apply.
        link_worker: who signs the letter.
        letter_date: the date on the letter.
        other_measures: any other questionnaire answered, first and latest, in sentences.
    """

    referrer: Referrer
    practice: Practice
    person: PersonDetails
    referral_date: date
    referral_reason: str
    concerns: tuple[Concern, ...]
    support: tuple[SupportOffered, ...]
    wellbeing: tuple[WellbeingOutcome, ...]
    wellbeing_baseline_date: date | None
    wellbeing_latest_date: date | None
    outcome_text: str
    carries_on: bool | None
    codes: tuple[SnomedCode, ...]
    link_worker: LinkWorker
    letter_date: date
    other_measures: tuple[MeasureWords, ...] = ()
