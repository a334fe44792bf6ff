from django.urls import path

from teams import views

# Web pages of this app.
urlpatterns = [
    path("teams/", views.team_list, name="team-list"),
    path("teams/new/", views.team_create, name="team-create"),
    path("teams/<str:team_id>/settings/", views.team_settings, name="team-settings"),
]
