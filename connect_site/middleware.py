"""Give every request an id, echo it in ``X-Request-Id`` and log one line."""

import logging
import re
import time

from django.utils import translation

from connect_site.request_id import new_request_id, reset_request_id, set_request_id
from connect_site.views import api_not_found

logger = logging.getLogger("connect.requests")

API_PREFIX = "/v2/"

# A caller's own request id is kept only when it is short and plain, so that
# nothing odd reaches the logs through it.
CALLER_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def escape_control_characters(text):
    """Spell control characters as ``\\xNN`` so a path cannot forge log lines."""
    return CONTROL_CHARACTER.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-Id", "")
        request.request_id = (
            supplied if CALLER_REQUEST_ID.match(supplied) else new_request_id()
        )
        token = set_request_id(request.request_id)
        started = time.perf_counter()
        try:
            if request.path.startswith(API_PREFIX) and "\x00" in request.path:
                # No public id contains NUL, and PostgreSQL rejects it in a
                # query with a ValueError, so such a path is a 404 up front.
                response = api_not_found(request)
            else:
                response = self.get_response(request)
        finally:
            reset_request_id(token)
        duration_ms = (time.perf_counter() - started) * 1000
        response["X-Request-Id"] = request.request_id
        logger.info(
            "request_id=%s method=%s path=%s status=%s duration_ms=%.1f",
            request.request_id,
            request.method,
            escape_control_characters(request.path),
            response.status_code,
            duration_ms,
            extra={"request_id": request.request_id},
        )
        return response


class ApiLanguageMiddleware:
    """Serve API responses in English whatever Accept-Language requests.

    The API's own messages are English, and Django REST framework's would
    otherwise follow the site's Spanish default, mixing two languages in one
    error body. It must come after LocaleMiddleware, which it overrides.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        with translation.override("en"):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", "en")
        return response
