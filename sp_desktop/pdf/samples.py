"""Synthetic example documents for renders, tests and the benchmark; run to write sample PDFs.

Usage: ``python -m sp_desktop.pdf.samples OUTDIR``. Every person here is invented; NHS numbers are
from the 999 range that is never issued, and phone numbers from Ofcom's range kept for drama.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from sp_desktop.pdf.letter import build_letter
from sp_desktop.pdf.model import (
    REFERRAL_TO_SOCIAL_PRESCRIBING,
    SOCIAL_PRESCRIBING_OFFERED,
    Concern,
    LetterDocument,
    LinkWorker,
    PersonDetails,
    PlanActivity,
    PlanDocument,
    PlanStep,
    Practice,
    Referrer,
    SupportOffered,
    WellbeingLine,
    WellbeingOutcome,
)
from sp_desktop.pdf.plan import build_plan, build_visit_pack
from sp_desktop.pdf.run_sheet import DirectoryLine, RunSheet, RunSheetVisit


def synthetic_nhs_number(first_nine: str) -> str:
    """Complete nine digits with their Modulus 11 check digit (NHS Data Dictionary)."""
    if len(first_nine) != 9 or not first_nine.isdigit() or not first_nine.startswith("999"):
        raise ValueError("Synthetic NHS numbers are nine digits starting 999, plus a check digit.")
    weights = range(10, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, weights, strict=True))
    check = 11 - total % 11
    if check == 10:
        raise ValueError(f"{first_nine} has no valid check digit; try the next number.")
    return first_nine + str(0 if check == 11 else check)


LINK_WORKER = LinkWorker(
    name="Siobhán O'Connell",
    phone="020 7946 0321",
    email="siobhan.oconnell@brookside-links.example.org",
    organisation="Brookside Link Workers",
)

PRINTED_ON = date(2026, 3, 10)

STEPS = (
    PlanStep("Ring my sister Maureen every Sunday after lunch.", None, 7),
    PlanStep("Walk to the post box and back on dry days, with my stick.", date(2026, 4, 14), 4),
    PlanStep("Ask the chemist to deliver my tablets, so I don't run out.", None, 10),
    PlanStep(
        "Go to the Tuesday tea and chat at St Anne's, with Siobhán the first time.",
        date(2026, 3, 24),
        0,
    ),
    PlanStep("Renew my bus pass with help from Łukasz at the library.", date(2026, 4, 30), 2),
)

ACTIVITIES = (
    PlanActivity(
        name="Tuesday tea and chat",
        organisation="St Anne's Community Centre",
        where="St Anne's Hall, 12 Church Lane, Northfield NF3 2AB",
        when="Tuesdays, 2pm to 4pm",
        contact="Łukasz Nowak, 020 7946 0873",
        cost="Free. Tea and cake are 50p if you would like some.",
        getting_there="The 46 bus stops outside. There is a ramp and a level entrance.",
        link_worker_comes_first_time=True,
        start_date=date(2026, 3, 24),
        weeks=12,
    ),
    PlanActivity(
        name="Chair-based exercise",
        organisation="Age Well Northfield",
        where="Northfield Leisure Centre, Studio 2, Park Road NF1 4RT",
        when="Thursdays, 10:30am to 11:15am",
        contact="Dvořák Fitness desk, 020 7946 0419",
        cost="£2 a session",
        getting_there="Community transport can collect you: ring 020 7946 0555 by Tuesday.",
        link_worker_comes_first_time=False,
        start_date=date(2026, 3, 26),
        weeks=10,
    ),
    PlanActivity(
        name="Library reading group",
        organisation="Northfield Library",
        where="Northfield Library, High Street NF2 1AA",
        when="First Wednesday of the month, 11am to midday",
        contact="Zoë at the front desk, 020 7946 0102",
        cost="Free. Large-print and audio books are available.",
        getting_there="A ten-minute walk, or the 12 bus to High Street.",
    ),
)

WELLBEING = (
    WellbeingLine("How satisfied you are with your life", 4, "low", 6, "medium"),
    WellbeingLine("How worthwhile the things you do feel", 5, "medium", 7, "high"),
    WellbeingLine("How happy you felt the day before", None, "", 6, "medium"),
    WellbeingLine(
        "How anxious you felt the day before", 7, "high", 4, "medium", lower_is_better=True
    ),
)


def sample_plan(
    *, large_print: bool = False, name: str = "Zoë Dvořák", preferred_name: str | None = "Zoë"
) -> PlanDocument:
    """A realistic printout: five steps, three activities, four wellbeing questions."""
    return PlanDocument(
        person_name=name,
        preferred_name=preferred_name,
        what_matters=(
            "Getting back to seeing people. Since Jim died I can go days without talking to "
            "anyone, and I miss a good natter.\n\n"
            "Staying in my own home, and feeling steady enough on my feet to get to the shops."
        ),
        steps=STEPS,
        activities=ACTIVITIES,
        link_worker=LINK_WORKER,
        next_visit=datetime(2026, 3, 17, 14, 30),
        next_visit_place="At your home. Siobhán will ring the day before to check it still suits.",
        wellbeing=WELLBEING,
        wellbeing_then_date=date(2025, 12, 9),
        wellbeing_now_date=date(2026, 3, 3),
        large_print=large_print,
        printed_on=PRINTED_ON,
    )


_LONG = (
    " This goes on for a while, because people say a lot when something matters to them, and the "
    "printout must keep every word of it without squeezing or overlapping anything on the page."
)


def long_plan(*, large_print: bool = False) -> PlanDocument:
    """Ten steps and six activities with long text, to prove layout splits across pages."""
    steps = tuple(
        PlanStep(f"Step words number {n}: {STEPS[n % 5].words}{_LONG}", date(2026, 4, n), n)
        for n in range(1, 11)
    )
    activities = tuple(
        replace(
            ACTIVITIES[n % 3],
            name=f"Activity number {n}: {ACTIVITIES[n % 3].name}",
            getting_there=ACTIVITIES[n % 3].getting_there + _LONG,
            when=ACTIVITIES[n % 3].when + _LONG,
        )
        for n in range(1, 7)
    )
    return replace(sample_plan(large_print=large_print), steps=steps, activities=activities)


def sample_pack() -> tuple[PlanDocument, ...]:
    """A day's visits: three people, one of them in large print."""
    return (
        sample_plan(),
        sample_plan(name="Łukasz Wiśniewski", preferred_name="Luke", large_print=True),
        sample_plan(name="Αλέξης Παπαδόπουλος", preferred_name="Αλέξης"),
    )


