"""NHS numbers: the Modulus 11 rule from the NHS Data Dictionary, typed as people type them."""

import pytest

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.nhs_number import NhsNumber, check_digit


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("943 476 5919", "9434765919"),  # the Data Dictionary's own example
        ("9434765919", "9434765919"),
        ("943-476-5919", "9434765919"),
        ("  943 476 5919 ", "9434765919"),
        ("999 000 0018", "9990000018"),  # synthetic range
        ("401 023 2137", "4010232137"),
    ],
)
def test_valid_numbers_are_accepted_and_shown_3_3_4(typed: str, digits: str) -> None:
    number = NhsNumber.parse(typed)
    assert number.digits == digits
    assert str(number) == f"{digits[:3]} {digits[3:6]} {digits[6:]}"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("943 476 5918", "check"),  # wrong check digit
        ("943 476 591", "10 digits"),  # too short
        ("943 476 59190", "10 digits"),  # too long
        ("94a 476 5919", "10 digits"),
        ("", "10 digits"),
        ("000 000 0000", "not a real"),
        ("123 456 7890", "check"),  # remainder gives 10: never valid
        ("94 34765919", "10 digits"),  # grouped wrongly
    ],
)
def test_invalid_numbers_say_why(typed: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        NhsNumber.parse(typed)
    assert caught.value.field == "nhs_number"
    assert reason in caught.value.message


def test_check_digit_ten_means_no_valid_number() -> None:
    assert check_digit("123456789") is None
    assert check_digit("943476591") == 9


def test_synthetic_range_is_recognised() -> None:
    assert NhsNumber.parse("999 000 0018").is_synthetic
    assert not NhsNumber.parse("943 476 5919").is_synthetic
