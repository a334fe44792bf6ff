"""Offset pagination with the contract's list shape and strict query checks."""

from urllib.parse import urlencode

from django.conf import settings
from rest_framework.response import Response

from connect_site.api import errors
from connect_site.api.parsers import text_problem

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def parse_non_negative_int(params, name, default, minimum, maximum=None):
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        bound = f"from {minimum} to {maximum}" if maximum else f"from {minimum}"
        message = f"{name} must be a whole number {bound}."
        raise errors.ValidationFailed(
            f"Invalid {name}: {message}", fields={name: [message]}
        )
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"from {minimum} to {maximum}" if maximum else f"from {minimum}"
        message = f"{name} must be {bound}; got {value}."
        raise errors.ValidationFailed(
            f"Invalid {name}: {message}", fields={name: [message]}
        )
    return value


def filter_queryset(request, queryset, filterset_class):
    """Apply a django-filter FilterSet, rejecting unknown or invalid parameters."""
    params = request.query_params
    allowed = {"limit", "offset"}
    if filterset_class is not None:
        allowed |= set(filterset_class.base_filters)
    unknown = sorted(name for name in params if name not in allowed)
    if unknown:
        message = (
            "Unknown query parameter. Allowed: " + ", ".join(sorted(allowed)) + "."
        )
        raise errors.ValidationFailed(
            f"Unknown query parameter {unknown[0]}. Allowed: {', '.join(sorted(allowed))}.",
            fields={name: [message] for name in unknown},
        )
    for name in sorted(params):
        problem = text_problem(params[name])
        if problem:
            raise errors.ValidationFailed(
                f"Invalid {name}: {problem}", fields={name: [problem]}
            )
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if repeated:
        message = "Give this query parameter once."
        raise errors.ValidationFailed(
            f"Invalid {repeated[0]}: {message}",
            fields={name: [message] for name in repeated},
        )
    if filterset_class is None:
        return queryset
    filterset = filterset_class(params, queryset=queryset, request=request)
    if not filterset.is_valid():
        fields = {
            name: [str(message) for message in messages]
            for name, messages in filterset.errors.items()
        }
        name, messages = next(iter(fields.items()))
        raise errors.ValidationFailed(f"Invalid {name}: {messages[0]}", fields=fields)
    return filterset.qs


def paginated_response(request, queryset, *, serialize, message, filterset_class=None):
    """Filter, count and slice ``queryset`` and answer the contract's list shape.

    Two queries whatever the limit: one count and one page. ``serialize`` turns a
    page of rows into a list of dicts, so it may batch any related reads.
    """
    queryset = filter_queryset(request, queryset, filterset_class)
    limit = parse_non_negative_int(
        request.query_params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT
    )
    offset = parse_non_negative_int(request.query_params, "offset", 0, 0)

    total = queryset.count()
    rows = list(queryset[offset : offset + limit]) if offset < total else []
    has_more = offset + len(rows) < total

    next_url = None
    if has_more:
        params = request.query_params.copy()
        params["limit"] = str(limit)
        params["offset"] = str(offset + limit)
        # The base comes from settings, not from the Host header, so a
        # forged Host cannot steer clients to another server.
        next_url = (
            settings.CONNECT_BASE_URL
            + request.path
            + "?"
            + urlencode(sorted(params.items()))
        )
    return Response(
        {
            "data": serialize(rows),
            "message": message,
            "totalResults": total,
            "hasMore": has_more,
            "next": next_url,
        }
    )
