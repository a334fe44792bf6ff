"""Invitation links: tokens, lookup, acceptance and the invitation email.

A link's token is 32 random bytes; the database keeps only its SHA-256
digest. Accepting locks the member row and checks the link again, so two
concurrent accepts give one membership.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connect_site.actors import Actor
from integrations.events import event_publish
from members.errors import InvitationUnavailable
from members.models import Membership, MembershipStatus
from members.representations import member_data
from teams.audit import audit_record

logger = logging.getLogger(__name__)


def digest_invitation_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_invitation_token():
    """Return ``(token, digest)``: 32 random bytes, URL-safe, and their SHA-256."""
    token = secrets.token_urlsafe(32)
    return token, digest_invitation_token(token)


def invitation_expiry(now):
    return now + timedelta(days=settings.CONNECT_INVITATION_TTL_DAYS)


def queue_invitation_email(membership, token):
    """Queue the email after commit; the task re-checks the token before sending.

    The raw token travels only as a task argument on the internal broker: the
    database keeps its digest alone, and the email needs the token itself.
    """
    from members.tasks import invitation_email_send

    membership_id = membership.pk
    transaction.on_commit(
        lambda: invitation_email_send.delay(membership_id, token), robust=True
    )


def invitation_lookup(*, token):
    """Return the invited membership behind ``token`` or raise InvitationUnavailable.

    The page calls it on load; ``invitation_accept`` checks again under a lock.
    """
    membership = find_invitation(token, lock=False)
    check_invitation_open(membership)
    return membership


def find_invitation(token, *, lock):
    if not isinstance(token, str) or not token or len(token) > 200:
        raise InvitationUnavailable(InvitationUnavailable.UNKNOWN)
    queryset = Membership.objects.select_related("team", "invited_by")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    membership = (
        queryset.filter(
            invitation_token_digest=digest_invitation_token(token),
            team__deleted_at__isnull=True,
        )
        .order_by("-pk")
        .first()
    )
    if membership is None:
        raise InvitationUnavailable(InvitationUnavailable.UNKNOWN)
    return membership


def check_invitation_open(membership):
    if membership.status == MembershipStatus.ACTIVE:
        raise InvitationUnavailable(InvitationUnavailable.ACCEPTED, membership)
    if membership.status == MembershipStatus.REMOVED:
        raise InvitationUnavailable(InvitationUnavailable.REVOKED, membership)
    if membership.invite_expires_at is None or (
        membership.invite_expires_at <= timezone.now()
    ):
        raise InvitationUnavailable(InvitationUnavailable.EXPIRED, membership)


def invitation_accept(*, token, user):
    """Make ``user`` the active member behind ``token``.

    The member row is locked and the status and expiry are checked again
    inside the transaction, so two concurrent accepts give one membership and
    a link that expired after the page loaded is still rejected.
    """
    with transaction.atomic():
        membership = find_invitation(token, lock=True)
        check_invitation_open(membership)
        if (user.email or "").casefold() != membership.email.casefold():
            raise InvitationUnavailable(
                InvitationUnavailable.EMAIL_MISMATCH, membership
            )
        if Membership.objects.active().filter(team=membership.team, user=user).exists():
            raise InvitationUnavailable(
                InvitationUnavailable.ALREADY_MEMBER, membership
            )

        membership.user = user
        membership.name = user.get_full_name() or membership.name
        membership.status = MembershipStatus.ACTIVE
        membership.joined_at = timezone.now()
        membership.save(
            update_fields=["user", "name", "status", "joined_at", "updated_at"]
        )
        audit_record(
            actor=Actor(user=user, source="web"),
            team=membership.team,
            action="member.joined",
            target_type="member",
            target_id=membership.public_id,
            changes={"user": user.email},
        )
        event_publish(
            team=membership.team,
            event_type="member.joined",
            data=member_data(membership),
        )
    logger.info(
        "Invitation accepted",
        extra={"member_id": membership.public_id, "team_id": membership.team.public_id},
    )
    return membership


def invitation_accept_as_new_user(*, token, name, password):
    """Create the account for the invited email, then accept in one transaction.

    If an account with that email exists, this raises ACCOUNT_EXISTS: its
    owner must sign in, so an invitation cannot be used to take over an
    account.
    """
    user_model = get_user_model()
    with transaction.atomic():
        membership = find_invitation(token, lock=True)
        check_invitation_open(membership)
        email = membership.email
        if user_model.objects.filter(email__iexact=email).exists() or (
            user_model.objects.filter(username=email.lower()[:150]).exists()
        ):
            raise InvitationUnavailable(
                InvitationUnavailable.ACCOUNT_EXISTS, membership
            )
        first_name, _space, last_name = name.strip().partition(" ")
        user = user_model.objects.create_user(
            username=email.lower()[:150],
            email=email,
            password=password,
            first_name=first_name[:150],
            last_name=last_name.strip()[:150],
        )
        membership = invitation_accept(token=token, user=user)
    return membership, user


def invitation_email_send_once(*, membership_id, token):
    """Send the invitation email for ``token`` unless it is void or already sent.

    The member row stays locked while the email is sent and its digest is
    recorded, so two runs of one task never both send. An SMTP error rolls
    back and propagates, so the task retries. Returns what happened: "sent",
    "already_sent", "void" or "expired".
    """
    from members.emails import invitation_email_build

    digest = digest_invitation_token(token)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("team", "invited_by")
            .filter(pk=membership_id)
            .first()
        )
        if (
            membership is None
            or membership.status != MembershipStatus.INVITED
            or membership.invitation_token_digest != digest
            or membership.team.deleted_at is not None
        ):
            logger.info(
                "Invitation email skipped: the link was voided",
                extra={"membership_pk": membership_id},
            )
            return "void"
        if membership.invitation_sent_digest == digest:
            logger.info(
                "Invitation email skipped: already sent",
                extra={"member_id": membership.public_id},
            )
            return "already_sent"
        if membership.invite_expires_at <= timezone.now():
            logger.warning(
                "Invitation email skipped: the link expired before it was sent",
                extra={"member_id": membership.public_id},
            )
            return "expired"

        # NOTE: if the commit below fails after the SMTP server accepted the
        # message, a retry sends it again; the window is one UPDATE long.
        invitation_email_build(membership=membership, token=token).send()
        membership.invitation_sent_digest = digest
        membership.save(update_fields=["invitation_sent_digest"])
    logger.info("Invitation email sent", extra={"member_id": membership.public_id})
    return "sent"


# How long a pending invitation may wait for its email before the sweep
# issues a new link; longer than a queued task normally waits.
UNSENT_INVITATION_GRACE = timedelta(minutes=10)
UNSENT_INVITATION_BATCH = 500


def unsent_invitations(now):
    return (
        Membership.objects.filter(
            status=MembershipStatus.INVITED,
            invite_expires_at__gt=now,
            updated_at__lt=now - UNSENT_INVITATION_GRACE,
            team__deleted_at__isnull=True,
        )
        .exclude(invitation_token_digest="")
        .exclude(invitation_sent_digest=F("invitation_token_digest"))
    )


def invitation_emails_reissue_unsent():
    """Issue a new link for each pending invitation whose email was never sent.

    The raw token exists only in the queued task, so an email whose task was
    lost (the broker was down at commit, or lost its messages) cannot be
    sent with the old token. The new link keeps the invitation's expiry, and
    the old task, if it ever runs, finds its token void. Returns the number
    of invitations reissued.
    """
    # NOTE: an address that the SMTP server rejects for good is retried by
    # the task and reissued here every few minutes until the link expires.
    now = timezone.now()
    member_pks = list(
        unsent_invitations(now).values_list("pk", flat=True)[:UNSENT_INVITATION_BATCH]
    )
    reissued = 0
    for member_pk in member_pks:
        with transaction.atomic():
            membership = (
                unsent_invitations(now)
                .select_for_update(skip_locked=True)
                .filter(pk=member_pk)
                .first()
            )
            if membership is None:
                continue
            token, digest = new_invitation_token()
            membership.invitation_token_digest = digest
            membership.save(update_fields=["invitation_token_digest", "updated_at"])
            queue_invitation_email(membership, token)
            reissued += 1
    if reissued:
        logger.warning(
            "Reissued %d invitation link(s) whose email was never sent", reissued
        )
    return reissued
