"""OpenAPI descriptions of the team shapes that teams.representations builds.

A test compares these fields with real responses, so the two cannot drift.
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema_serializer,
)
from rest_framework import serializers

from connect_site.api.fields import TimestampField
from teams.models import FISCAL_YEAR_CHOICES, Language, TeamSize, TeamStatus

TEAM_ID_PARAMETER = OpenApiParameter(
    "team_id",
    str,
    OpenApiParameter.PATH,
    description="The team's public id, such as team_4fJ9kQ2...",
)

LIST_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=TeamStatus.values),
    OpenApiParameter(
        "industry", str, description="Exact industry, compared case-insensitively."
    ),
    OpenApiParameter(
        "country", str, description="ISO 3166-1 alpha-2 code, in either case."
    ),
    OpenApiParameter(
        "onboarded",
        str,
        enum=["true", "false"],
        description="true: every required onboarding step is completed.",
    ),
    OpenApiParameter(
        "search", str, description="Part of the team name, case-insensitive."
    ),
]


@extend_schema_serializer(component_name="TeamSettings")
class TeamSettingsOutput(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217 code such as MXN.")
    timezone = serializers.CharField(help_text="IANA name such as America/Bogota.")
    language = serializers.ChoiceField(choices=Language.values)
    fiscalYear = serializers.ChoiceField(choices=FISCAL_YEAR_CHOICES)


@extend_schema_serializer(component_name="TeamOnboarding")
class TeamOnboardingOutput(serializers.Serializer):
    completed = serializers.BooleanField(help_text="Every required step is done.")
    currentStep = serializers.CharField(
        allow_null=True, help_text="The first incomplete step; null when none."
    )
    progress = serializers.IntegerField(
        help_text="floor(100 * completed steps / all steps)."
    )
    steps = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="TeamOnboardingSummary")
class TeamOnboardingSummaryOutput(serializers.Serializer):
    completed = serializers.BooleanField()
    progress = serializers.IntegerField()


@extend_schema_serializer(component_name="TeamBranding")
class TeamBrandingOutput(serializers.Serializer):
    """White-label branding; a key that was never set is absent."""

    displayName = serializers.CharField(required=False)
    logoUrl = serializers.URLField(required=False)
    primaryColor = serializers.CharField(required=False, help_text="#RRGGBB")
    accentColor = serializers.CharField(required=False, help_text="#RRGGBB")
    emailFromName = serializers.CharField(required=False)
    replyToEmail = serializers.EmailField(required=False)
    supportEmail = serializers.EmailField(required=False)
    footerText = serializers.CharField(required=False)


@extend_schema_serializer(component_name="Team")
class TeamOutput(serializers.Serializer):
    id = serializers.CharField(help_text="Public id, team_ and 24 characters.")
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    industry = serializers.CharField(allow_null=True)
    teamSize = serializers.ChoiceField(choices=TeamSize.values, allow_null=True)
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, upper case.")
    status = serializers.ChoiceField(choices=TeamStatus.values)
    settings = TeamSettingsOutput()
    onboarding = TeamOnboardingOutput()
    metadata = serializers.DictField(
        help_text="Flat object; values are strings, numbers or booleans."
    )
    branding = TeamBrandingOutput()
    createdAt = TimestampField()
    updatedAt = TimestampField()


@extend_schema_serializer(component_name="TeamSummary")
class TeamSummaryOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    industry = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=TeamStatus.values)
    country = serializers.CharField()
    onboarding = TeamOnboardingSummaryOutput()
    createdAt = TimestampField()


@extend_schema_serializer(component_name="TeamDeleted")
class TeamDeletedOutput(serializers.Serializer):
    id = serializers.CharField()
    deleted = serializers.BooleanField()


CREATE_EXAMPLE_REQUEST = {
    "name": "Development Team Alpha",
    "description": "Main development team for Project Alpha",
    "industry": "Technology",
    "teamSize": "10-50",
    "country": "MX",
    "settings": {
        "currency": "MXN",
        "timezone": "America/Mexico_City",
        "language": "es",
        "fiscalYear": "calendar",
    },
    "onboarding": {
        "completed": False,
        "steps": [
            "team_setup",
            "payment_integration",
            "client_setup",
            "invoice_configuration",
        ],
    },
    "metadata": {
        "parentOrganization": "org_123",
        "department": "Engineering",
        "costCenter": "DEV001",
    },
}

CREATE_EXAMPLES = [
    OpenApiExample("Development team", value=CREATE_EXAMPLE_REQUEST, request_only=True),
    OpenApiExample(
        "Created team",
        response_only=True,
        status_codes=["201"],
        value={
            "data": {
                "id": "team_4fJ9kQ2mXv8LpR3tZy7NwB1c",
                **{
                    key: value
                    for key, value in CREATE_EXAMPLE_REQUEST.items()
                    if key != "onboarding"
                },
                "status": "active",
                "onboarding": {
                    "completed": False,
                    "currentStep": "team_setup",
                    "progress": 0,
                    "steps": CREATE_EXAMPLE_REQUEST["onboarding"]["steps"],
                },
                "branding": {},
                "createdAt": "2024-01-15T10:30:00.000Z",
                "updatedAt": "2024-01-15T10:30:00.000Z",
            },
            "message": "Team created successfully",
        },
    ),
]
