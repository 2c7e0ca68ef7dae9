"""NHS numbers: Modulus 11 check, 3-3-4 display, the never-issued 999 range for synthetic data."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sp_desktop.domain.errors import ValidationError

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_TYPED = re.compile(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$")
SYNTHETIC_PREFIX = "999"


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
        if len(self.digits) != 10 or not self.digits.isdigit():
            raise ValidationError("nhs_number", "An NHS number has 10 digits.")
        if self.digits == "0" * 10:
            raise ValidationError("nhs_number", "0000000000 is not a real NHS number.")
        if check_digit(self.digits[:9]) != int(self.digits[9]):
            raise ValidationError(
                "nhs_number", "This NHS number does not pass its check: please look at it again."
            )

    @classmethod
    def parse(cls, typed: str) -> NhsNumber:
        """Accepts what people type: 10 digits with spaces or dashes as 3-3-4, or none."""
        text = typed.strip()
        if not _TYPED.match(text):
            raise ValidationError(
                "nhs_number", "An NHS number has 10 digits, written like 943 476 5919."
            )
        return cls(re.sub(r"\D", "", text))

    @property
    def is_synthetic(self) -> bool:
        """Numbers starting 999 are valid but never issued: only demo data may use them."""
        return self.digits.startswith(SYNTHETIC_PREFIX)

    def __str__(self) -> str:
        return f"{self.digits[:3]} {self.digits[3:6]} {self.digits[6:]}"
