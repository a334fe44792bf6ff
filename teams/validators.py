"""Validation of team fields, shared by the API, the pages and the admin."""

import re
import unicodedata
import zoneinfo
from functools import cache

import pycountry
from babel.numbers import get_territory_currencies
from rest_framework import serializers

HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 40
METADATA_VALUE_MAX_LENGTH = 500


def shown(value, limit=40):
    """Return ``value`` cut to ``limit`` characters, for echoing in a message."""
    return value if len(value) <= limit else value[:limit] + "…"


@cache
def country_codes():
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def currency_codes():
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


@cache
def timezone_names():
    return frozenset(zoneinfo.available_timezones())


def validate_display_text(value):
    """Reject control and formatting characters, and text with nothing visible.

    Such a name shows as a blank card, or reads backwards after U+202E, on
    the pages and in emails.
    """
    hidden = [char for char in value if unicodedata.category(char) in {"Cc", "Cf"}]
    if hidden:
        raise serializers.ValidationError(
            f"Remove the invisible or control character U+{ord(hidden[0]):04X}."
        )
    if not any(not char.isspace() for char in value):
        raise serializers.ValidationError("Enter a name with visible characters.")
    return value


def validate_country(value):
    code = value.strip().upper()
    if code not in country_codes():
        raise serializers.ValidationError(
            f"'{shown(value)}' is not an ISO 3166-1 alpha-2 country code; use one such as MX, CO or US."
        )
    return code


def validate_currency(value):
    code = value.strip().upper()
    if code not in currency_codes():
        raise serializers.ValidationError(
            f"'{shown(value)}' is not an ISO 4217 currency code; use one such as MXN or USD."
        )
    return code


def validate_timezone(value):
    if value not in timezone_names():
        raise serializers.ValidationError(
            f"'{shown(value)}' is not an IANA time zone name; use one such as America/Mexico_City."
        )
    return value


def default_currency(country):
    """Return the legal tender of ``country`` today, or USD when there is none."""
    currencies = get_territory_currencies(country, tender=True)
    return currencies[0] if currencies else "USD"


def validate_colour(value):
    if not HEX_COLOUR.match(value):
        raise serializers.ValidationError(
            f"'{shown(value)}' is not a colour in the form #RRGGBB, such as #1A2B3C."
        )
    return value.upper()


def validate_https_url(value):
    if not value.lower().startswith("https://"):
        raise serializers.ValidationError("The URL must start with https://.")
    return value


def validate_metadata(value):
    """Check the metadata limits: a flat object of at most 50 short keys."""
    if not isinstance(value, dict):
        raise serializers.ValidationError(
            "metadata must be a JSON object of keys and values."
        )
    if len(value) > METADATA_MAX_KEYS:
        raise serializers.ValidationError(
            f"metadata has {len(value)} keys; at most {METADATA_MAX_KEYS} are allowed."
        )
    for key, item in value.items():
        if not key or len(key) > METADATA_KEY_MAX_LENGTH:
            raise serializers.ValidationError(
                f"metadata key '{key[:50]}' must be 1 to {METADATA_KEY_MAX_LENGTH} characters long."
            )
        if isinstance(item, dict | list):
            raise serializers.ValidationError(
                f"metadata['{key}'] must be a string, number, boolean or null, not an object or list."
            )
        if isinstance(item, str) and len(item) > METADATA_VALUE_MAX_LENGTH:
            raise serializers.ValidationError(
                f"metadata['{key}'] is {len(item)} characters long; at most {METADATA_VALUE_MAX_LENGTH} are allowed."
            )
        if isinstance(item, float) and (
            item != item or item in (float("inf"), float("-inf"))
        ):
            raise serializers.ValidationError(
                f"metadata['{key}'] must be a finite number."
            )
    return value
