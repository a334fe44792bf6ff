"""The one permission check that every endpoint, page and admin action uses."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404

from connect_site.actors import Actor
from connect_site.api import errors
from members.models import Membership
from members.roles import ROLE_PERMISSIONS, Role


def role_permissions(membership):
    """Return the member's permissions: explicit ones within the role's ceiling."""
    ceiling = ROLE_PERMISSIONS[Role(membership.role)]
    if membership.permissions is None:
        return ceiling
    return ceiling & frozenset(membership.permissions)


def effective_permissions(membership, api_key=None):
    """Intersect the member's permissions with the key's limits, if any."""
    permissions = role_permissions(membership)
    if api_key is not None and api_key.permissions is not None:
        permissions &= frozenset(api_key.permissions)
    return permissions


@dataclass(frozen=True)
class TeamAccess:
    team: object
    membership: Membership
    permissions: frozenset

    def has(self, permission):
        return permission in self.permissions

    def require(self, permission):
        if permission not in self.permissions:
            raise errors.PermissionDenied(
                f"This action needs the {permission} permission."
            )


def team_access(*, actor, team_id, permission=None):
    """Return the actor's access to the team with public id ``team_id``.

    A team that does not exist, is deleted, belongs to others or lies outside
    the key's team limit raises NotFound (404) rather than 403, so ids cannot
    be probed.
    The key's permissions are intersected with the membership on every call,
    so a demotion or removal takes effect at the next request.
    """
    membership = (
        Membership.objects.active()
        .select_related("team")
        .filter(team__public_id=team_id, team__deleted_at__isnull=True, user=actor.user)
        .first()
    )
    api_key = actor.api_key
    if membership is None or (
        api_key is not None and api_key.team_id not in (None, membership.team_id)
    ):
        raise errors.NotFound("No team with this id was found.")

    access = TeamAccess(
        team=membership.team,
        membership=membership,
        permissions=effective_permissions(membership, api_key),
    )
    if permission is not None:
        access.require(permission)
    return access


def team_access_for_page(request, team_id, permission=None):
    """Run ``team_access`` for a signed-in page and raise Django's 404 or 403.

    The pages render Django's error pages rather than the API envelope, but
    the rule is the same one check: a team the user cannot see is a 404.
    """
    actor = Actor(user=request.user, source="web")
    try:
        return team_access(actor=actor, team_id=team_id, permission=permission)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
