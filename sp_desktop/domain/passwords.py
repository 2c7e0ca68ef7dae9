"""The rule for an adviser's office password, one definition for every place one is set.

The office checks it when an adviser is added and when a password is set or reset; the rule
lives here, Qt-free, so the server and the app cannot hold two versions of it. Strength is
measured by the same zxcvbn call as the laptop's passphrase (`domain.passphrase.strength`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.passphrase import MIN_SCORE, strength

MIN_PASSWORD_CHARS = 12
# zxcvbn's 3, "safely unguessable": rules out the common passwords and their variations
# (`password1`, `Summer2024`, keyboard walks) that a guessing attack tries first.
MIN_PASSWORD_SCORE = MIN_SCORE
MAX_PASSWORD_CHARS = 1024  # the server refuses longer bodies; a longer one could never log in


def check_password(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Raises ValidationError (field "password") saying why this password cannot be used.

    `user_inputs` are words the password must not lean on (the adviser's name, the team).
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationError("password", f"A password needs at least {MIN_PASSWORD_CHARS} "
                              "characters; a few ordinary words in a row are easy to remember.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValidationError("password", f"A password can have at most {MAX_PASSWORD_CHARS} "
                              "characters.")
    words = [word for text in user_inputs for word in text.split() if word]
    score, _advice = strength(password, words)
    if score < MIN_PASSWORD_SCORE:
        raise ValidationError(
            "password", "That password is too easy to guess (a common password, or close to "
            "one). Please choose a longer one, for example a few unrelated words.")
