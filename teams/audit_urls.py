from django.urls import path

from teams import audit_pages

urlpatterns = [
    path("teams/<str:team_id>/audit/", audit_pages.team_audit, name="team-audit"),
]
