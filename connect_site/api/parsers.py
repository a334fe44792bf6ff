"""A JSON parser that names what is wrong with a body instead of guessing."""

import json

from django.conf import settings
from rest_framework.parsers import BaseParser

from connect_site.api import errors


def find_nul_character(value, path=""):
    """Return the path of the first string containing U+0000, or None.

    PostgreSQL cannot store that character in text, so it is rejected here
    rather than failing later as a server error.
    """
    if isinstance(value, str):
        return path or "request" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return child
            found = find_nul_character(item, child)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = find_nul_character(item, f"{path}[{index}]")
            if found:
                return found
    return None


def reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise errors.PayloadTooLarge(
                f"The request body is larger than {limit // 1024} KB."
            )
        if not raw.strip():
            return {}
        try:
            text = raw.decode("utf-8")
            data = json.loads(text, parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.InvalidJson(
                f"The request body is not valid JSON: {exc}."
            ) from exc
        if not isinstance(data, dict):
            raise errors.InvalidJson("The request body must be a JSON object.")
        nul_path = find_nul_character(data)
        if nul_path:
            raise errors.ValidationFailed(
                f"Invalid {nul_path}: text must not contain the NUL character (U+0000).",
                fields={
                    nul_path: ["Text must not contain the NUL character (U+0000)."]
                },
            )
        return data
