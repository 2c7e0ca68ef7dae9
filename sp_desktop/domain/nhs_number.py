"""NHS numbers: Modulus 11 check, 3-3-4 display, the never-issued 999 range for synthetic data."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sp_desktop.domain.errors import ValidationError

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
# ASCII digits only: `\d` would also take full-width and Arabic-Indic digits, stored as typed.
_TYPED = re.compile(r"^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$")
SYNTHETIC_PREFIX = "999"
NOT_TEXT = "An NHS number is given as text, like 943 476 5919."


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None where no valid number exists."""
    remainder = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True)) % 11
    digit = 11 - remainder
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


@dataclass(frozen=True, slots=True)
class NhsNumber:
    """A valid NHS number, stored as ten digits; `str()` gives the 3-3-4 form people read."""

    digits: str

    def __post_init__(self) -> None:
        if not isinstance(self.digits, str):
            raise ValidationError("nhs_number", NOT_TEXT)
        if len(self.digits) != 10 or not (self.digits.isascii() and self.digits.isdigit()):
            raise ValidationError("nhs_number", "An NHS number has 10 digits, from 0 to 9.")
        if self.digits == "0" * 10:
            raise ValidationError("nhs_number", "0000000000 is not a real NHS number.")
        if check_digit(self.digits[:9]) != int(self.digits[9]):
            raise ValidationError(
                "nhs_number", "This NHS number does not pass its check: please look at it again."
            )

    @classmethod
    def parse(cls, typed: str) -> NhsNumber:
        """Accepts what people type: 10 digits with spaces or dashes as 3-3-4, or none."""
        if not isinstance(typed, str):
            raise ValidationError("nhs_number", NOT_TEXT)
        text = typed.strip()
        if not _TYPED.match(text):
            raise ValidationError(
                "nhs_number", "An NHS number has 10 digits, written like 943 476 5919."
            )
        return cls(re.sub(r"[^0-9]", "", text))

    @property
    def is_synthetic(self) -> bool:
        """Numbers starting 999 are valid but never issued: only demo data may use them."""
        return self.digits.startswith(SYNTHETIC_PREFIX)

    def __str__(self) -> str:
        return f"{self.digits[:3]} {self.digits[3:6]} {self.digits[6:]}"
