from django.urls import path

import connect_site.api.converters  # noqa: F401  registers <public_id:...>
from teams.api import views

# connect_site.views.api_not_found serves these URLs with a trailing slash too.
urlpatterns = [
    path("teams", views.TeamListView.as_view(), name="api-team-list"),
    path(
        "teams/<public_id:team_id>",
        views.TeamDetailView.as_view(),
        name="api-team-detail",
    ),
]
