"""OpenAPI descriptions of the shapes that integrations.api.representations builds.

A test compares these fields with real responses, so the two cannot drift.
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema_serializer,
)
from rest_framework import serializers

from connect_site.api import schema
from connect_site.api.fields import TimestampField
from integrations.catalog import EVENT_TYPES
from integrations.models import DeliveryStatus, IntegrationStatus

TEAM_ID_PARAMETER = OpenApiParameter(
    "team_id", str, OpenApiParameter.PATH, description="The team's public id."
)
INTEGRATION_ID_PARAMETER = OpenApiParameter(
    "integration_id",
    str,
    OpenApiParameter.PATH,
    description="The integration's public id, intg_ and 24 characters.",
)
DELIVERY_ID_PARAMETER = OpenApiParameter(
    "delivery_id",
    str,
    OpenApiParameter.PATH,
    description="The delivery's public id, dlv_ and 24 characters.",
)
INTEGRATION_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=IntegrationStatus.values),
    OpenApiParameter("isActive", str, enum=["true", "false"]),
]
DELIVERY_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=DeliveryStatus.values),
    OpenApiParameter("eventType", str, enum=list(EVENT_TYPES)),
]
EVENT_FILTER_PARAMETERS = [OpenApiParameter("type", str, enum=list(EVENT_TYPES))]


@extend_schema_serializer(component_name="IntegrationConfiguration")
class IntegrationConfigurationOutput(serializers.Serializer):
    url = serializers.URLField()
    events = serializers.ListField(
        child=serializers.CharField(), help_text='Catalog event types, or ["*"].'
    )
    secret = serializers.CharField(
        allow_null=True,
        help_text="In full only in the create and rotate-secret responses; "
        "masked such as whsec_abcd… everywhere else.",
    )


@extend_schema_serializer(component_name="Integration")
class IntegrationOutput(serializers.Serializer):
    id = serializers.CharField()
    teamId = serializers.CharField()
    type = serializers.ChoiceField(choices=["webhook"])
    name = serializers.CharField()
    configuration = IntegrationConfigurationOutput()
    isActive = serializers.BooleanField()
    status = serializers.ChoiceField(
        choices=IntegrationStatus.values,
        help_text="disabled after deliveries kept failing or a 410 Gone.",
    )
    disabledReason = serializers.CharField(allow_null=True)
    lastDeliveryAt = TimestampField(allow_null=True)
    createdAt = TimestampField()
    updatedAt = TimestampField()


@extend_schema_serializer(component_name="DeliveryAttempt")
class DeliveryAttemptOutput(serializers.Serializer):
    attemptedAt = TimestampField()
    statusCode = serializers.IntegerField(allow_null=True)
    durationMs = serializers.IntegerField()
    responseBody = serializers.CharField(help_text="The first 4 KB.")
    error = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="Delivery")
class DeliveryOutput(serializers.Serializer):
    id = serializers.CharField()
    eventId = serializers.CharField()
    eventType = serializers.CharField()
    integrationId = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.values)
    attemptCount = serializers.IntegerField()
    nextAttemptAt = TimestampField(allow_null=True)
    lastAttemptAt = TimestampField(allow_null=True)
    lastStatusCode = serializers.IntegerField(allow_null=True)
    succeededAt = TimestampField(allow_null=True)
    createdAt = TimestampField()


@extend_schema_serializer(component_name="DeliveryDetail")
class DeliveryDetailOutput(DeliveryOutput):
    attempts = DeliveryAttemptOutput(many=True)


@extend_schema_serializer(component_name="Event")
class EventOutput(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    teamId = serializers.CharField()
    data = serializers.DictField()
    createdAt = TimestampField()


@extend_schema_serializer(component_name="EventType")
class EventTypeOutput(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
    publishPermission = serializers.CharField(
        allow_null=True,
        help_text="The permission that POST .../events needs; null when only "
        "Connect writes this type.",
    )


class IntegrationDeletedOutput(serializers.Serializer):
    id = serializers.CharField()
    deleted = serializers.BooleanField()


class RecoverOutput(serializers.Serializer):
    integrationId = serializers.CharField()
    queued = serializers.IntegerField(help_text="Failed deliveries queued again.")


INTEGRATION_ENVELOPE = schema.envelope("IntegrationEnvelope", IntegrationOutput())
INTEGRATION_LIST = schema.list_envelope("IntegrationListEnvelope", IntegrationOutput)
INTEGRATION_DELETED = schema.envelope(
    "IntegrationDeletedEnvelope", IntegrationDeletedOutput()
)
RECOVER_ENVELOPE = schema.envelope("IntegrationRecoverEnvelope", RecoverOutput())
DELIVERY_ENVELOPE = schema.envelope("DeliveryEnvelope", DeliveryOutput())
DELIVERY_DETAIL_ENVELOPE = schema.envelope(
    "DeliveryDetailEnvelope", DeliveryDetailOutput()
)
DELIVERY_LIST = schema.list_envelope("DeliveryListEnvelope", DeliveryOutput)
EVENT_ENVELOPE = schema.envelope("EventEnvelope", EventOutput())
EVENT_LIST = schema.list_envelope("EventListEnvelope", EventOutput)
EVENT_TYPE_LIST = schema.list_envelope("EventTypeListEnvelope", EventTypeOutput)

CREATE_EXAMPLES = [
    OpenApiExample(
        "Payment notifications",
        request_only=True,
        value={
            "type": "webhook",
            "name": "Team Payment Notifications",
            "configuration": {
                "url": "https://team.example.com/webhooks/payments",
                "events": ["payment.completed", "invoice.paid"],
                "secret": "team_webhook_secret",
            },
            "isActive": True,
        },
    )
]
