"""Serializer fields and the strict serializer base every app uses."""

from datetime import UTC

from rest_framework import serializers


def format_timestamp(value):
    """Format a datetime as UTC ISO 8601 with milliseconds: 2024-01-15T10:30:00.000Z."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class TimestampField(serializers.DateTimeField):
    def to_representation(self, value):
        return format_timestamp(value)


class StrictSerializer(serializers.Serializer):
    """Reject unknown keys, naming the ones that are allowed.

    A typo such as ``teamsize`` would otherwise be dropped silently and the
    caller would never learn that the value was not saved.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            allowed = [
                name for name, field in self.fields.items() if not field.read_only
            ]
            unknown = [key for key in data if key not in allowed]
            if unknown:
                message = "Unknown field. Allowed fields: " + ", ".join(allowed) + "."
                raise serializers.ValidationError({key: [message] for key in unknown})
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A CharField that does not turn numbers or booleans into strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class EmptySerializer(StrictSerializer):
    """A body with no fields: an empty body or {}."""


def validated(serializer_class, request, **kwargs):
    """Validate the request body with ``serializer_class``; return its data."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def require_empty_body(request):
    """Reject any field in the body of an endpoint that takes none."""
    validated(EmptySerializer, request)
