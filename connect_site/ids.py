"""Prefixed, random, opaque public ids such as ``team_4fJ9...``."""

import secrets
import string

ALPHABET = string.ascii_letters + string.digits
# 24 characters of a 62-letter alphabet carry about 143 bits of randomness.
RANDOM_LENGTH = 24

# "obl" is an onboarding link; "req" a request id, which is never stored.
PREFIXES = {"team", "mbr", "intg", "evt", "dlv", "key", "req", "obl"}


def new_public_id(prefix):
    if prefix not in PREFIXES:
        raise ValueError(f"Unknown public id prefix {prefix!r}.")
    return (
        prefix + "_" + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    )


def new_team_id():
    return new_public_id("team")


def new_member_id():
    return new_public_id("mbr")


def new_integration_id():
    return new_public_id("intg")


def new_event_id():
    return new_public_id("evt")


def new_delivery_id():
    return new_public_id("dlv")


def new_key_id():
    return new_public_id("key")
