import os

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.negotiation import DefaultContentNegotiation

from connect_site.health import healthz
from connect_site.views import api_not_found

api_patterns = [
    path("", include("teams.api.urls")),
    path("", include("onboarding.api.urls")),
    path("", include("members.api.urls")),
    path("", include("integrations.api.urls")),
    path(
        "schema/",
        SpectacularAPIView.as_view(content_negotiation_class=DefaultContentNegotiation),
        name="api-schema",
    ),
    path("docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    # Last, so that it only catches what no endpoint above matches.
    re_path(r"^", api_not_found, name="api-not-found"),
]

urlpatterns = [
    path("v2/connect/", include(api_patterns)),
    # Any other URL under /v2/ gets the JSON 404 too, never an HTML page.
    re_path(r"^v2/", api_not_found),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("teams.urls")),
    path("", include("teams.audit_urls")),
    path("", include("onboarding.urls")),
    path("", include("members.urls")),
    path("", include("integrations.urls")),
    path("", include("connect_site.web.urls")),
]

# The benchmarks' bare views (bench/urls.py), only when CONNECT_BENCH=1.
if os.environ.get("CONNECT_BENCH") == "1":
    urlpatterns.append(path("bench/", include("bench.urls")))

handler400 = "connect_site.views.bad_request"
handler404 = "connect_site.views.not_found"
handler500 = "connect_site.views.internal_error"
