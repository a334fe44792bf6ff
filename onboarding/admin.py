"""Staff views of onboarding: steps, their completion history and hosted links.

Every row here is read-only. Steps change only through
onboarding.services.onboarding_step_complete, which validates the data,
writes the history and the audit entry and publishes the events; an admin
form that saved a row directly would skip all of that.
"""

import json

from django.contrib import admin
from django.utils.html import format_html

from onboarding.models import OnboardingLink, StepCompletion, TeamStep


def pretty_json(value):
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TeamStepInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The team's checklist, for the team's admin page."""

    model = TeamStep
    extra = 0
    ordering = ["position"]
    fields = [
        "position",
        "step_id",
        "required",
        "completed_at",
        "completed_by",
        "completed_by_member",
        "data",
    ]
    readonly_fields = fields
    show_change_link = True


class StepCompletionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StepCompletion
    extra = 0
    fields = ["completed_at", "completed_by", "source", "link", "data"]
    readonly_fields = fields


@admin.register(TeamStep)
class TeamStepAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["step_id", "team", "position", "required", "completed_at"]
    list_filter = ["step_id", "required", ("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["team__public_id", "team__name", "step_id"]
    list_select_related = ["team"]
    fields = [
        "team",
        "step_id",
        "position",
        "required",
        "completed_at",
        "completed_by",
        "completed_by_member",
        "data_formatted",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [StepCompletionInline]

    @admin.display(description="data")
    def data_formatted(self, obj):
        return pretty_json(obj.data)


@admin.register(StepCompletion)
class StepCompletionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "team_step",
        "team",
        "completed_at",
        "completed_by",
        "source",
    ]
    list_filter = ["team_step__step_id", "source"]
    search_fields = [
        "team_step__team__public_id",
        "team_step__team__name",
        "completed_by__email",
    ]
    list_select_related = ["team_step__team", "completed_by"]
    date_hierarchy = "completed_at"
    fields = [
        "team_step",
        "completed_at",
        "completed_by",
        "completed_by_member",
        "source",
        "link",
        "data_formatted",
    ]
    readonly_fields = fields

    @admin.display(description="team")
    def team(self, obj):
        return obj.team_step.team

    @admin.display(description="data")
    def data_formatted(self, obj):
        return pretty_json(obj.data)


@admin.register(OnboardingLink)
class OnboardingLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The token digest is left out: it is a credential, not something staff
    # need to see or compare.
    list_display = [
        "public_id",
        "team",
        "created_by",
        "created_at",
        "expires_at",
        "opened_at",
        "finished_at",
    ]
    list_filter = [
        ("opened_at", admin.EmptyFieldListFilter),
        ("finished_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["public_id", "team__public_id", "team__name"]
    list_select_related = ["team", "created_by"]
    date_hierarchy = "created_at"
    fields = [
        "public_id",
        "team",
        "return_url",
        "created_by",
        "created_at",
        "expires_at",
        "opened_at",
        "finished_at",
    ]
    readonly_fields = fields
