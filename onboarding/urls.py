from django.urls import path

from onboarding import views

# Web pages of this app.
urlpatterns = [
    path(
        "teams/<str:team_id>/onboarding/",
        views.onboarding_checklist,
        name="onboarding-checklist",
    ),
    path("onboarding/hosted/", views.hosted, name="onboarding-hosted"),
    path(
        "onboarding/hosted/finish/",
        views.hosted_finish,
        name="onboarding-hosted-finish",
    ),
    path(
        "onboarding/hosted/<str:token>",
        views.hosted_start,
        name="onboarding-hosted-start",
    ),
]
