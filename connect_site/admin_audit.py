"""Write an AuditEntry for every change staff make in the Django admin.

Admins of team-owned models subclass ``AuditedModelAdmin`` instead of
``admin.ModelAdmin``. Saves, deletions (one object or a selection) and
custom actions are recorded with ``Actor(user=request.user, source="admin")``
in the transaction of the change. Only the names of changed fields are
recorded, never their values, so secrets edited in the admin stay out of
the trail.
"""

import functools
import logging

from django.contrib import admin
from django.db import transaction

from connect_site.actors import Actor

logger = logging.getLogger(__name__)


def admin_actor(request):
    return Actor(user=request.user, source="admin")


class AuditedModelAdmin(admin.ModelAdmin):
    # The target type recorded, when it differs from the model name.
    audit_target_type = None
    # Set to False when every action calls a service that records its own
    # entry, so that each change is recorded once.
    audit_actions = True

    def audit_team(self, obj):
        """Return the team that ``obj`` belongs to, or None."""
        from teams.models import Team

        if isinstance(obj, Team):
            return obj
        return getattr(obj, "team", None)

    def audit_target(self, obj):
        target_type = self.audit_target_type or obj._meta.model_name
        target_id = getattr(obj, "public_id", None) or str(obj.pk)
        return target_type, target_id

    def audit(self, request, obj, verb, changes=None):
        from teams.audit import audit_record

        target_type, target_id = self.audit_target(obj)
        audit_record(
            actor=admin_actor(request),
            team=self.audit_team(obj),
            action=f"{target_type}.{verb}",
            target_type=target_type,
            target_id=target_id,
            changes=changes,
        )

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = sorted(form.changed_data) if form is not None else []
            self.audit(
                request,
                obj,
                "updated" if change else "created",
                {"fields": changed} if changed else None,
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            # Recorded first, while the object and its team can still be read.
            self.audit(request, obj, "deleted")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.audit(request, obj, "deleted")
            super().delete_queryset(request, queryset)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.audit_actions:
            return actions
        return {
            name: (
                # delete_selected goes through delete_queryset, which records.
                (
                    func
                    if name == "delete_selected"
                    else self.audited_action(func, name)
                ),
                action_name,
                description,
            )
            for name, (func, action_name, description) in actions.items()
        }

    def audited_action(self, func, name):
        @functools.wraps(func)
        def run(modeladmin, request, queryset):
            with transaction.atomic():
                selected = list(queryset)
                result = func(modeladmin, request, queryset)
                for obj in selected:
                    self.audit(request, obj, f"admin_action.{name}")
            return result

        return run
