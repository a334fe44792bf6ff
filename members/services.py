"""Every write to memberships and API keys, and sending invitations.

The API, the pages and the admin call these services, so each rule lives
here once: no escalation and at least one active owner. Accepting an
invitation lives in members.invitations.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from connect_site.api import errors
from integrations.events import event_publish
from members.access import effective_permissions, role_permissions
from members.errors import LastOwner, MemberExists
from members.invitations import (
    invitation_expiry,
    new_invitation_token,
    queue_invitation_email,
)
from members.keys import digest_api_key, generate_api_key
from members.models import ApiKey, Membership, MembershipStatus
from members.representations import member_data
from members.roles import (
    ALL_PERMISSIONS,
    ROLE_PERMISSIONS,
    Role,
    ordered,
    role_outranks_or_equals,
)
from teams.audit import audit_record

logger = logging.getLogger(__name__)

# Actors whose authority comes from the Django admin's staff check rather
# than from a membership in the team.
STAFF_SOURCES = {"admin", "system"}

# Marks an argument the caller did not give, where None has its own meaning.
UNCHANGED = object()


def api_key_create(*, user, name, team=None, permissions=None):
    """Create a key and return ``(api_key, secret)``; the secret is shown only now."""
    secret = generate_api_key()
    api_key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=secret[:12],
        key_digest=digest_api_key(secret),
        team=team,
        permissions=permissions,
    )
    return api_key, secret


def api_key_revoke(*, api_key):
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def invitations_void_for_team(*, team):
    """Void every pending invitation link of a deleted team; rows stay."""
    with transaction.atomic():
        Membership.objects.filter(team=team, status=MembershipStatus.INVITED).update(
            invitation_token_digest="", invite_expires_at=timezone.now()
        )


# --- invitation tokens -------------------------------------------------------


# --- rules shared by the write services --------------------------------------


class CallerAuthority:
    """The caller's role and effective permissions in one team.

    Staff acting through the admin are not members; they get the owner's
    authority, since the admin site already checked that they are staff.
    """

    def __init__(self, *, actor, team):
        self.is_staff = actor.source in STAFF_SOURCES
        self.membership = None
        if self.is_staff:
            self.role = Role.OWNER
            self.permissions = ROLE_PERMISSIONS[Role.OWNER]
            return
        self.membership = (
            Membership.objects.active().filter(team=team, user=actor.user).first()
        )
        if self.membership is None:
            raise errors.NotFound("No team with this id was found.")
        self.role = Role(self.membership.role)
        self.permissions = effective_permissions(self.membership, actor.api_key)

    def require(self, permission):
        if permission not in self.permissions:
            raise errors.PermissionDenied(
                f"This action needs the {permission} permission."
            )

    def require_role_assignable(self, role):
        if not role_outranks_or_equals(self.role, role):
            raise errors.PermissionDenied(
                f"You can assign only roles at or below your own ({self.role}); "
                f"{role} is higher. Ask an owner to do it."
            )

    def require_can_manage(self, membership):
        if not role_outranks_or_equals(self.role, membership.role):
            raise errors.PermissionDenied(
                f"You can manage only members at or below your own role "
                f"({self.role}); this member is {membership.role}."
            )

    def require_can_grant(self, permissions):
        missing = ordered(frozenset(permissions) - self.permissions)
        if missing:
            raise errors.PermissionDenied(
                "You can grant only permissions you hold yourself; you do not "
                f"hold {', '.join(missing)}.",
            )


def validate_role(role):
    if role not in Role.values:
        message = f"Use one of: {', '.join(Role.values)}."
        raise errors.ValidationFailed(
            f"Invalid role: {message}", fields={"role": [message]}
        )
    return Role(role)


def validate_permissions(permissions, role):
    """Return ``permissions`` in catalog order, or None for the role's defaults.

    An explicit list replaces the role's defaults and must stay within the
    role's ceiling; the message names the first permission that does not.
    """
    if permissions is None:
        return None
    unknown = [p for p in permissions if p not in ALL_PERMISSIONS]
    if unknown:
        message = (
            f"{unknown[0]} is not a known permission. See the catalog of permissions."
        )
        raise errors.ValidationFailed(
            f"Invalid permissions: {message}", fields={"permissions": [message]}
        )
    outside = ordered(frozenset(permissions) - ROLE_PERMISSIONS[role])
    if outside:
        message = (
            f"{outside[0]} is not within the {role} role; choose a higher role "
            "or remove the permission."
        )
        raise errors.ValidationFailed(
            f"Invalid permissions: {message}", fields={"permissions": [message]}
        )
    return ordered(permissions)


def granted_permissions(role, permissions):
    """Return the permissions a member with this role and explicit list holds."""
    ceiling = ROLE_PERMISSIONS[Role(role)]
    return ceiling if permissions is None else ceiling & frozenset(permissions)


def lock_active_owners(*, team):
    """Lock the team's active owner rows and return their primary keys.

    Services that can lower the number of active owners call this before
    locking the member they change, and always in primary key order. Two
    requests that each demote or remove a different owner so wait for each
    other, instead of both seeing the other owner and leaving none.
    """
    return list(
        Membership.objects.select_for_update()
        .filter(team=team, role=Role.OWNER, status=MembershipStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def require_another_active_owner(*, owner_pks, membership):
    """Raise LastOwner unless an active owner other than ``membership`` remains.

    ``owner_pks`` comes from ``lock_active_owners`` in the same transaction;
    invited owners do not count.
    """
    if not [pk for pk in owner_pks if pk != membership.pk]:
        raise LastOwner()


def lock_open_member(*, team, membership):
    """Reload ``membership`` under a row lock; removed or foreign rows are a 404."""
    locked = (
        Membership.objects.select_for_update()
        .filter(pk=membership.pk, team=team)
        .open()
        .first()
    )
    if locked is None:
        raise errors.NotFound("No member with this id was found in this team.")
    return locked


# --- members -----------------------------------------------------------------


def open_member_exists(*, team, email):
    return Membership.objects.open().filter(team=team, email__iexact=email).exists()


def member_invite(*, actor, team, email, role, permissions=None, invite_message=""):
    """Create an invited member and queue its invitation email after commit.

    Inviting an email that already belongs to an invited or active member is
    a 409 member_exists and changes nothing: an existing role never changes
    through an invitation. A removed member may be invited again.
    """
    email = email.strip()
    role = validate_role(role)
    permissions = validate_permissions(permissions, role)
    authority = CallerAuthority(actor=actor, team=team)
    authority.require("members.invite")
    authority.require_role_assignable(role)
    authority.require_can_grant(granted_permissions(role, permissions))

    if open_member_exists(team=team, email=email):
        raise MemberExists()

    token, digest = new_invitation_token()
    now = timezone.now()
    membership = Membership(
        team=team,
        email=email,
        role=role,
        permissions=permissions,
        status=MembershipStatus.INVITED,
        invited_at=now,
        invited_by=actor.user if getattr(actor.user, "pk", None) else None,
        invite_message=invite_message,
        invitation_token_digest=digest,
        invite_expires_at=invitation_expiry(now),
    )
    try:
        with transaction.atomic():
            membership.save()
            data = member_data(membership)
            audit_record(
                actor=actor,
                team=team,
                action="member.invited",
                target_type="member",
                target_id=membership.public_id,
                changes={"email": email, "role": role, "permissions": permissions},
            )
            event_publish(team=team, event_type="member.invited", data=data)
            queue_invitation_email(membership, token)
    except IntegrityError as exc:
        # Two invitations for one email raced past the check above; the
        # database constraint one_open_membership_per_email_per_team lets one
        # of them win.
        raise MemberExists() from exc
    return membership


def member_update(*, actor, team, membership, role=None, permissions=UNCHANGED):
    """Change a member's role, explicit permissions or both.

    ``permissions`` left as UNCHANGED keeps the member's list, trimmed to a
    lower role's ceiling; None returns the member to the role's defaults.
    """
    new_role = validate_role(role) if role is not None else None

    with transaction.atomic():
        # The owner rows are locked before the caller's authority is read, so
        # an owner demoted by a concurrent request acts with its new role.
        owner_pks = lock_active_owners(team=team)
        authority = CallerAuthority(actor=actor, team=team)
        authority.require("members.update")
        membership = lock_open_member(team=team, membership=membership)
        authority.require_can_manage(membership)

        old_role = Role(membership.role)
        old_permissions = membership.permissions
        target_role = new_role or old_role
        if permissions is UNCHANGED:
            new_permissions = old_permissions
            if new_permissions is not None:
                new_permissions = ordered(
                    frozenset(new_permissions) & ROLE_PERMISSIONS[target_role]
                )
        else:
            new_permissions = validate_permissions(permissions, target_role)

        authority.require_role_assignable(target_role)
        newly_granted = granted_permissions(
            target_role, new_permissions
        ) - role_permissions(membership)
        authority.require_can_grant(newly_granted)

        if (
            old_role == Role.OWNER
            and target_role != Role.OWNER
            and membership.status == MembershipStatus.ACTIVE
        ):
            require_another_active_owner(owner_pks=owner_pks, membership=membership)

        changes = {}
        if target_role != old_role:
            changes["role"] = target_role.value
        if new_permissions != old_permissions:
            changes["permissions"] = new_permissions
        if not changes:
            return membership

        membership.role = target_role
        membership.permissions = new_permissions
        membership.save(update_fields=["role", "permissions", "updated_at"])
        audit_record(
            actor=actor,
            team=team,
            action="member.updated",
            target_type="member",
            target_id=membership.public_id,
            changes=changes,
        )
        event_publish(
            team=team,
            event_type="member.updated",
            data={**member_data(membership), "changes": changes},
        )
    return membership


def member_remove(*, actor, team, membership):
    """Remove an active member or revoke an invitation; the row stays as removed.

    Access ends at the next request, because every check reads the
    membership's current status.
    """
    with transaction.atomic():
        # The owner rows are locked before the caller's authority is read, so
        # an owner demoted by a concurrent request acts with its new role.
        owner_pks = lock_active_owners(team=team)
        authority = CallerAuthority(actor=actor, team=team)
        authority.require("members.remove")
        membership = lock_open_member(team=team, membership=membership)
        authority.require_can_manage(membership)
        if (
            membership.role == Role.OWNER
            and membership.status == MembershipStatus.ACTIVE
        ):
            require_another_active_owner(owner_pks=owner_pks, membership=membership)

        previous_status = membership.status
        data = member_data(membership)
        membership.status = MembershipStatus.REMOVED
        membership.removed_at = timezone.now()
        membership.save(update_fields=["status", "removed_at", "updated_at"])
        action = (
            "member.invitation_revoked"
            if previous_status == MembershipStatus.INVITED
            else "member.removed"
        )
        audit_record(
            actor=actor,
            team=team,
            action=action,
            target_type="member",
            target_id=membership.public_id,
            changes={"status": [previous_status, MembershipStatus.REMOVED.value]},
        )
        event_publish(
            team=team,
            event_type="member.removed",
            data={**data, "status": MembershipStatus.REMOVED.value},
        )
    return membership


# --- invitations -------------------------------------------------------------


def invitation_resend(*, actor, team, membership):
    """Issue a new link, void the previous one and queue a new email."""
    with transaction.atomic():
        authority = CallerAuthority(actor=actor, team=team)
        authority.require("members.invite")
        membership = lock_open_member(team=team, membership=membership)
        authority.require_can_manage(membership)
        if membership.status != MembershipStatus.INVITED:
            raise errors.Conflict(
                "This member has already joined; only pending invitations can be "
                "resent."
            )

        token, digest = new_invitation_token()
        now = timezone.now()
        membership.invitation_token_digest = digest
        membership.invite_expires_at = invitation_expiry(now)
        membership.save(
            update_fields=[
                "invitation_token_digest",
                "invite_expires_at",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            team=team,
            action="member.invitation_resent",
            target_type="member",
            target_id=membership.public_id,
            changes={"inviteExpiresAt": membership.invite_expires_at.isoformat()},
        )
        queue_invitation_email(membership, token)
    return membership
