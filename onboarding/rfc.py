"""Validation of the Mexican RFC (Registro Federal de Contribuyentes).

An RFC is a name part (3 characters for a persona moral, 4 for a persona
física), a date of incorporation or birth as YYMMDD, a 2-character homoclave
and a check digit. The SAT computes the check digit with a modulo-11 sum over
the first 12 characters, after padding a persona moral's 12-character RFC
with one leading space so that both kinds are weighed over 13 positions.
"""

import datetime
import re

# The SAT's value table for the check digit: 0-9, A-N, &, O-Z, space, Ñ.
CHECK_DIGIT_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
CHECK_DIGIT_VALUES = {char: value for value, char in enumerate(CHECK_DIGIT_ALPHABET)}

# RFCs the SAT publishes for invoices to the general public (XAXX010101000) and
# to foreign residents (XEXX010101000). They do not follow the check digit.
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})

RFC_PATTERN = re.compile(
    r"^(?P<name>[A-ZÑ&]{3,4})"
    r"(?P<date>[0-9]{6})"
    r"(?P<homoclave>[A-Z0-9]{2})"
    r"(?P<check>[0-9A])$"
)


class InvalidRfc(ValueError):
    """An invalid RFC; the message names the part that is wrong."""


def rfc_check_digit(first_twelve_or_eleven):
    """Return the SAT check digit for an RFC without its last character.

    Takes the 11 characters of a persona moral or the 12 of a persona física.
    """
    padded = first_twelve_or_eleven.rjust(12)
    total = sum(
        CHECK_DIGIT_VALUES[char] * weight
        for char, weight in zip(padded, range(13, 1, -1), strict=True)
    )
    remainder = total % 11
    if remainder == 0:
        return "0"
    digit = 11 - remainder
    return "A" if digit == 10 else str(digit)


def is_real_date(yymmdd):
    """Tell whether YYMMDD is a calendar date in either 19YY or 20YY.

    The century is not part of the RFC, so 29 February of year 00 is valid
    because 2000 was a leap year even though 1900 was not.
    """
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    for century in (1900, 2000):
        try:
            datetime.date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def normalize_rfc(value):
    """Return ``value`` in upper case without surrounding spaces or inner hyphens."""
    return value.strip().upper().replace("-", "").replace(" ", "")


def validate_rfc(value):
    """Return the normalized RFC or raise InvalidRfc saying what to fix."""
    rfc = normalize_rfc(value)
    if rfc in GENERIC_RFCS:
        return rfc
    match = RFC_PATTERN.match(rfc)
    if match is None:
        raise InvalidRfc(
            f"'{value}' is not an RFC: use 3 letters (persona moral) or 4 letters "
            "(persona física), a date as YYMMDD and a 3-character homoclave, "
            "such as ABC680524P73."
        )
    if not is_real_date(match["date"]):
        raise InvalidRfc(
            f"'{value}' has the date {match['date']}, which is not a real date "
            "in YYMMDD form."
        )
    expected = rfc_check_digit(rfc[:-1])
    if match["check"] != expected:
        raise InvalidRfc(
            f"'{value}' has an invalid check digit: its last character does not "
            "match the characters before it. Check the RFC for typos."
        )
    return rfc
