"""API key material: generation and digests. The key itself is never stored."""

import hashlib
import secrets

KEY_PREFIX = "ck_live_"


def generate_api_key():
    # 32 bytes of randomness, about 43 URL-safe characters after the prefix.
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest_api_key(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
