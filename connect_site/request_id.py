"""The id of the request being served, for error bodies and log lines."""

import contextvars

from connect_site.ids import new_public_id

_request_id = contextvars.ContextVar("request_id", default=None)


def new_request_id():
    return new_public_id("req")


def current_request_id():
    """Return the current request's id, or a fresh one outside a request."""
    return _request_id.get() or new_request_id()


def set_request_id(value):
    return _request_id.set(value)


def reset_request_id(token):
    _request_id.reset(token)
