"""Staff views of teams, their audit trail and API keys.

Rows are read-only here: a team changes only through teams.services, so
that every change is validated and audited. The actions call those
services with an admin actor.
"""

import json

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html

from connect_site.actors import Actor
from members.models import ApiKey
from members.services import api_key_revoke
from onboarding.admin import TeamStepInline
from teams import services
from teams.audit import audit_record
from teams.models import AuditEntry, Team, TeamStatus


def admin_actor(request):
    return Actor(user=request.user, source="admin")


def pretty_json(value):
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class NullDateFilter(admin.SimpleListFilter):
    """Filter on whether a date field such as ``deleted_at`` is set."""

    field_name = ""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            lookup = {f"{self.field_name}__isnull": self.value() == "no"}
            return queryset.filter(**lookup)
        return queryset


class DeletedFilter(NullDateFilter):
    title = "deleted"
    parameter_name = "deleted"
    field_name = "deleted_at"


class RevokedFilter(NullDateFilter):
    title = "revoked"
    parameter_name = "revoked"
    field_name = "revoked_at"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "public_id",
        "status",
        "country",
        "industry",
        "created_at",
        "is_deleted",
    ]
    list_filter = ["status", "country", "industry", DeletedFilter]
    # "=" makes a member's email an exact, case-insensitive match.
    search_fields = ["name", "public_id", "=memberships__email"]
    search_help_text = "Team name, team id or a member's exact email."
    ordering = ["-created_at", "-id"]
    actions = ["suspend", "reactivate", "restore"]
    readonly_fields = ["metadata_json", "branding_json"]
    exclude = ["metadata", "branding"]
    inlines = [TeamStepInline]

    def get_readonly_fields(self, request, obj=None):
        names = [field.name for field in Team._meta.fields]
        return [name for name in names if name not in self.exclude] + list(
            self.readonly_fields
        )

    @admin.display(boolean=True, description="deleted")
    def is_deleted(self, team):
        return team.is_deleted

    @admin.display(description="metadata")
    def metadata_json(self, team):
        return pretty_json(team.metadata)

    @admin.display(description="branding")
    def branding_json(self, team):
        return pretty_json(team.branding)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Teams are soft-deleted through the API; rows are never removed.
        return False

    def has_change_permission(self, request, obj=None):
        # The change page is view-only; the changelist keeps its actions.
        return obj is None and super().has_change_permission(request)

    @admin.action(description="Suspend", permissions=["change"])
    def suspend(self, request, queryset):
        self.set_status(request, queryset, TeamStatus.SUSPENDED, "Suspended")

    @admin.action(description="Reactivate", permissions=["change"])
    def reactivate(self, request, queryset):
        self.set_status(request, queryset, TeamStatus.ACTIVE, "Reactivated")

    def set_status(self, request, queryset, status, verb):
        teams = list(queryset.exclude(status=status))
        for team in teams:
            services.team_set_status(
                actor=admin_actor(request), team=team, status=status
            )
        self.message_user(request, f"{verb} {len(teams)} team(s).", messages.SUCCESS)

    @admin.action(description="Restore deleted team", permissions=["change"])
    def restore(self, request, queryset):
        teams = list(queryset.filter(deleted_at__isnull=False))
        for team in teams:
            services.team_restore(actor=admin_actor(request), team=team)
        self.message_user(request, f"Restored {len(teams)} team(s).", messages.SUCCESS)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "action",
        "team_public_id",
        "target_type",
        "target_id",
        "actor_email",
        "source",
    ]
    list_filter = ["source", "action"]
    search_fields = ["team_public_id", "actor_email", "action", "target_id"]
    ordering = ["-created_at", "-id"]
    exclude = ["changes"]
    readonly_fields = ["changes_json"]

    def get_readonly_fields(self, request, obj=None):
        names = [field.name for field in AuditEntry._meta.fields]
        return [name for name in names if name not in self.exclude] + list(
            self.readonly_fields
        )

    @admin.display(description="changes")
    def changes_json(self, entry):
        return pretty_json(entry.changes)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """API keys without their digest; keys are created by command or page."""

    list_display = [
        "name",
        "prefix",
        "user",
        "team",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [RevokedFilter]
    list_select_related = ["user", "team"]
    search_fields = ["name", "prefix", "user__email"]
    ordering = ["-created_at", "-id"]
    actions = ["revoke"]
    # key_digest is left out of every page: with it, a leaked admin page
    # would let anyone test guesses of the key offline.
    fields = [
        "public_id",
        "name",
        "prefix",
        "user",
        "team",
        "permissions",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    @admin.action(description="Revoke", permissions=["change"])
    def revoke(self, request, queryset):
        api_keys = list(queryset.filter(revoked_at__isnull=True).select_related("team"))
        for api_key in api_keys:
            with transaction.atomic():
                api_key_revoke(api_key=api_key)
                audit_record(
                    actor=admin_actor(request),
                    team=api_key.team,
                    action="api_key.revoked",
                    target_type="api_key",
                    target_id=api_key.public_id,
                )
        self.message_user(
            request, f"Revoked {len(api_keys)} API key(s).", messages.SUCCESS
        )
