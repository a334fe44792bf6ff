"""URLs mounted only when CONNECT_BENCH=1, for the benchmarks' bare views."""

from django.urls import path

from bench import views

urlpatterns = [
    path("teams", views.teams_list_bare, name="bench-teams-list"),
]
