"""OpenAPI descriptions of the member shapes that members.representations builds.

A test compares these fields with real responses, so the two cannot drift.
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema_serializer,
)
from rest_framework import serializers

from connect_site.api.fields import TimestampField
from members.roles import ALL_PERMISSIONS, Role

MEMBER_ID_PARAMETER = OpenApiParameter(
    "member_id",
    str,
    OpenApiParameter.PATH,
    description="The member's public id, such as mbr_8Hq2...",
)

LIST_FILTER_PARAMETERS = [
    OpenApiParameter("role", str, enum=Role.values),
    OpenApiParameter(
        "status",
        str,
        enum=["invited", "active"],
        description="Removed members are never listed, so removed is not accepted.",
    ),
    OpenApiParameter(
        "email", str, description="Exact email, compared case-insensitively."
    ),
]


@extend_schema_serializer(component_name="Member")
class MemberOutput(serializers.Serializer):
    id = serializers.CharField(help_text="Public id, mbr_ and 24 characters.")
    teamId = serializers.CharField()
    email = serializers.EmailField(
        help_text="Compared case-insensitively; never changes."
    )
    name = serializers.CharField(
        allow_null=True, help_text="Set when the person accepts; null before."
    )
    role = serializers.ChoiceField(choices=Role.values)
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_PERMISSIONS),
        help_text=(
            "Effective permissions in catalog order: the explicit list within "
            "the role's ceiling, or the role's defaults."
        ),
    )
    status = serializers.ChoiceField(choices=["invited", "active"])
    invitedAt = TimestampField(allow_null=True)
    invitedBy = serializers.EmailField(
        allow_null=True,
        help_text=(
            "Email of the user who sent the invitation; null for the member "
            "who created the team."
        ),
    )
    inviteExpiresAt = TimestampField(
        allow_null=True, help_text="When the current link expires; null once active."
    )
    joinedAt = TimestampField(allow_null=True)
    createdAt = TimestampField()
    updatedAt = TimestampField()


class MemberDeletedOutput(serializers.Serializer):
    id = serializers.CharField()
    deleted = serializers.BooleanField()


INVITE_EXAMPLES = [
    OpenApiExample(
        "Invite an admin with explicit permissions",
        request_only=True,
        value={
            "email": "user@example.com",
            "role": "admin",
            "permissions": [
                "payments.create",
                "payments.read",
                "invoices.create",
                "invoices.read",
                "clients.create",
                "clients.read",
            ],
            "inviteMessage": (
                "Welcome to our team! You've been invited to join our GigStack "
                "workspace."
            ),
        },
    )
]
