"""Plain-English words for the dates, times, numbers and changes printed on documents."""

from __future__ import annotations

from datetime import date, datetime, time

# Spelled out rather than strftime("%B"): Qt sets the C locale from the desktop, and a plan for
# an English reader must not come out with "avril" on a laptop set up in French.
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def long_date(day: date) -> str:
    """ "14 April 2026": day first, month in words, so it cannot be misread as US order."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def weekday_date(day: date) -> str:
    """ "Tuesday 14 April 2026": for appointments people remember the day of the week."""
    return f"{_WEEKDAYS[day.weekday()]} {long_date(day)}"


def clock_time(moment: time) -> str:
    """ "2:30pm", "10am", "midday": the way times are said, not a 24-hour clock."""
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def appointment(moment: date | datetime) -> str:
    """ "Tuesday 14 April 2026 at 2:30pm", or just the day when no time is agreed yet."""
    if not isinstance(moment, datetime):
        return weekday_date(moment)
    return f"{weekday_date(moment.date())} at {clock_time(moment.time())}"


def weeks(count: int) -> str:
    """ "1 week", "12 weeks"."""
    return f"{count} week" if count == 1 else f"{count} weeks"


def progress_words(progress: int) -> str:
    """Say how far along a step is (0-10), so the reader never has to interpret a bare number."""
    if not 0 <= progress <= 10:
        raise ValueError(f"Progress must be between 0 and 10, not {progress}.")
    if progress == 0:
        return "Not started yet"
    if progress <= 3:
        return "Started"
    if progress <= 6:
        return "Half way"
    if progress <= 9:
        return "Nearly there"
    return "Done"


def nhs_number(digits: str) -> str:
    """Show a ten-digit NHS number in the 3-3-4 groups people read aloud: "999 123 4560"."""
    plain = digits.replace(" ", "")
    if len(plain) != 10 or not plain.isdigit():
        raise ValueError("An NHS number has ten digits.")
    return f"{plain[:3]} {plain[3:6]} {plain[6:]}"


def sentence_case(words: str) -> str:
    """Capitalise the first letter only ("very high" becomes "Very high")."""
    return words[:1].upper() + words[1:]
