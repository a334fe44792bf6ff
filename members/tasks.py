"""Celery tasks of members: they take ids and call a service."""

from smtplib import SMTPException

from celery import shared_task

from members.invitations import (
    invitation_email_send_once,
    invitation_emails_reissue_unsent,
)


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=10,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=12,
)
def invitation_email_send(membership_id, token):
    """Send the invitation email for ``token`` once, retrying on SMTP failures.

    The raw token is a task argument because the email needs it and the
    database keeps only its digest. The broker is internal to the platform.
    """
    return invitation_email_send_once(membership_id=membership_id, token=token)


@shared_task
def invitation_emails_sweep():
    """Reissue and send invitations whose email task was lost; run by beat."""
    return invitation_emails_reissue_unsent()
