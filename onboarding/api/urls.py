from django.urls import path

import connect_site.api.converters  # noqa: F401  registers <public_id:...>
from onboarding.api import views

# Each URL also works with a trailing slash, the same as without one. The
# slashed spelling is left out of the schema so each operation appears once.
urlpatterns = [
    path(
        "teams/<public_id:team_id>/onboarding",
        views.OnboardingStatusView.as_view(),
        name="api-onboarding-status",
    ),
    path(
        "teams/<public_id:team_id>/onboarding/",
        views.OnboardingStatusView.as_view(schema=None),
    ),
    path(
        "teams/<public_id:team_id>/onboarding/complete-step",
        views.CompleteStepView.as_view(),
        name="api-onboarding-complete-step",
    ),
    path(
        "teams/<public_id:team_id>/onboarding/complete-step/",
        views.CompleteStepView.as_view(schema=None),
    ),
    path(
        "teams/<public_id:team_id>/onboarding/links",
        views.OnboardingLinkCreateView.as_view(),
        name="api-onboarding-links",
    ),
    path(
        "teams/<public_id:team_id>/onboarding/links/",
        views.OnboardingLinkCreateView.as_view(schema=None),
    ),
]
