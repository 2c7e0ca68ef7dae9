"""The passphrase rule: one definition of "strong enough" and of how a passphrase is normalised.

Every place a passphrase is set (first run, `Store.create`, `sp-desktop passwd`, `recover`,
`rekey`, the app's dialogs) asks this module, so `a` is refused everywhere with the same words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sp_desktop.domain.errors import ValidationError

MIN_SCORE = 3  # zxcvbn: "safely unguessable" — needed, because a stolen laptop can be attacked
STRENGTH_WORDS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")
_CHECKED_LENGTH = 100  # zxcvbn slows down on very long input; the first 100 characters suffice

NO_PASSPHRASE = "Please choose a passphrase."
TOO_WEAK = "Please choose a stronger passphrase: a few unrelated words work well."
TIP = "Try three or four unrelated words, like 'kettle violet harbour spoon'."
# Words anyone attacking this laptop would try first, whoever calls.
_APP_WORDS = ("sp desktop", "social prescribing", "link worker")


def normalise(passphrase: str) -> str:
    """NFC: 'Café' typed with a composed é or as e + combining accent is the same passphrase."""
    return unicodedata.normalize("NFC", passphrase)


def strength(passphrase: str, user_inputs: Iterable[str] = ()) -> tuple[int, str]:
    """Score 0-4 and zxcvbn's most useful advice, in words."""
    if not passphrase:
        return 0, ""
    # Imported here: its word lists take ~12 MiB, and an unlock never needs them.
    from zxcvbn import zxcvbn

    inputs = [word for word in (*user_inputs, *_APP_WORDS) if word]
    result = zxcvbn(normalise(passphrase)[:_CHECKED_LENGTH], user_inputs=inputs)
    feedback = result.get("feedback", {})
    advice = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
    return int(result["score"]), " ".join(a for a in advice if a)


def passphrase_problem(passphrase: str, user_inputs: Iterable[str] = ()) -> str:
    """Why this passphrase may not be set, in words; '' when it may."""
    if not passphrase:
        return NO_PASSPHRASE
    score, _advice = strength(passphrase, user_inputs)
    return TOO_WEAK if score < MIN_SCORE else ""


def require_strong(passphrase: str, user_inputs: Iterable[str] = ()) -> None:
    """Raises ValidationError('passphrase', ...) unless the passphrase may be set."""
    problem = passphrase_problem(passphrase, user_inputs)
    if problem:
        raise ValidationError("passphrase", problem)
