from django.contrib import admin, messages

from connect_site.actors import Actor
from connect_site.api import errors
from members.models import Membership
from members.services import invitation_resend


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Staff view of members; invitation digests are never shown.

    Rows are read-only here: role, permission and removal changes go through
    the API or the team's pages, where the escalation and last-owner rules
    run in the services.
    """

    list_display = ["email", "team", "role", "status", "invited_at", "joined_at"]
    list_filter = ["role", "status"]
    search_fields = ["email", "public_id", "team__name", "team__public_id"]
    list_select_related = ["team"]
    ordering = ["-created_at", "-id"]
    actions = ["resend_invitation"]
    fields = [
        "public_id",
        "team",
        "user",
        "email",
        "name",
        "role",
        "permissions",
        "status",
        "invited_at",
        "invited_by",
        "invite_message",
        "invite_expires_at",
        "joined_at",
        "removed_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Resend invitation", permissions=["change"])
    def resend_invitation(self, request, queryset):
        actor = Actor(user=request.user, source="admin")
        sent, skipped = 0, []
        for membership in queryset.select_related("team"):
            try:
                invitation_resend(
                    actor=actor, team=membership.team, membership=membership
                )
            except errors.ApiError as exc:
                skipped.append(f"{membership.email}: {exc.message}")
            else:
                sent += 1
        if sent:
            self.message_user(request, f"Resent {sent} invitation(s).")
        for line in skipped:
            self.message_user(request, f"Not resent, {line}", level=messages.WARNING)
