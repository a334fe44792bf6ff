"""Input validation for onboarding: the request bodies and each step's ``data``.

The step data serializers are named in onboarding.catalog; the API, the
hosted pages and the admin validate a step's data through them. They take the
team in ``context["team"]`` because some rules depend on its country.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from connect_site.api.fields import StrictCharField, StrictSerializer
from onboarding.catalog import CATALOG
from onboarding.rfc import InvalidRfc, validate_rfc
from onboarding.sat import CFDI_USES, PAYMENT_FORMS, TAX_REGIMES

MEXICAN_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
# Outside Mexico: letters, digits, spaces and hyphens, as in most countries.
POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,10}[A-Za-z0-9]$")
INVOICE_SERIES = re.compile(r"^[A-Za-z]{1,10}$")
PAYMENT_PROVIDERS = ["stripe", "openpay", "conekta", "mercadopago", "paypal"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


class StrictBooleanField(serializers.BooleanField):
    """Accept only JSON true or false, not "true", 1 or "yes"."""

    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    """Accept only a JSON integer, not a string, a float or a boolean."""

    default_error_messages = {"invalid": "Must be a whole number (a JSON integer)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def team_is_mexican(serializer):
    team = serializer.context.get("team")
    return team is None or team.country == "MX"


class TeamSetupDataSerializer(StrictSerializer):
    """Data of the ``team_setup`` step.

    Required: ``legalName`` and ``taxId``. A team whose country is MX must also
    send ``taxRegime`` and ``postalCode``, and for it ``taxId`` must be a valid
    RFC: its format, a real date and the SAT check digit. The generic RFCs
    XAXX010101000 and XEXX010101000 are accepted. The RFC is stored upper case.
    For MX, ``taxRegime`` is a c_RegimenFiscal code such as "601" and
    ``postalCode`` is 5 digits.
    """

    legalName = StrictCharField(max_length=300)
    taxId = StrictCharField(max_length=40)
    taxRegime = StrictCharField(required=False, max_length=100)
    postalCode = StrictCharField(required=False, max_length=12)

    def validate_taxId(self, value):
        if not team_is_mexican(self):
            return value
        try:
            return validate_rfc(value)
        except InvalidRfc as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_taxRegime(self, value):
        if team_is_mexican(self) and value not in TAX_REGIMES:
            raise serializers.ValidationError(
                f"'{value}' is not a SAT c_RegimenFiscal code; use one such as "
                "601 (General de Ley Personas Morales) or 612 (Personas Físicas "
                "con Actividades Empresariales y Profesionales)."
            )
        return value

    def validate_postalCode(self, value):
        if team_is_mexican(self):
            if not MEXICAN_POSTAL_CODE.match(value):
                raise serializers.ValidationError(
                    f"'{value}' is not a Mexican postal code; use its 5 digits, "
                    "such as 06600."
                )
        elif not POSTAL_CODE.match(value):
            raise serializers.ValidationError(
                f"'{value}' is not a postal code; use 3 to 12 letters, digits, "
                "spaces or hyphens."
            )
        return value

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Made required here rather than in validate(), so that a missing
        # field is reported together with the other fields' errors.
        if team_is_mexican(self):
            for name in ("taxRegime", "postalCode"):
                self.fields[name].required = True
                self.fields[name].error_messages["required"] = (
                    "This field is required for teams in Mexico."
                )


class PaymentIntegrationDataSerializer(StrictSerializer):
    """Data of the ``payment_integration`` step; every field is required.

    ``paymentProvider`` is one of stripe, openpay, conekta, mercadopago or
    paypal; ``webhookUrl`` an https URL; ``testMode`` a JSON boolean.
    """

    paymentProvider = serializers.ChoiceField(
        choices=PAYMENT_PROVIDERS,
        error_messages={
            "invalid_choice": "'{input}' is not a supported provider; use one of: "
            + ", ".join(PAYMENT_PROVIDERS)
            + "."
        },
    )
    webhookUrl = serializers.URLField(max_length=2000)
    testMode = StrictBooleanField()

    def validate_webhookUrl(self, value):
        if urlsplit(value).scheme.lower() != "https":
            raise serializers.ValidationError(
                "The webhook URL must start with https://."
            )
        return value


class ClientSetupDataSerializer(StrictSerializer):
    """Data of the ``client_setup`` step.

    Required: ``clientsImported``, a JSON integer from 0.
    """

    clientsImported = StrictIntegerField(min_value=0, max_value=2_147_483_647)


class InvoiceConfigurationDataSerializer(StrictSerializer):
    """Data of the ``invoice_configuration`` step; every field is required.

    ``series`` is 1 to 10 letters, stored upper case. ``folioStart`` is a JSON
    integer from 1. ``defaultPaymentForm`` is a SAT c_FormaPago code such as
    "03", and ``defaultCfdiUse`` a SAT c_UsoCFDI code such as "G03".
    """

    series = StrictCharField(max_length=10)
    folioStart = StrictIntegerField(min_value=1, max_value=2_147_483_647)
    defaultPaymentForm = StrictCharField(max_length=2)
    defaultCfdiUse = StrictCharField(max_length=4)

    def validate_series(self, value):
        if not INVOICE_SERIES.match(value):
            raise serializers.ValidationError(
                f"'{value}' is not a series; use 1 to 10 letters A to Z, such as FAC."
            )
        return value.upper()

    def validate_defaultPaymentForm(self, value):
        if value not in PAYMENT_FORMS:
            raise serializers.ValidationError(
                f"'{value}' is not a SAT c_FormaPago code; use two digits such as "
                "03 (transferencia) or 04 (tarjeta de crédito)."
            )
        return value

    def validate_defaultCfdiUse(self, value):
        if value.upper() not in CFDI_USES:
            raise serializers.ValidationError(
                f"'{value}' is not a SAT c_UsoCFDI code; use one such as G03 "
                "(gastos en general) or S01 (sin efectos fiscales)."
            )
        return value.upper()


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="StepData",
        serializers=[
            TeamSetupDataSerializer,
            PaymentIntegrationDataSerializer,
            ClientSetupDataSerializer,
            InvoiceConfigurationDataSerializer,
        ],
        resource_type_field_name=None,
    )
)
class StepDataField(serializers.DictField):
    """The step's fields; the step's own data serializer validates them."""


class CompleteStepSerializer(StrictSerializer):
    """Body of ``POST .../onboarding/complete-step``.

    ``step`` is one of the team's step ids. ``data`` contains the step's
    fields, which the step's own data serializer validates. A missing ``data``
    counts as an empty object, so the error names each required field.
    """

    step = StrictCharField(
        max_length=40,
        help_text="One of the team's steps, as chosen when the team was created: "
        + ", ".join(step.id for step in CATALOG)
        + " by default.",
    )
    data = StepDataField(required=False, default=dict)


def validate_return_url(value):
    """Accept an https URL, or http on 127.0.0.1 or localhost when DEBUG is on."""
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    is_local = (parts.hostname or "") in LOCAL_HOSTS
    if settings.DEBUG and parts.scheme == "http" and is_local:
        return value
    raise serializers.ValidationError(
        "The return URL must start with https:// (http://127.0.0.1 and "
        "http://localhost are accepted only in development)."
    )


class OnboardingLinkCreateSerializer(StrictSerializer):
    """Body of ``POST .../onboarding/links``.

    ``returnUrl`` is where the hosted pages send the person when they finish:
    an https URL (http://127.0.0.1 or http://localhost only when DEBUG is on).
    """

    returnUrl = serializers.URLField(max_length=2000)

    def validate_returnUrl(self, value):
        return validate_return_url(value)


# Response shapes, for the API documentation only: the views build the bodies
# with onboarding.selectors.onboarding_status.


class OnboardingStepStatusSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    completed = serializers.BooleanField()
    completedAt = serializers.CharField(
        required=False,
        help_text="Time of the first completion, ISO 8601 UTC; completed steps only.",
    )
    completedBy = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=(
            "Member id (mbr_...) of who first completed the step, null when no "
            "member did (a hosted link or staff); completed steps only."
        ),
    )
    required = serializers.BooleanField()
    description = serializers.CharField()


class OnboardingStatusSerializer(serializers.Serializer):
    teamId = serializers.CharField()
    completed = serializers.BooleanField(
        help_text="True once every required step is done."
    )
    currentStep = serializers.CharField(
        allow_null=True, help_text="The first incomplete step; null when none is left."
    )
    progress = serializers.IntegerField(
        help_text="floor(100 * completed steps / all steps)."
    )
    steps = OnboardingStepStatusSerializer(many=True)


class OnboardingStatusEnvelopeSerializer(serializers.Serializer):
    data = OnboardingStatusSerializer()
    message = serializers.CharField()


class OnboardingLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Shown only in this answer.")
    expiresAt = serializers.CharField(
        help_text="ISO 8601 UTC; the link must be opened before then."
    )


class OnboardingLinkEnvelopeSerializer(serializers.Serializer):
    data = OnboardingLinkSerializer()
    message = serializers.CharField()
