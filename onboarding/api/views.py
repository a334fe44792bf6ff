from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api.fields import format_timestamp, validated
from connect_site.api.responses import created, envelope
from members.access import team_access
from onboarding import services
from onboarding.api.serializers import (
    CompleteStepSerializer,
    OnboardingLinkCreateSerializer,
    OnboardingLinkEnvelopeSerializer,
    OnboardingStatusEnvelopeSerializer,
)
from onboarding.selectors import onboarding_status


def status_body(team, steps=None):
    # Step names and descriptions are the API's fixed English labels, whatever
    # language the request negotiates; the web pages translate them.
    with translation.override("en"):
        return onboarding_status(team, steps)


class OnboardingStatusView(APIView):
    @extend_schema(
        operation_id="onboarding_retrieve",
        tags=["onboarding"],
        responses={200: OnboardingStatusEnvelopeSerializer},
        description=(
            "The team's checklist. progress is floor(100 * completed steps / all "
            "steps); currentStep is the first incomplete step, null when none is "
            "left; completed is true once every required step is done. A "
            "completed step also has completedAt (its first completion) and "
            "completedBy (the member id of who completed it first, null when no "
            "member did). Every step has required and description."
        ),
    )
    def get(self, request, team_id):
        access = team_access(
            actor=Actor.from_request(request), team_id=team_id, permission="team.read"
        )
        return envelope(
            status_body(access.team), "Onboarding status retrieved successfully"
        )


class CompleteStepView(APIView):
    @extend_schema(
        operation_id="onboarding_complete_step",
        tags=["onboarding"],
        request=CompleteStepSerializer,
        responses={200: OnboardingStatusEnvelopeSerializer},
        description=(
            "Complete one of the team's steps, in any order. data is validated by "
            "the step's schema (TeamSetupData, PaymentIntegrationData, "
            "ClientSetupData, InvoiceConfigurationData); errors name the field as "
            "data.<field>. Completing a step again replaces its data and keeps "
            "its first completedAt. Answers the onboarding status."
        ),
    )
    def post(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="team.update")
        body = validated(CompleteStepSerializer, request)
        services.onboarding_step_complete(
            actor=actor, team=access.team, step_id=body["step"], data=body["data"]
        )
        return envelope(status_body(access.team), "Step completed successfully")


class OnboardingLinkCreateView(APIView):
    @extend_schema(
        operation_id="onboarding_links_create",
        tags=["onboarding"],
        request=OnboardingLinkCreateSerializer,
        responses={201: OnboardingLinkEnvelopeSerializer},
        description=(
            "Create a link to the hosted, branded onboarding pages. The link "
            "works once: its first open starts a session of "
            "CONNECT_ONBOARDING_SESSION_TTL_MINUTES and the URL stops working. "
            "An unopened link expires at expiresAt "
            "(CONNECT_ONBOARDING_LINK_TTL_MINUTES after creation, default 30). "
            "The URL is shown only in this answer."
        ),
    )
    def post(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="team.update")
        body = validated(OnboardingLinkCreateSerializer, request)
        link, url = services.onboarding_link_create(
            actor=actor, team=access.team, return_url=body["returnUrl"]
        )
        return created(
            {"url": url, "expiresAt": format_timestamp(link.expires_at)},
            "Onboarding link created successfully",
        )
