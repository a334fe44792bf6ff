"""Record changes in the audit trail, from the same transaction as the change."""

from connect_site.request_id import current_request_id
from teams.models import AuditEntry


def audit_record(*, actor, team, action, target_type, target_id, changes=None):
    """Write one audit entry; call it inside the transaction that makes the change."""
    user = getattr(actor, "user", None) if actor else None
    is_user = user is not None and getattr(user, "is_authenticated", False)
    api_key = getattr(actor, "api_key", None) if actor else None
    return AuditEntry.objects.create(
        team=team,
        team_public_id=team.public_id if team else "",
        actor_user=user if is_user else None,
        actor_email=user.email if is_user else "",
        actor_api_key_id=api_key.public_id if api_key is not None else "",
        source=actor.source if actor else "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        changes=changes or {},
        request_id=current_request_id(),
    )
