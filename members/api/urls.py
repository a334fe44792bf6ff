from django.urls import path

from members.api import views

urlpatterns = [
    path(
        "teams/<str:team_id>/members",
        views.MemberListView.as_view(),
        name="api-member-list",
    ),
    path(
        "teams/<str:team_id>/members/<str:member_id>",
        views.MemberDetailView.as_view(),
        name="api-member-detail",
    ),
    path(
        "teams/<str:team_id>/members/<str:member_id>/resend",
        views.MemberResendView.as_view(),
        name="api-member-resend",
    ),
]
