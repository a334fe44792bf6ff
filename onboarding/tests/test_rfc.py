"""The RFC validator, with check digits computed here from the SAT's definition."""

import pytest

from onboarding.rfc import InvalidRfc, rfc_check_digit, validate_rfc

# The SAT's table: each character's value is its index in this string.
SAT_TABLE = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def expected_check_digit(body):
    """Compute the check digit from the definition, independently of the module.

    A persona moral's 11 characters get one leading space; the 12 characters
    are weighed 13 down to 2; the digit is 11 minus the sum modulo 11, with 11
    written as 0 and 10 as A.
    """
    padded = (" " + body) if len(body) == 11 else body
    total = 0
    for position, char in enumerate(padded):
        total += SAT_TABLE.index(char) * (13 - position)
    digit = 11 - total % 11
    if digit == 11:
        return "0"
    if digit == 10:
        return "A"
    return str(digit)


def with_check_digit(body):
    return body + expected_check_digit(body)


def with_wrong_check_digit(body):
    right = expected_check_digit(body)
    return body + ("1" if right != "1" else "2")


# Persona física (4 letters) and persona moral (3 letters), with real dates.
VALID_BODIES = [
    "GODE561231GR",
    "MELM8305281H",
    "PEPJ000229AB",  # 29 February 2000
    "ABC680524P7",
    "IBM850101AA",
    "Ñ&A9912315X",
    "XYZ200229QW",
]


@pytest.mark.parametrize("body", VALID_BODIES)
def test_rfc_with_computed_check_digit_is_valid(body):
    rfc = with_check_digit(body)

    assert validate_rfc(rfc) == rfc


@pytest.mark.parametrize("body", VALID_BODIES)
def test_rfc_check_digit_matches_definition(body):
    assert rfc_check_digit(body) == expected_check_digit(body)


def test_rfc_check_digit_covers_zero_and_a():
    digits = set()
    for day in range(1, 29):
        for homoclave in ("AA", "B1", "Z9", "K3"):
            digits.add(rfc_check_digit(f"GODE5612{day:02d}{homoclave}"))

    assert "0" in digits
    assert "A" in digits


def test_rfc_is_normalized_to_upper_case():
    rfc = with_check_digit("GODE561231GR")

    assert validate_rfc(f"  {rfc.lower()} ") == rfc


@pytest.mark.parametrize("rfc", ["XAXX010101000", "XEXX010101000"])
def test_generic_rfc_is_valid(rfc):
    assert validate_rfc(rfc) == rfc


@pytest.mark.parametrize("body", VALID_BODIES)
def test_rfc_with_wrong_check_digit_is_invalid(body):
    rfc = with_wrong_check_digit(body)

    with pytest.raises(InvalidRfc) as caught:
        validate_rfc(rfc)

    assert str(caught.value) == (
        f"'{rfc}' has an invalid check digit: its last character does not "
        "match the characters before it. Check the RFC for typos."
    )


@pytest.mark.parametrize(
    "body",
    [
        "GODE561331GR",  # month 13
        "GODE560230GR",  # 30 February
        "ABC010229P7",  # 29 February 1901 and 2001
        "GODE560000GR",  # day and month zero
    ],
)
def test_rfc_with_impossible_date_is_invalid(body):
    rfc = with_check_digit(body)

    with pytest.raises(InvalidRfc) as caught:
        validate_rfc(rfc)

    date = body[4:10] if len(body) == 12 else body[3:9]
    assert str(caught.value) == (
        f"'{rfc}' has the date {date}, which is not a real date in YYMMDD form."
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "GODE561231G",  # too short
        "GODE561231GR55",  # too long
        "GO1E561231GR5",  # digit in the name part
        "AB680524P73",  # two letters
        "GODEE61231GR5",  # letter in the date
        "GODE561231G_5",  # symbol in the homoclave
        "GODE561231GRB",  # check digit neither a digit nor A
        "XAXX010101001",  # near the generic RFC
    ],
)
def test_rfc_with_bad_format_is_invalid(value):
    with pytest.raises(InvalidRfc) as caught:
        validate_rfc(value)

    message = str(caught.value)
    assert message.startswith(f"'{value}' ")


def test_rfc_bad_format_message_names_the_parts():
    with pytest.raises(InvalidRfc) as caught:
        validate_rfc("AB680524P73")

    assert str(caught.value) == (
        "'AB680524P73' is not an RFC: use 3 letters (persona moral) or 4 letters "
        "(persona física), a date as YYMMDD and a 3-character homoclave, "
        "such as ABC680524P73."
    )