def sample_run_sheet(*, sync_warning: str | None = None) -> RunSheet:
    """The adviser's pages for :func:`sample_pack`'s day."""
    return RunSheet(
        day=date(2026, 3, 10),
        adviser="Siobhán O'Connell",
        visits=(
            RunSheetVisit(
                name="Zoë Dvořák",
                born=date(1941, 5, 4),
                address=("Flat 3, 27 Elm Road", "Northfield", "NF2 8QT"),
                phones=("020 7946 0114 (prefers a phone call)",),
                access=("Hearing: hard of hearing on the left, sit on her right",),
                due=("Review", "Step to look at: Walk to the post box and back (by 14 April)"),
            ),
            RunSheetVisit(
                name="Luke Wiśniewski",
                born=date(1938, 11, 20),
                address=("14 Mill Lane", "Northfield", "NF3 4JD"),
                phones=(
                    "020 7946 0288 (prefers contact through their carer)",
                    "Carer: Halina Wiśniewska, 020 7946 0291",
                ),
                access=("Large print", "Interpreter: Polish"),
                due=("Check-in: ring after the trip to his daughter's",),
            ),
            RunSheetVisit(
                name="Αλέξης Παπαδόπουλος",
                born=date(1950, 2, 1),
                address=("2 Station Road", "Northfield", "NF1 2GP"),
                phones=(),
                access=(),
                due=("First contact",),
            ),
        ),
        directory=(
            DirectoryLine(
                name="Tuesday tea and chat",
                organisation="St Anne's Community Centre",
                contact="Łukasz Nowak, 020 7946 0873",
                when="Tuesdays, 2pm to 4pm",
                where="St Anne's Hall, 12 Church Lane, Northfield NF3 2AB",
                last_checked=date(2026, 1, 12),
                active=True,
                for_people=("Zoë Dvořák", "Luke Wiśniewski"),
            ),
            DirectoryLine(
                name="Chair-based exercise",
                organisation="Age Well Northfield",
                contact="020 7946 0419",
                when="Thursdays, 10:30am to 11:15am",
                where="Northfield Leisure Centre, Park Road NF1 4RT",
                last_checked=date(2025, 4, 2),
                active=True,
                for_people=("Zoë Dvořák",),
            ),
        ),
        sync_warning=sync_warning,
        printed_on=PRINTED_ON,
    )


