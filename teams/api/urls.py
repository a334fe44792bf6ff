from django.urls import path

import connect_site.api.converters  # noqa: F401  registers <public_id:...>
from teams.api import views

# Each URL also responds with a trailing slash, the same as without one. The
# slashed spelling is left out of the schema so each operation appears once.
urlpatterns = [
    path("teams", views.TeamListView.as_view(), name="api-team-list"),
    path("teams/", views.TeamListView.as_view(schema=None)),
    path(
        "teams/<public_id:team_id>",
        views.TeamDetailView.as_view(),
        name="api-team-detail",
    ),
    path("teams/<public_id:team_id>/", views.TeamDetailView.as_view(schema=None)),
]
