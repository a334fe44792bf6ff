import re

from django.core import mail

from connect_site.actors import Actor
from members.services import member_invite

LINK = re.compile(r"https?://[^\s\"<>]+/invitations/([A-Za-z0-9_-]+)/")


def token_from_email(message):
    """Return the token of the accept link in ``message``'s text body."""
    match = LINK.search(message.body)
    assert match, f"No invitation link in: {message.body!r}"
    return match.group(1)


def invite(capture, *, team, inviter, email="new@example.com", role="user", **kwargs):
    """Invite through the service, run the email task and return ``(member, token)``.

    ``capture`` is pytest-django's ``django_capture_on_commit_callbacks``.
    """
    with capture(execute=True):
        membership = member_invite(
            actor=Actor(user=inviter), team=team, email=email, role=role, **kwargs
        )
    return membership, token_from_email(mail.outbox[-1])
