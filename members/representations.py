"""The member's JSON shape, shared by the API responses and the events."""

from connect_site.api.fields import format_timestamp
from members.access import role_permissions
from members.roles import ordered


def member_data(membership):
    """Return the API shape of ``membership``.

    ``permissions`` is the effective list in catalog order. ``invitedBy`` is
    the inviter's email, or None for a team's first owner and for an inviter
    whose account was deleted. Load rows with ``select_related("team",
    "invited_by")`` to keep a list to two queries.
    """
    inviter = membership.invited_by
    return {
        "id": membership.public_id,
        "teamId": membership.team.public_id,
        "email": membership.email,
        "name": membership.name or None,
        "role": membership.role,
        "permissions": ordered(role_permissions(membership)),
        "status": membership.status,
        "invitedAt": format_timestamp(membership.invited_at),
        "invitedBy": inviter.email if inviter is not None else None,
        "inviteExpiresAt": format_timestamp(membership.invite_expires_at)
        if membership.status == "invited"
        else None,
        "joinedAt": format_timestamp(membership.joined_at),
        "createdAt": format_timestamp(membership.created_at),
        "updatedAt": format_timestamp(membership.updated_at),
    }
