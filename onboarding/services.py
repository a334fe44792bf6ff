"""Writes to a team's onboarding checklist and its hosted links."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connect_site.api import errors
from connect_site.api.exceptions import flatten_errors, validation_message
from connect_site.api.fields import format_timestamp
from integrations.events import event_publish
from members.models import Membership, MembershipStatus
from onboarding.catalog import STEPS
from onboarding.models import OnboardingLink, StepCompletion, TeamStep
from onboarding.selectors import onboarding_summary
from teams.audit import audit_record

logger = logging.getLogger(__name__)

# 32 random bytes, the size of every token that Connect emails or links.
LINK_TOKEN_BYTES = 32


def onboarding_steps_create(*, team, step_ids):
    """Lay out the team's ordered steps; the ids are already validated."""
    return TeamStep.objects.bulk_create(
        TeamStep(
            team=team, step_id=step_id, position=index, required=STEPS[step_id].required
        )
        for index, step_id in enumerate(step_ids)
    )


def step_data_validate(*, team, step_id, data):
    """Validate ``data`` through the step's catalog serializer and return it.

    Errors are named after the request field, as ``data.taxId``.
    """
    serializer = STEPS[step_id].serializer_class()(data=data, context={"team": team})
    if not serializer.is_valid():
        fields = flatten_errors({"data": serializer.errors})
        raise errors.ValidationFailed(validation_message(fields), fields=fields)
    return dict(serializer.validated_data)


