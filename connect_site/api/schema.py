"""OpenAPI pieces that every app's views share: envelopes, errors and auth.

Views build their JSON by hand in each app's ``representations`` module.
These serializers only describe those shapes to drf-spectacular, and none of
them validates a request or renders a response.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "members.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ck_live_<random>",
            "description": (
                "Send `Authorization: Bearer ck_live_...`. Create a key with "
                "`python manage.py createapikey EMAIL` or on the API keys page."
            ),
        }


class ErrorSerializer(serializers.Serializer):
    def get_fields(self):
        # Built here because a declared attribute named ``fields`` would hide
        # Serializer.fields.
        return {
            "code": serializers.CharField(
                help_text="Machine-readable code such as validation_error."
            ),
            "message": serializers.CharField(help_text="What to change."),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                required=False,
                help_text=(
                    "Only for validation_error: messages per field, nested "
                    "fields joined with dots such as settings.currency."
                ),
            ),
        }


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()
    message = serializers.CharField(help_text="The same text as error.message.")
    requestId = serializers.CharField(
        help_text="The X-Request-Id header; quote it when reporting a problem."
    )


ERROR_DESCRIPTIONS = {
    400: "validation_error with error.fields, or invalid_json",
    401: "authentication_required or invalid_api_key",
    403: "permission_denied: the key or the member lacks the permission",
    404: "not_found: no such object, or one the caller cannot see",
    405: "method_not_allowed",
    409: "conflict or a more precise code",
    413: "payload_too_large",
    415: "unsupported_media_type: send Content-Type: application/json",
    429: "rate_limited; retry after Retry-After seconds",
}


def error_responses(*statuses):
    """Return the error envelope for each status, for extend_schema(responses=)."""
    return {
        status: OpenApiResponse(
            ErrorEnvelopeSerializer, description=ERROR_DESCRIPTIONS[status]
        )
        for status in statuses
    }


def envelope(name, data):
    """Describe ``{"data": <data>, "message": ...}`` as component ``name``."""
    return inline_serializer(
        name=name, fields={"data": data, "message": serializers.CharField()}
    )


def list_envelope(name, item_serializer_class):
    """Describe the paginated list shape around ``item_serializer_class``."""
    return inline_serializer(
        name=name,
        fields={
            "data": item_serializer_class(many=True),
            "message": serializers.CharField(),
            "totalResults": serializers.IntegerField(
                help_text="Rows matching the filters."
            ),
            "hasMore": serializers.BooleanField(),
            "next": serializers.URLField(
                allow_null=True,
                help_text="Absolute URL of the next page with the same filters.",
            ),
        },
    )


PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        description="Rows per page, 1 to 100. Any other value is a 400.",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "default": 0},
        description="Rows to skip, from 0.",
    ),
]

SNAPSHOT_PARAMETER = OpenApiParameter(
    "asOf",
    str,
    description=(
        "Set by the next URL: the id of the first page's newest row. Rows "
        "created after it are left out, so pages neither repeat nor skip rows."
    ),
)
