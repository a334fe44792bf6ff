"""Every write to a team goes through these services."""

from django.db import transaction
from django.utils import timezone

from connect_site.api import errors
from integrations.events import event_publish
from members.models import Membership, MembershipStatus
from members.roles import Role
from onboarding.catalog import DEFAULT_STEP_IDS
from onboarding.services import onboarding_steps_create
from teams import validators
from teams.audit import audit_record
from teams.models import Team, TeamStatus

# API field name -> model field name, for the flat fields of a team.
FLAT_FIELDS = {
    "name": "name",
    "description": "description",
    "industry": "industry",
    "teamSize": "team_size",
    "country": "country",
}
SETTINGS_FIELDS = {
    "currency": "currency",
    "timezone": "timezone",
    "language": "language",
    "fiscalYear": "fiscal_year",
}


def merge_nullable(current, changes):
    """Merge ``changes`` into a copy of ``current``; a key set to None is removed."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def team_create(*, actor, data):
    """Create a team, make the actor its owner and lay out its onboarding steps."""
    if actor.api_key is not None and actor.api_key.team_id is not None:
        raise errors.PermissionDenied(
            "A key limited to one team cannot create teams; use a full key."
        )

    team = Team(created_by=actor.user)
    for api_name, model_name in FLAT_FIELDS.items():
        if data.get(api_name) is not None:
            setattr(team, model_name, data[api_name])
    team_settings = data.get("settings", {})
    for api_name, model_name in SETTINGS_FIELDS.items():
        if api_name in team_settings:
            setattr(team, model_name, team_settings[api_name])
    if "currency" not in team_settings:
        team.currency = validators.default_currency(team.country)
    team.metadata = merge_nullable({}, data.get("metadata", {}))
    team.branding = merge_nullable({}, data.get("branding", {}))
    step_ids = data.get("onboarding", {}).get("steps") or DEFAULT_STEP_IDS

    with transaction.atomic():
        team.save()
        Membership.objects.create(
            team=team,
            user=actor.user,
            email=actor.user.email,
            name=actor.user.get_full_name(),
            role=Role.OWNER,
            status=MembershipStatus.ACTIVE,
            joined_at=team.created_at,
        )
        steps = onboarding_steps_create(team=team, step_ids=step_ids)
        audit_record(
            actor=actor,
            team=team,
            action="team.created",
            target_type="team",
            target_id=team.public_id,
        )
        from teams.representations import team_full

        event_publish(team=team, event_type="team.created", data=team_full(team, steps))
    return team


def team_update(*, actor, team, data):
    """Apply a PUT or PATCH: given fields change, nested objects merge key by key."""
    changes = {}
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        for api_name, model_name in FLAT_FIELDS.items():
            if api_name in data:
                value = data[api_name] if data[api_name] is not None else ""
                if api_name in {"name", "country"} and value == "":
                    continue
                if getattr(team, model_name) != value:
                    changes[api_name] = value
                setattr(team, model_name, value)
        for api_name, model_name in SETTINGS_FIELDS.items():
            if api_name in data.get("settings", {}):
                value = data["settings"][api_name]
                if getattr(team, model_name) != value:
                    changes[f"settings.{api_name}"] = value
                setattr(team, model_name, value)
        for name in ("metadata", "branding"):
            if name in data:
                merged = merge_nullable(getattr(team, name), data[name])
                if merged != getattr(team, name):
                    changes[name] = data[name]
                setattr(team, name, merged)
        check_merged_metadata(team.metadata)
        if name_is_blank(team.name):
            raise errors.ValidationFailed(
                "Invalid name: the name must not be blank.",
                fields={"name": ["The name must not be blank."]},
            )
        if changes:
            team.save()
            audit_record(
                actor=actor,
                team=team,
                action="team.updated",
                target_type="team",
                target_id=team.public_id,
                changes=changes,
            )
            event_publish(
                team=team,
                event_type="team.updated",
                data={"id": team.public_id, "changes": changes},
            )
    return team


def check_merged_metadata(metadata):
    """Reject an update whose new keys would take metadata past its key limit.

    The serializer checks the request alone, so 30 new keys on a team that
    already has 30 would pass it.
    """
    if len(metadata) > validators.METADATA_MAX_KEYS:
        message = (
            f"metadata would have {len(metadata)} keys after this update; at most "
            f"{validators.METADATA_MAX_KEYS} are allowed. Set unused keys to null "
            "to remove them."
        )
        raise errors.ValidationFailed(
            f"Invalid metadata: {message}", fields={"metadata": [message]}
        )


def name_is_blank(name):
    return not name or not name.strip()


def team_delete(*, actor, team):
    """Hide the team from the API; every row stays so that staff can restore it."""
    from integrations.services import integrations_stop_for_team
    from members.services import invitations_void_for_team

    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        team.deleted_at = timezone.now()
        team.save(update_fields=["deleted_at", "updated_at"])
        invitations_void_for_team(team=team)
        integrations_stop_for_team(team=team)
        audit_record(
            actor=actor,
            team=team,
            action="team.deleted",
            target_type="team",
            target_id=team.public_id,
        )
        event_publish(team=team, event_type="team.deleted", data={"id": team.public_id})
    return team


def team_restore(*, actor, team):
    """Show a deleted team in the API again; staff only, from the admin."""
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        if team.deleted_at is None:
            return team
        team.deleted_at = None
        team.save(update_fields=["deleted_at", "updated_at"])
        audit_record(
            actor=actor,
            team=team,
            action="team.restored",
            target_type="team",
            target_id=team.public_id,
        )
    return team


def team_set_status(*, actor, team, status):
    """Suspend or reactivate a team and tell its webhooks; staff only."""
    status = TeamStatus(status)
    action = "team.suspended" if status == TeamStatus.SUSPENDED else "team.reactivated"
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        if team.status == status:
            return team
        team.status = status
        team.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            team=team,
            action=action,
            target_type="team",
            target_id=team.public_id,
            changes={"status": status.value},
        )
        event_publish(
            team=team,
            event_type="team.updated",
            data={"id": team.public_id, "changes": {"status": status.value}},
        )
    return team
