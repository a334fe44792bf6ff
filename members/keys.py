"""API key material: generation and digests. The key itself is never stored."""

import hashlib
import re
import secrets

KEY_PREFIX = "ck_live_"
# The prefix, then at least 32 URL-safe base64 characters. The upper bound
# only keeps absurd headers from being hashed.
KEY_FORMAT = re.compile(r"^ck_live_[A-Za-z0-9_-]{32,200}$")


def generate_api_key():
    # 32 bytes of randomness, about 43 URL-safe characters after the prefix.
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest_api_key(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def looks_like_api_key(key):
    """Return whether ``key`` has the form of a generated key."""
    return KEY_FORMAT.match(key) is not None
