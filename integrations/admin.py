"""Staff views of integrations, events, deliveries and attempts.

Secrets are never shown: the encrypted columns are left out of every page.
Rows are read-only; the actions call integrations.services with an admin
actor, so each change is validated and audited like an API call.
"""

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from connect_site.actors import Actor
from connect_site.api import errors
from integrations import services
from integrations.models import Delivery, DeliveryAttempt, Event, Integration

SECRET_FIELDS = {"secret_encrypted", "previous_secret_encrypted"}


def admin_actor(request):
    return Actor(user=request.user, source="admin")


def pretty_json(value):
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class ReadOnlyAdmin(admin.ModelAdmin):
    """A view-only admin whose changelist still offers its actions."""

    def get_readonly_fields(self, request, obj=None):
        names = [
            field.name
            for field in self.model._meta.fields
            if field.name not in SECRET_FIELDS and field.name not in self.exclude_fields
        ]
        return names + list(self.readonly_fields)

    exclude_fields = ()

    def get_exclude(self, request, obj=None):
        return [
            *SECRET_FIELDS & {f.name for f in self.model._meta.fields},
            *self.exclude_fields,
        ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)


@admin.register(Integration)
class IntegrationAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "public_id",
        "team",
        "url",
        "is_active",
        "status",
        "last_delivery_at",
        "deleted_at",
    ]
    list_filter = ["status", "is_active", "type"]
    search_fields = ["name", "public_id", "url", "team__name", "team__public_id"]
    list_select_related = ["team"]
    ordering = ["-created_at", "-id"]
    actions = ["reenable", "send_test"]
    exclude_fields = ("events",)
    readonly_fields = ["events_json", "secret_grace"]

    @admin.display(description="events")
    def events_json(self, integration):
        return pretty_json(integration.events)

    @admin.display(description="previous secret signs until")
    def secret_grace(self, integration):
        return integration.previous_secret_expires_at or "-"

    @admin.action(description="Re-enable", permissions=["change"])
    def reenable(self, request, queryset):
        integrations = list(queryset.filter(deleted_at__isnull=True))
        for integration in integrations:
            services.integration_reenable(
                actor=admin_actor(request), integration=integration
            )
        self.message_user(
            request, f"Re-enabled {len(integrations)} integration(s).", messages.SUCCESS
        )

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test(self, request, queryset):
        sent = 0
        for integration in queryset.filter(deleted_at__isnull=True):
            try:
                services.integration_send_test(
                    actor=admin_actor(request), integration=integration
                )
            except errors.ApiError as exc:
                self.message_user(
                    request, f"{integration.public_id}: {exc.message}", messages.WARNING
                )
            else:
                sent += 1
        self.message_user(request, f"Queued {sent} test event(s).", messages.SUCCESS)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "type", "team", "created_at"]
    list_filter = ["type"]
    search_fields = ["public_id", "type", "team__name", "team__public_id"]
    list_select_related = ["team"]
    ordering = ["-created_at", "-id"]
    exclude_fields = ("data", "body")
    readonly_fields = ["data_json"]

    @admin.display(description="data")
    def data_json(self, event):
        return pretty_json(event.data)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["attempted_at", "status_code", "duration_ms", "error", "response_body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "event_type",
        "integration",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event__type"]
    search_fields = [
        "public_id",
        "event__public_id",
        "integration__public_id",
        "integration__team__public_id",
    ]
    list_select_related = ["event", "integration"]
    ordering = ["-created_at", "-id"]
    inlines = [DeliveryAttemptInline]
    actions = ["retry"]

    @admin.display(description="event type", ordering="event__type")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.action(description="Retry now", permissions=["change"])
    def retry(self, request, queryset):
        retried = 0
        for delivery in queryset.select_related("integration__team"):
            try:
                services.delivery_retry_now(
                    actor=admin_actor(request), delivery=delivery
                )
            except errors.ApiError as exc:
                self.message_user(
                    request, f"{delivery.public_id}: {exc.message}", messages.WARNING
                )
            else:
                retried += 1
        self.message_user(
            request, f"Queued {retried} delivery(ies) again.", messages.SUCCESS
        )


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ["delivery", "attempted_at", "status_code", "duration_ms", "error"]
    list_filter = ["status_code"]
    search_fields = ["delivery__public_id"]
    list_select_related = ["delivery"]
    ordering = ["-attempted_at", "-id"]
