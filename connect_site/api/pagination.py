"""Offset pagination with the contract's list shape and strict query checks."""

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from rest_framework.response import Response

from connect_site.api import errors
from connect_site.api.parsers import text_problem

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Seconds a cached count may live even if nothing drops it.
COUNT_CACHE_SECONDS = 60
# The query parameter that pins later pages to the rows of the first one.
SNAPSHOT_PARAMETER = "asOf"


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


def filter_queryset(request, queryset, filterset_class, extra_parameters=()):
    """Apply a django-filter FilterSet, rejecting unknown or invalid parameters."""
    params = request.query_params
    allowed = {"limit", "offset", *extra_parameters}
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


def pin_snapshot(request, queryset):
    """Keep only the rows that sort at or after the row named by ``asOf``.

    Rows come newest first by (created_at, pk). Later pages carry the first
    page's newest row in ``asOf``, so rows inserted since then do not shift
    the offsets and pages neither repeat nor skip a row. The anchor is looked
    up in ``queryset`` itself, so ``asOf`` cannot probe ids the caller cannot
    see.
    """
    anchor_id = request.query_params.get(SNAPSHOT_PARAMETER)
    if anchor_id is None:
        return queryset
    anchor = queryset.filter(public_id=anchor_id).values("created_at", "pk").first()
    if anchor is None:
        message = (
            f"{SNAPSHOT_PARAMETER} must be an id from this list, as given in a next "
            "URL. Start again from the first page."
        )
        raise errors.ValidationFailed(
            f"Invalid {SNAPSHOT_PARAMETER}: {message}",
            fields={SNAPSHOT_PARAMETER: [message]},
        )
    return queryset.filter(
        Q(created_at__lt=anchor["created_at"])
        | Q(created_at=anchor["created_at"], pk__lte=anchor["pk"])
    )


def cached_count(request, queryset, count_cache_key):
    """Return ``queryset.count()``, cached under the key prefix and the filters."""
    filters = sorted(
        (name, value)
        for name, value in request.query_params.items()
        if name not in {"limit", "offset"}
    )
    digest = hashlib.sha256(urlencode(filters).encode()).hexdigest()[:32]
    key = f"{count_cache_key}:{digest}"
    total = cache.get(key)
    if total is None:
        total = queryset.count()
        cache.set(key, total, COUNT_CACHE_SECONDS)
    return total


def paginated_response(
    request,
    queryset,
    *,
    serialize,
    message,
    filterset_class=None,
    snapshot=False,
    count_cache_key=None,
):
    """Filter, count and slice ``queryset`` and return the contract's list shape.

    Two queries whatever the limit: one count and one page. ``serialize`` turns a
    page of rows into a list of dicts, so it may batch any related reads.

    With ``count_cache_key``, the count comes from the cache while the caller
    keeps that key valid (see teams.list_cache).

    With ``snapshot``, ``next`` carries ``asOf`` (see pin_snapshot), at the cost
    of one more query on the following pages. It needs rows with ``public_id``
    and ``created_at``, ordered by ``-created_at`` then ``-pk``.
    """
    extra_parameters = [SNAPSHOT_PARAMETER] if snapshot else []
    queryset = filter_queryset(request, queryset, filterset_class, extra_parameters)
    if snapshot:
        queryset = pin_snapshot(request, queryset)
    limit = parse_non_negative_int(
        request.query_params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT
    )
    offset = parse_non_negative_int(request.query_params, "offset", 0, 0)

    if count_cache_key is None:
        total = queryset.count()
    else:
        total = cached_count(request, queryset, count_cache_key)
    rows = list(queryset[offset : offset + limit]) if offset < total else []
    has_more = offset + len(rows) < total

    next_url = None
    if has_more:
        params = request.query_params.copy()
        params["limit"] = str(limit)
        params["offset"] = str(offset + limit)
        if snapshot and SNAPSHOT_PARAMETER not in params and offset == 0:
            params[SNAPSHOT_PARAMETER] = rows[0].public_id
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
