"""A JSON parser that names what is wrong with a body instead of guessing."""

import json
import math

from django.conf import settings
from rest_framework.parsers import BaseParser

from connect_site.api import errors


def text_problem(text):
    """Return why ``text`` cannot be stored, or None when it can.

    PostgreSQL cannot store U+0000 in text, and a lone surrogate such as
    ``\\ud800`` cannot be encoded as UTF-8, so both are rejected here rather
    than failing later as a server error.
    """
    if "\x00" in text:
        return "Text must not contain the NUL character (U+0000)."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must not contain unpaired surrogates such as \\ud800."
    return None


def find_invalid_text(value, path=""):
    """Return ``(path, problem)`` for the first string that cannot be stored."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (path or "request", problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            problem = text_problem(key)
            if problem:
                return child.encode("utf-8", "backslashreplace").decode(), problem
            found = find_invalid_text(item, child)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = find_invalid_text(item, f"{path}[{index}]")
            if found:
                return found
    return None


def reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_finite_float(text):
    # Python reads 1e400 as infinity, which JSON cannot represent and
    # PostgreSQL's jsonb refuses to store.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def declared_length(parser_context):
    """Return the request's Content-Length as an int, or None when absent."""
    request = (parser_context or {}).get("request")
    raw = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
    return int(raw) if raw.isdigit() else None


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        too_large = errors.PayloadTooLarge(
            f"The request body is larger than {limit // 1024} KB."
        )
        declared = declared_length(parser_context)
        if declared is not None and declared > limit:
            # Rejected before reading, so a client cannot hold a worker
            # waiting for a body it never sends.
            raise too_large
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large
        if declared is not None and len(raw) < declared:
            # An upload cut short must not be acted on as if it were whole.
            raise errors.InvalidJson(
                f"The request body ended after {len(raw)} of the {declared} bytes "
                "its Content-Length declares; send the whole body."
            )
        if not raw.strip():
            return {}
        try:
            text = raw.decode("utf-8")
            data = json.loads(
                text, parse_constant=reject_constant, parse_float=parse_finite_float
            )
            found = find_invalid_text(data)
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.InvalidJson(
                f"The request body is not valid JSON: {exc}."
            ) from exc
        except RecursionError:
            # Both json.loads and the text check recurse once per level.
            raise errors.InvalidJson(
                "The request body is nested too deeply; flatten it."
            ) from None
        if not isinstance(data, dict):
            raise errors.InvalidJson("The request body must be a JSON object.")
        if found:
            path, problem = found
            raise errors.ValidationFailed(
                f"Invalid {path}: {problem}", fields={path: [problem]}
            )
        return data
