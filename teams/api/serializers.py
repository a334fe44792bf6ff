"""Input validation for teams. Output is built by teams.representations."""

from rest_framework import serializers

from connect_site.api.fields import StrictCharField, StrictSerializer
from onboarding.catalog import REQUIRED_STEP_IDS, STEPS
from teams import validators
from teams.models import FISCAL_YEAR_CHOICES, Language, TeamSize


def choice_field(values, **kwargs):
    """Return a ChoiceField whose error lists the values it accepts."""
    message = f'"{{input}}" is not a valid choice; use one of: {", ".join(values)}.'
    return serializers.ChoiceField(
        choices=values, error_messages={"invalid_choice": message}, **kwargs
    )


class TeamSettingsSerializer(StrictSerializer):
    currency = StrictCharField(required=False)
    timezone = StrictCharField(required=False)
    language = choice_field(Language.values, required=False)
    fiscalYear = choice_field(FISCAL_YEAR_CHOICES, required=False)

    def validate_currency(self, value):
        return validators.validate_currency(value)

    def validate_timezone(self, value):
        return validators.validate_timezone(value)


class TeamBrandingSerializer(StrictSerializer):
    """White-label branding. A key sent as null is removed."""

    displayName = StrictCharField(required=False, allow_null=True, max_length=120)
    logoUrl = serializers.URLField(required=False, allow_null=True, max_length=500)
    primaryColor = StrictCharField(required=False, allow_null=True)
    accentColor = StrictCharField(required=False, allow_null=True)
    emailFromName = StrictCharField(required=False, allow_null=True, max_length=100)
    replyToEmail = serializers.EmailField(required=False, allow_null=True)
    supportEmail = serializers.EmailField(required=False, allow_null=True)
    footerText = StrictCharField(required=False, allow_null=True, max_length=500)

    def validate_logoUrl(self, value):
        return value if value is None else validators.validate_https_url(value)

    def validate_primaryColor(self, value):
        return value if value is None else validators.validate_colour(value)

    def validate_accentColor(self, value):
        return value if value is None else validators.validate_colour(value)


class TeamOnboardingInputSerializer(StrictSerializer):
    completed = serializers.BooleanField(required=False)
    steps = serializers.ListField(
        child=StrictCharField(), required=False, allow_empty=False
    )

    def validate_completed(self, value):
        if value:
            raise serializers.ValidationError(
                "A new team starts with onboarding not completed; complete its steps "
                "through POST /v2/connect/teams/{teamId}/onboarding/complete-step."
            )
        return value

    def validate_steps(self, value):
        unknown = [step for step in value if step not in STEPS]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown step '{unknown[0]}'. Known steps: {', '.join(STEPS)}."
            )
        repeated = sorted({step for step in value if value.count(step) > 1})
        if repeated:
            raise serializers.ValidationError(
                f"Step '{repeated[0]}' is listed more than once."
            )
        missing = [step for step in REQUIRED_STEP_IDS if step not in value]
        if missing:
            raise serializers.ValidationError(
                f"Required step '{missing[0]}' is missing; required steps: {', '.join(REQUIRED_STEP_IDS)}."
            )
        return value


class TeamWriteSerializer(StrictSerializer):
    name = StrictCharField(max_length=120, trim_whitespace=True)
    description = StrictCharField(
        required=False, allow_blank=True, allow_null=True, max_length=1000
    )
    industry = StrictCharField(
        required=False, allow_blank=True, allow_null=True, max_length=100
    )
    teamSize = choice_field(TeamSize.values, required=False, allow_null=True)
    country = StrictCharField(required=False)
    settings = TeamSettingsSerializer(required=False)
    onboarding = TeamOnboardingInputSerializer(required=False)
    metadata = serializers.JSONField(required=False)
    branding = TeamBrandingSerializer(required=False)

    def validate_name(self, value):
        return validators.validate_display_text(value)

    def validate_country(self, value):
        return validators.validate_country(value)

    def validate_metadata(self, value):
        return validators.validate_metadata(value)


class TeamUpdateSerializer(TeamWriteSerializer):
    """The fields a PUT or PATCH may change; each one is optional."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        del self.fields["onboarding"]
