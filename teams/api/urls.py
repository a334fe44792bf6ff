from django.urls import path

from teams.api import views

urlpatterns = [
    path("teams", views.TeamListView.as_view(), name="api-team-list"),
    path("teams/<str:team_id>", views.TeamDetailView.as_view(), name="api-team-detail"),
]