def sample_letter() -> LetterDocument:
    """The message back to the GP for the person in :func:`sample_plan`."""
    return LetterDocument(
        referrer=Referrer(
            name="Dr Amara Okafor",
            role="GP",
            organisation="Northfield Medical Practice",
            address_lines=(
                "Northfield Medical Practice",
                "3 Station Road",
                "Northfield",
                "NF1 2GP",
            ),
        ),
        practice=Practice(
            name="Northfield Medical Practice",
            address_lines=("3 Station Road", "Northfield", "NF1 2GP"),
        ),
        person=PersonDetails(
            name="Zoë Dvořák",
            date_of_birth=date(1941, 5, 4),
            nhs_number=synthetic_nhs_number("999123451"),
            address_lines=("Flat 3, 27 Elm Road", "Northfield", "NF2 8QT"),
        ),
        referral_date=date(2025, 12, 2),
        referral_reason=(
            "Lives alone since her husband died last year. Low mood, rarely leaves the house "
            "since a fall in October."
        ),
        concerns=(
            Concern("Loneliness", "I can go days without speaking to anyone.", 8, 4),
            Concern(
                "Getting out and about", "Since my fall I'm nervous going out on my own.", 7, 5
            ),
            Concern("Money", "I'm not sure I get everything I'm entitled to.", 5, None),
        ),
        support=(
            SupportOffered(
                "Tuesday tea and chat",
                "St Anne's Community Centre",
                "accepted",
                date(2026, 1, 6),
                12,
            ),
            SupportOffered(
                "Chair-based exercise", "Age Well Northfield", "accepted", date(2026, 1, 8), 10
            ),
            SupportOffered(
                "Benefits check", "Citizens Advice Northfield", "completed", date(2026, 1, 20)
            ),
            SupportOffered("Befriending phone calls", "Brookside Befrienders", "declined"),
        ),
        wellbeing=(
            WellbeingOutcome("Life satisfaction", 4, "low", 7, "high"),
            WellbeingOutcome("Worthwhile", 5, "medium", 7, "high"),
            WellbeingOutcome("Happiness", None, "", 6, "medium"),
            WellbeingOutcome("Anxiety", 7, "high", 3, "low", lower_is_better=True),
        ),
        wellbeing_baseline_date=date(2025, 12, 9),
        wellbeing_latest_date=date(2026, 3, 3),
        outcome_text=(
            "Zoë has been going to the Tuesday tea and chat every week and now walks to the "
            "post box most days. A benefits check found she was entitled to Attendance "
            "Allowance, which has been awarded. She says she feels steadier and less alone."
        ),
        carries_on=True,
        codes=(REFERRAL_TO_SOCIAL_PRESCRIBING, SOCIAL_PRESCRIBING_OFFERED),
        link_worker=LINK_WORKER,
        letter_date=date(2026, 3, 10),
    )


def write_samples(folder: Path) -> list[Path]:
    """Write each sample document into ``folder`` and return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    documents = {
        "plan-standard.pdf": build_plan(sample_plan()),
        "plan-large-print.pdf": build_plan(sample_plan(large_print=True)),
        "plan-long.pdf": build_plan(long_plan()),
        "letter.pdf": build_letter(sample_letter()),
        "visit-pack.pdf": build_visit_pack(
            sample_pack(),
            sample_run_sheet(
                sync_warning="This laptop last synced with the office 3 days ago (Sat 7 Mar at "
                "16:05). Changes made at the office since then are not in this pack: sync "
                "before you set off if you can."
            ),
        ),
    }
    written = []
    for name, pdf in documents.items():
        path = folder / name
        path.write_bytes(pdf)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the sample PDFs into the folder given."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m sp_desktop.pdf.samples OUTDIR", file=sys.stderr)
        return 2
    for path in write_samples(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
