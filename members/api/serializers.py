from rest_framework import serializers

from connect_site.api.fields import StrictCharField, StrictSerializer
from members.roles import ALL_PERMISSIONS, Role


class PermissionListField(serializers.ListField):
    child = serializers.ChoiceField(
        choices=ALL_PERMISSIONS,
        error_messages={
            "invalid_choice": '"{input}" is not a known permission. Use permissions '
            "from the catalog, such as payments.read."
        },
    )

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if len(set(values)) != len(values):
            raise serializers.ValidationError("List each permission once.")
        return values


class MemberInviteSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(
        choices=Role.values,
        error_messages={"invalid_choice": f"Use one of: {', '.join(Role.values)}."},
    )
    permissions = PermissionListField(required=False, allow_null=True, max_length=50)
    inviteMessage = StrictCharField(  # noqa: N815 - the contract's camelCase key
        required=False, allow_blank=True, max_length=2000, trim_whitespace=True
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(data.get("email", ""), str):
            raise serializers.ValidationError({"email": ["Enter the email as text."]})
        return super().to_internal_value(data)


class MemberUpdateSerializer(StrictSerializer):
    role = serializers.ChoiceField(
        choices=Role.values,
        required=False,
        error_messages={"invalid_choice": f"Use one of: {', '.join(Role.values)}."},
    )
    permissions = PermissionListField(required=False, allow_null=True, max_length=50)
    # Declared only to reject it with a clear message: an email never changes.
    email = serializers.JSONField(required=False, allow_null=True)

    def validate_email(self, value):
        raise serializers.ValidationError(
            "email cannot be changed; remove this member and invite the new email."
        )
