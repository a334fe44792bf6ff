"""Input validation for integrations and events; output is in representations."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from connect_site.api.fields import StrictCharField, StrictSerializer
from integrations import catalog
from integrations.secrets import secret_format_error


class StrictBooleanField(serializers.BooleanField):
    """Accept only JSON true or false, not "yes", 1 or "true"."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class SecretField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        message = secret_format_error(value)
        if message:
            raise serializers.ValidationError(message)
        return value


class EventsField(serializers.ListField):
    def __init__(self, **kwargs):
        kwargs.setdefault("child", StrictCharField())
        kwargs.setdefault("allow_empty", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        message = catalog.events_error(value)
        if message:
            raise serializers.ValidationError(message)
        return value


def validate_type(value):
    if value != "webhook":
        raise serializers.ValidationError('The only integration type is "webhook".')
    return value


class ConfigurationCreateSerializer(StrictSerializer):
    url = StrictCharField(max_length=2000)
    events = EventsField()
    secret = SecretField(required=False, allow_null=True)


class IntegrationCreateSerializer(StrictSerializer):
    type = StrictCharField(required=False, default="webhook")
    name = StrictCharField(max_length=120)
    configuration = ConfigurationCreateSerializer()
    isActive = StrictBooleanField(required=False, default=True)

    def validate_type(self, value):
        return validate_type(value)


class ConfigurationUpdateSerializer(StrictSerializer):
    url = StrictCharField(required=False, max_length=2000)
    events = EventsField(required=False)
    secret = SecretField(required=False, allow_null=True)


class IntegrationUpdateSerializer(StrictSerializer):
    type = StrictCharField(required=False)
    name = StrictCharField(required=False, max_length=120)
    configuration = ConfigurationUpdateSerializer(required=False)
    isActive = StrictBooleanField(required=False)

    def validate_type(self, value):
        return validate_type(value)


class RotateSecretSerializer(StrictSerializer):
    secret = SecretField(required=False, allow_null=True)


class RecoverSerializer(StrictSerializer):
    since = serializers.DateTimeField(
        error_messages={
            "invalid": "Use an ISO 8601 time such as 2024-01-15T10:30:00.000Z.",
            "required": "Give the time from which failed deliveries are re-sent.",
        }
    )


@extend_schema_field({"type": "string", "enum": catalog.publishable_event_types()})
class PublishableEventTypeField(StrictCharField):
    """An event type; the service checks the catalog and the permission."""


class EventPublishSerializer(StrictSerializer):
    type = PublishableEventTypeField(max_length=60)
    data = serializers.DictField(
        error_messages={"not_a_dict": "data must be a JSON object."}
    )