def acting_user(actor):
    """Return the actor's signed-in user, or None for anonymous and system actors."""
    user = getattr(actor, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def acting_member(*, actor, team):
    """Return the actor's active membership in ``team``, or None (staff, system)."""
    user = acting_user(actor)
    if user is None:
        return None
    return Membership.objects.filter(
        team=team, user=user, status=MembershipStatus.ACTIVE
    ).first()


def onboarding_step_complete(*, actor, team, step_id, data, link=None):
    """Complete one of the team's steps with ``data`` and return its rows.

    Steps may be completed in any order. Completing a step again replaces its
    data and keeps its first completion time and member. Every completion adds
    a StepCompletion row and an ``onboarding.step_completed`` event; the
    completion that finishes the last required step also publishes
    ``onboarding.completed``, once. In ``onboarding.step_completed``,
    ``completedAt`` is the step's first completion time. In
    ``onboarding.completed`` it is the time the last required step was done.
    ``link`` is the hosted onboarding link the person came through, if any.
    Returns the team's ordered TeamStep rows.
    """
    with transaction.atomic():
        # Locking every step row of the team serializes concurrent completions,
        # so exactly one of them finds the checklist turned complete.
        steps = list(
            TeamStep.objects.select_for_update().filter(team=team).order_by("position")
        )
        step = next((row for row in steps if row.step_id == step_id), None)
        if step is None:
            team_step_ids = ", ".join(row.step_id for row in steps)
            message = (
                f"'{step_id}' is not one of this team's onboarding steps; "
                f"use one of: {team_step_ids}."
            )
            raise errors.ValidationFailed(
                f"Invalid step: {message}", fields={"step": [message]}
            )
        data = step_data_validate(team=team, step_id=step_id, data=data)
        was_completed = onboarding_summary(steps)["completed"]

        now = timezone.now()
        user = acting_user(actor)
        member = acting_member(actor=actor, team=team)
        is_first_completion = step.completed_at is None
        if is_first_completion:
            step.completed_at = now
            step.completed_by = user
            step.completed_by_member = member
        step.data = data
        step.save()
        StepCompletion.objects.create(
            team_step=step,
            completed_by=user,
            completed_by_member=member,
            source=getattr(actor, "source", "system"),
            link=link,
            completed_at=now,
            data=data,
        )
        summary = onboarding_summary(steps)

        audit_record(
            actor=actor,
            team=team,
            action="onboarding.step_completed",
            target_type="onboarding_step",
            target_id=step_id,
            changes={"data": data, "firstCompletion": is_first_completion},
        )
        event_publish(
            team=team,
            event_type="onboarding.step_completed",
            data={
                "teamId": team.public_id,
                "step": step_id,
                "completedAt": format_timestamp(step.completed_at),
                "progress": summary["progress"],
            },
        )
        if summary["completed"] and not was_completed:
            event_publish(
                team=team,
                event_type="onboarding.completed",
                data={
                    "teamId": team.public_id,
                    "completedAt": format_timestamp(now),
                    "progress": summary["progress"],
                },
            )
    logger.info(
        "Team %s completed onboarding step %s",
        team.public_id,
        step_id,
        extra={"team_id": team.public_id, "step": step_id},
    )
    return steps


def digest_link_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def onboarding_link_create(*, actor, team, return_url):
    """Create a single-use hosted onboarding link and return ``(link, url)``.

    The URL carries the token; only its SHA-256 digest is stored, so the URL
    is shown once, in this response.
    """
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    expires_at = timezone.now() + timedelta(
        minutes=settings.CONNECT_ONBOARDING_LINK_TTL_MINUTES
    )
    with transaction.atomic():
        link = OnboardingLink.objects.create(
            team=team,
            token_digest=digest_link_token(token),
            return_url=return_url,
            created_by=acting_user(actor),
            expires_at=expires_at,
        )
        audit_record(
            actor=actor,
            team=team,
            action="onboarding.link_created",
            target_type="onboarding_link",
            target_id=link.public_id,
            changes={"returnUrl": return_url},
        )
    url = f"{settings.CONNECT_BASE_URL}/onboarding/hosted/{token}"
    return link, url


def link_not_found():
    return errors.NotFound(
        "This onboarding link is invalid, expired or already used; ask the team "
        "for a new one."
    )


def _unopened_links(token):
    """Return the queryset of the unexpired, unopened link for ``token``.

    An invalid token raises NotFound with the message every caller shows.
    """
    if not isinstance(token, str) or not token or len(token) > 200:
        raise link_not_found()
    return OnboardingLink.objects.filter(
        token_digest=digest_link_token(token),
        opened_at__isnull=True,
        expires_at__gt=timezone.now(),
        team__deleted_at__isnull=True,
    )


def onboarding_link_peek(*, token):
    """Return the link of ``token`` without opening it, or raise NotFound.

    The hosted page calls this on GET, so a link-preview bot that fetches the
    URL does not use up the single-use link. Opening it takes a POST.
    """
    link = _unopened_links(token).select_related("team").first()
    if link is None:
        raise link_not_found()
    return link


def onboarding_link_resolve(*, token):
    """Exchange a link's token on its first open and return the link.

    The first call marks the link opened; the caller then keeps ``link.pk`` in
    the session and reads it back with onboarding_link_for_session. Any later
    call with the same token, an expired or unknown token, or a link of a
    deleted team raises NotFound. A single conditional UPDATE does the claim,
    so two concurrent opens cannot both succeed.
    """
    claimed = _unopened_links(token).update(opened_at=timezone.now())
    if claimed != 1:
        raise link_not_found()
    return OnboardingLink.objects.select_related("team").get(
        token_digest=digest_link_token(token)
    )


def onboarding_link_for_session(*, link_id):
    """Return the opened link with primary key ``link_id`` while its session lasts.

    The session ends when the link is finished, when its team is deleted, or
    CONNECT_ONBOARDING_SESSION_TTL_MINUTES after the first open; after that
    this raises NotFound.
    """
    session_start = timezone.now() - timedelta(
        minutes=settings.CONNECT_ONBOARDING_SESSION_TTL_MINUTES
    )
    link = (
        OnboardingLink.objects.select_related("team")
        .filter(
            pk=link_id,
            opened_at__gt=session_start,
            finished_at__isnull=True,
            team__deleted_at__isnull=True,
        )
        .first()
    )
    if link is None:
        raise errors.NotFound(
            "This onboarding session has ended; ask the team for a new link."
        )
    return link


def onboarding_link_finish(*, link):
    """End the link's session and return the URL to send the person back to."""
    with transaction.atomic():
        OnboardingLink.objects.filter(pk=link.pk, finished_at__isnull=True).update(
            finished_at=timezone.now()
        )
    return link.return_url
