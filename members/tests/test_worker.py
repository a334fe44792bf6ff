import email
import time

import pytest
from django.test import Client

from members.models import Membership
from members.tests.helpers import LINK
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.slow

STRONG_PASSWORD = "violet-harbor-93-kettle"


def wait_for_email_files(folder, count=1, timeout=30):
    """Return the parsed emails the file backend wrote, waiting for ``count``."""
    deadline = time.monotonic() + timeout
    while True:
        files = sorted(folder.glob("*.log"))
        if len(files) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    messages = []
    for path in files:
        # The file backend separates messages with a line of 79 dashes.
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip()))
    return messages


def text_part(message):
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset())
    raise AssertionError("The email has no text/plain part.")


def test_invitation_round_trip_through_celery_worker(
    celery_worker_process, tmp_path, owner, make_key_client
):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    worker = celery_worker_process(extra_env={"EMAIL_URL": f"filemail://{outbox}"})
    team = TeamFactory(owner=owner, name="Acme", settings={"language": "en"})
    client = make_key_client(owner)

    response = client.post(
        f"/v2/connect/teams/{team.public_id}/members",
        {"email": "new@example.com", "role": "developer", "inviteMessage": "Hi!"},
        format="json",
    )
    assert response.status_code == 201
    messages = wait_for_email_files(outbox)
    assert len(messages) == 1, worker.log()[-3000:]
    message = messages[0]
    assert message["To"] == "new@example.com"
    assert message["Subject"] == "You are invited to join Acme"
    body = text_part(message)
    assert "Hi!" in body
    token = LINK.search(body).group(1)

    browser = Client()
    page = browser.get(f"/invitations/{token}/")
    assert page.status_code == 200
    accepted = browser.post(
        f"/invitations/{token}/",
        {
            "name": "Nora Díaz",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    assert accepted.status_code == 200
    membership = Membership.objects.get(public_id=response.json()["data"]["id"])
    assert membership.status == "active"
    assert membership.user.email == "new@example.com"
    assert membership.joined_at is not None
    assert membership.invitation_sent_digest == membership.invitation_token_digest
    assert "succeeded" in worker.log()
