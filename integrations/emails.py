"""The email sent to a team's owners when their integration is disabled."""

import logging
from email.utils import formataddr, parseaddr
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from integrations.models import Integration, IntegrationStatus

logger = logging.getLogger(__name__)

SUBJECTS = {
    "es": "Desactivamos la integración {name} de {team}",
    "en": "The integration {name} of {team} was disabled",
}
BODIES = {
    "es": (
        "Hola:\n\n"
        "Desactivamos la integración de webhooks «{name}» del equipo {team} "
        "({url}).\n\n"
        "Motivo: {reason}\n\n"
        "No enviaremos nuevos eventos a este endpoint hasta que lo reactives. "
        "Corrige el endpoint y reactívalo con PUT "
        "/v2/connect/teams/{team_id}/integrations/{integration_id} y "
        '{{"isActive": true}}. Para reenviar lo que falló, usa POST '
        "/v2/connect/teams/{team_id}/integrations/{integration_id}/recover.\n"
    ),
    "en": (
        "Hello,\n\n"
        'We disabled the webhook integration "{name}" of the team {team} '
        "({url}).\n\n"
        "Reason: {reason}\n\n"
        "No new events go to this endpoint until you re-enable it. Fix the "
        "endpoint, then re-enable it with PUT "
        "/v2/connect/teams/{team_id}/integrations/{integration_id} and "
        '{{"isActive": true}}. To re-send what failed, use POST '
        "/v2/connect/teams/{team_id}/integrations/{integration_id}/recover.\n"
    ),
}


def owner_emails(team):
    from members.models import Membership
    from members.roles import Role

    return list(
        Membership.objects.active()
        .filter(team=team, role=Role.OWNER)
        .order_by("id")
        .values_list("email", flat=True)
    )


def sender_address(team):
    """Return DEFAULT_FROM_EMAIL's address under the team's branded sender name."""
    from members.emails import team_branding

    branding = team_branding(team)
    name = branding["email_from_name"] or branding["display_name"]
    return formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def integration_disabled_email_build(integration):
    """Return ``(subject, body)`` in the team's language (es or en)."""
    from members.emails import team_branding

    team = integration.team
    language = team.language if team.language in SUBJECTS else "es"
    values = {
        "name": integration.name,
        "team": team_branding(team)["display_name"],
        "url": integration.url,
        "reason": integration.disabled_reason,
        "team_id": team.public_id,
        "integration_id": integration.public_id,
    }
    subject = " ".join(SUBJECTS[language].format(**values).split())
    return subject, BODIES[language].format(**values)


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=10,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=12,
)
def integration_disabled_email_send(integration_pk):
    """Email the team's active owners that the integration was disabled, once.

    ``disabled_notice_sent_at`` is claimed with the row locked before the
    email goes out, so a retried or duplicated task sends nothing twice. If
    sending fails, the claim is rolled back and the retry sends it.
    Returns the number of recipients.
    """
    with transaction.atomic():
        integration = (
            Integration.objects.select_for_update()
            .select_related("team")
            .filter(pk=integration_pk)
            .first()
        )
        if (
            integration is None
            or integration.status != IntegrationStatus.DISABLED
            or integration.disabled_notice_sent_at is not None
        ):
            return 0
        recipients = owner_emails(integration.team)
        integration.disabled_notice_sent_at = timezone.now()
        integration.save(update_fields=["disabled_notice_sent_at"])
        if not recipients:
            logger.warning(
                "Integration %s was disabled but its team has no active owner",
                integration.public_id,
            )
            return 0
        subject, body = integration_disabled_email_build(integration)
        send_mail(subject, body, sender_address(integration.team), recipients)
    logger.info(
        "Sent the disabled-integration email to %s owners of integration %s",
        len(recipients),
        integration.public_id,
    )
    return len(recipients)
