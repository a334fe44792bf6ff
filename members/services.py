"""Every write to memberships, invitations and API keys."""

from django.db import transaction
from django.utils import timezone

from members.keys import digest_api_key, generate_api_key
from members.models import ApiKey, Membership, MembershipStatus


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
