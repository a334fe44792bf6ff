"""Give every request an id, echo it in ``X-Request-Id`` and log one line."""

import logging
import re
import time

from connect_site.request_id import new_request_id, reset_request_id, set_request_id

logger = logging.getLogger("connect.requests")

# A caller's own request id is kept only when it is short and plain, so that
# nothing odd reaches the logs through it.
CALLER_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


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
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        duration_ms = (time.perf_counter() - started) * 1000
        response["X-Request-Id"] = request.request_id
        logger.info(
            "request_id=%s method=%s path=%s status=%s duration_ms=%.1f",
            request.request_id,
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={"request_id": request.request_id},
        )
        return response
