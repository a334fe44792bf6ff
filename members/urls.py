from django.urls import path

from members import views

# Web pages of this app.
urlpatterns = [
    path(
        "invitations/<str:token>/",
        views.invitation_accept,
        name="invitation-accept",
    ),
    path("teams/<str:team_id>/members/", views.member_list, name="member-list"),
    path(
        "teams/<str:team_id>/members/invite/",
        views.member_invite,
        name="member-invite",
    ),
    path(
        "teams/<str:team_id>/members/<str:member_id>/",
        views.member_update,
        name="member-update",
    ),
    path(
        "teams/<str:team_id>/members/<str:member_id>/resend/",
        views.member_resend,
        name="member-resend",
    ),
    path(
        "teams/<str:team_id>/members/<str:member_id>/remove/",
        views.member_remove,
        name="member-remove",
    ),
]
