"""Webhook secrets: generation, format checks, encryption at rest and masking."""

import base64
import binascii
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

WHSEC_PREFIX = "whsec_"
PLAIN_SECRET_MIN_LENGTH = 16
WHSEC_MIN_BYTES = 24
WHSEC_MAX_BYTES = 64


def generate_secret():
    """Return ``whsec_`` and the base64 of 32 random bytes."""
    return WHSEC_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_format_error(secret):
    """Return why ``secret`` is unusable, or None when it is fine.

    A ``whsec_`` secret must be standard base64 of 24 to 64 bytes; any other
    secret is used as its UTF-8 bytes and needs at least 16 characters.
    """
    if secret.startswith(WHSEC_PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(WHSEC_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            return "A whsec_ secret must be followed by standard base64."
        if not WHSEC_MIN_BYTES <= len(key) <= WHSEC_MAX_BYTES:
            return (
                f"A whsec_ secret must encode {WHSEC_MIN_BYTES} to {WHSEC_MAX_BYTES} bytes; "
                f"this one encodes {len(key)}."
            )
        return None
    if len(secret) < PLAIN_SECRET_MIN_LENGTH:
        return f"A secret must have at least {PLAIN_SECRET_MIN_LENGTH} characters, or be a whsec_ secret."
    return None


def signing_key(secret):
    """Return the HMAC key: a whsec_ secret's decoded tail, or any other secret's UTF-8 bytes."""
    if secret.startswith(WHSEC_PREFIX):
        return base64.b64decode(secret.removeprefix(WHSEC_PREFIX))
    return secret.encode("utf-8")


def mask_secret(secret):
    """Show enough of a secret to recognise it: ``whsec_abcd…`` or ``team…``."""
    visible = 10 if secret.startswith(WHSEC_PREFIX) else 4
    return secret[:visible] + "…"


def _fernet():
    # The encryption key is derived from SECRET_KEY, so rotating SECRET_KEY
    # makes stored webhook secrets unreadable: rotate them afterwards.
    digest = hashlib.sha256(
        b"connect.webhook-secrets:" + settings.SECRET_KEY.encode()
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(secret):
    return _fernet().encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt_secret(token):
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError(
            "The stored webhook secret cannot be decrypted with this SECRET_KEY."
        ) from exc
