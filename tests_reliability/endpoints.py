"""Enumerate the API's endpoints from the URL resolver.

Tests built on this cover every endpoint that exists, new ones included,
without listing them by hand.
"""

from dataclasses import dataclass

from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from rest_framework.views import APIView

API_PREFIX = "v2/connect/"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# Public, key-less documentation views.
UNAUTHENTICATED_VIEWS = {"SpectacularAPIView", "SpectacularRedocView"}


@dataclass(frozen=True)
class Endpoint:
    route: str  # e.g. "v2/connect/teams/<str:team_id>/members"
    method: str
    view_name: str
    parameters: tuple

    def path(self, values):
        """Return the URL path with each ``<converter:name>`` replaced."""
        path = "/" + self.route
        for name, pattern in self.parameter_patterns():
            path = path.replace(pattern, values[name])
        return path

    def parameter_patterns(self):
        route = self.route
        found = []
        while "<" in route:
            start = route.index("<")
            end = route.index(">", start)
            pattern = route[start : end + 1]
            found.append((pattern[1:-1].split(":")[-1], pattern))
            route = route[end + 1 :]
        return found

    def __str__(self):
        return f"{self.method.upper()} /{self.route}"


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def api_endpoints(*, authenticated_only=True):
    """Return every (route, method) served by a DRF view under the API path.

    Routes that differ only by a trailing slash are listed once.
    """
    endpoints = {}
    for route, pattern in walk(get_resolver().url_patterns):
        if not route.startswith(API_PREFIX):
            continue
        view_class = getattr(pattern.callback, "view_class", None) or getattr(
            pattern.callback, "cls", None
        )
        if view_class is None or not issubclass(view_class, APIView):
            continue
        if authenticated_only and view_class.__name__ in UNAUTHENTICATED_VIEWS:
            continue
        canonical = route.rstrip("/")
        for method in HTTP_METHODS:
            if not hasattr(view_class, method):
                continue
            endpoint = Endpoint(
                route=canonical,
                method=method,
                view_name=view_class.__name__,
                parameters=tuple(
                    name
                    for name, _pattern in Endpoint(
                        canonical, method, "", ()
                    ).parameter_patterns()
                ),
            )
            endpoints.setdefault((canonical, method), endpoint)
    return list(endpoints.values())


def team_page_routes():
    """Return the web page routes that take a ``team_id``, such as
    ``teams/<str:team_id>/members/``."""
    return sorted(
        {
            route
            for route, _pattern in walk(get_resolver().url_patterns)
            if not route.startswith((API_PREFIX, "admin/")) and "<str:team_id>" in route
        }
    )
