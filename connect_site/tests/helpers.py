"""Assertions shared by the API tests of every app."""


def error_of(response):
    """Return the error body without its request id, after checking that id.

    The id in the body must be the one in the X-Request-Id header, so that a
    client quoting either one points to the same log line.
    """
    body = response.json()
    assert body.pop("requestId") == response["X-Request-Id"]
    assert response["X-Request-Id"].startswith("req_")
    return body


def validation_error(message, fields):
    return {
        "error": {"code": "validation_error", "message": message, "fields": fields},
        "message": message,
    }
