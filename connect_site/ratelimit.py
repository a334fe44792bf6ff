"""Per-API-key rate limits for the API, as a DRF throttle.

A fixed one-minute window per key and per kind of request: reads (GET, HEAD,
OPTIONS) and writes (everything else) have separate limits, the settings
``CONNECT_RATE_LIMIT_READS_PER_MINUTE`` and
``CONNECT_RATE_LIMIT_WRITES_PER_MINUTE``. Counters live in Django's default
cache, which is Redis when ``REDIS_URL`` is set, so every web process shares
them, and local memory otherwise (a limit per process then). ``cache.add``
followed by ``cache.incr`` is atomic on both.

A request over the limit gets ``429 rate_limited`` with
``Retry-After`` set to the seconds left in the window. Requests without a
valid key are limited per client address under the read or write limit.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def rate_limit_hit(*, identity, scope, limit, now=None):
    """Count one request and return the seconds to wait, or 0 when allowed.

    The counter key names the window, so it never needs resetting: it
    expires shortly after its window ends.
    """
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"ratelimit:{scope}:{identity}:{window}"
    count = None
    for _attempt in range(2):
        cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
        try:
            count = cache.incr(key)
            break
        except ValueError:
            # The key expired between add and incr; add it again.
            continue
    if count is None or count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


class ApiKeyRateThrottle(BaseThrottle):
    """Limit each API key's reads and writes per minute."""

    def allow_request(self, request, view):
        api_key = getattr(request, "auth", None)
        if api_key is not None and getattr(api_key, "public_id", None):
            identity = api_key.public_id
        else:
            address = self.get_ident(request) or "unknown"
            identity = "addr-" + hashlib.sha256(address.encode()).hexdigest()[:32]
        if request.method in READ_METHODS:
            scope, limit = "read", settings.CONNECT_RATE_LIMIT_READS_PER_MINUTE
        else:
            scope, limit = "write", settings.CONNECT_RATE_LIMIT_WRITES_PER_MINUTE
        if limit <= 0:
            return True
        self.wait_seconds = rate_limit_hit(identity=identity, scope=scope, limit=limit)
        if self.wait_seconds:
            logger.info(
                "Rate limit reached: identity=%s scope=%s limit=%s",
                identity,
                scope,
                limit,
            )
            return False
        return True

    def wait(self):
        return self.wait_seconds
