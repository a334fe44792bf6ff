import hashlib
import threading
from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.utils import timezone

from connect_site.actors import Actor
from integrations.models import Event
from members.errors import InvitationUnavailable
from members.invitations import (
    invitation_accept,
    invitation_accept_as_new_user,
    invitation_email_send_once,
    invitation_emails_reissue_unsent,
    invitation_lookup,
)
from members.models import Membership
from members.services import invitation_resend, member_remove
from members.tasks import invitation_email_send
from members.tests.factories import UserFactory
from members.tests.helpers import invite, token_from_email
from teams.models import AuditEntry
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

BRANDING = {
    "displayName": "Acme Facturas",
    "logoUrl": "https://cdn.example.com/acme.png",
    "primaryColor": "#FF5500",
    "emailFromName": "Equipo Acme",
    "replyToEmail": "soporte@acme.example",
    "footerText": "Acme S.A. de C.V., Monterrey",
}
STRONG_PASSWORD = "violet-harbor-93-kettle"


def page_url(token):
    return f"/invitations/{token}/"


@pytest.fixture
def invited(team, owner, django_capture_on_commit_callbacks):
    """An invitation to new@example.com as developer and its token."""
    return invite(
        django_capture_on_commit_callbacks,
        team=team,
        inviter=owner,
        role="developer",
        invite_message="Bienvenida al equipo",
    )


# Tokens


def test_token_is_stored_only_as_digest(invited):
    membership, token = invited

    membership.refresh_from_db()
    assert len(token) >= 43
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert membership.invitation_token_digest == digest
    stored = Membership.objects.filter(pk=membership.pk).values().get()
    assert token not in [str(value) for value in stored.values()]


def test_lookup_finds_open_invitation(invited):
    membership, token = invited

    assert invitation_lookup(token=token) == membership


@pytest.mark.parametrize("token", ["", "x" * 300, "not-a-token"])
def test_lookup_rejects_unknown_token(token):
    with pytest.raises(InvitationUnavailable) as excinfo:
        invitation_lookup(token=token)

    assert excinfo.value.reason == "unknown"


# Emails


def test_email_in_spanish_with_branding(
    owner, django_capture_on_commit_callbacks, make_user
):
    team = TeamFactory(
        owner=owner, name="Acme", settings={"language": "es"}, branding=BRANDING
    )
    owner.first_name, owner.last_name = "Olga", "Ruiz"
    owner.save()

    invite(
        django_capture_on_commit_callbacks,
        team=team,
        inviter=owner,
        role="admin",
        invite_message="Bienvenida al equipo",
    )

    message = mail.outbox[0]
    assert message.subject == "Te invitaron a unirte a Acme Facturas"
    assert message.from_email == "Equipo Acme <no-reply@connect.localhost>"
    assert message.reply_to == ["soporte@acme.example"]
    assert message.extra_headers["Content-Language"] == "es"
    assert "Olga Ruiz te invitó a unirte a Acme Facturas como Administrador." in (
        message.body
    )
    assert "Bienvenida al equipo" in message.body
    assert "Acme S.A. de C.V., Monterrey" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'src="https://cdn.example.com/acme.png"' in html
    assert "#FF5500" in html
    assert "Aceptar la invitación" in html
    assert "Bienvenida al equipo" in html
    assert f"/invitations/{token_from_email(message)}/" in html


def test_email_in_english(owner, django_capture_on_commit_callbacks):
    team = TeamFactory(owner=owner, name="Acme", settings={"language": "en"})

    invite(django_capture_on_commit_callbacks, team=team, inviter=owner, role="user")

    message = mail.outbox[0]
    assert message.subject == "You are invited to join Acme"
    assert message.from_email == "Acme <no-reply@connect.localhost>"
    assert message.reply_to == []
    assert "owner@example.com invited you to join Acme as User." in message.body
    assert "Accept the invitation" in message.alternatives[0][0]


def test_email_ignores_unsafe_branding_values(
    owner, django_capture_on_commit_callbacks
):
    branding = {
        "primaryColor": "red;background:url(https://evil.example)",
        "logoUrl": "javascript:alert(1)",
        "emailFromName": "Acme\r\nBcc: victim@example.com",
    }
    team = TeamFactory(owner=owner, name="Acme", branding=branding)

    invite(django_capture_on_commit_callbacks, team=team, inviter=owner)

    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert "evil.example" not in html
    assert "javascript:" not in html
    assert (
        message.from_email
        == '"Acme Bcc: victim@example.com" <no-reply@connect.localhost>'
    )
    assert message.bcc == []


def test_email_task_sends_once_per_token(invited):
    membership, token = invited

    outcome = invitation_email_send_once(membership_id=membership.pk, token=token)

    assert outcome == "already_sent"
    assert len(mail.outbox) == 1


def test_email_task_skips_voided_token(invited, owner, team):
    membership, old_token = invited
    invitation_resend(actor=Actor(user=owner), team=team, membership=membership)

    outcome = invitation_email_send_once(membership_id=membership.pk, token=old_token)

    assert outcome == "void"
    assert len(mail.outbox) == 1


def test_email_task_skips_revoked_invitation(team, owner):
    membership = invite_without_email(team, owner)
    member_remove(actor=Actor(user=owner), team=team, membership=membership[0])

    outcome = invitation_email_send_once(
        membership_id=membership[0].pk, token=membership[1]
    )

    assert outcome == "void"
    assert mail.outbox == []


def test_email_task_leaves_token_unsent_when_smtp_fails(team, owner, monkeypatch):
    membership, token = invite_without_email(team, owner)

    def fail_smtp(*args, **kwargs):
        raise SMTPException("421 try again later")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", fail_smtp)

    with pytest.raises(SMTPException):
        invitation_email_send_once(membership_id=membership.pk, token=token)

    membership.refresh_from_db()
    assert membership.invitation_sent_digest == ""


def test_email_task_retries_smtp_errors_after_ack():
    assert SMTPException in invitation_email_send.autoretry_for
    assert invitation_email_send.acks_late is True
    assert invitation_email_send.retry_backoff == 10


def invite_without_email(team, owner, email="new@example.com"):
    """Invite and return ``(membership, token)`` without running the task."""
    from unittest import mock

    from members.services import member_invite

    with mock.patch("members.services.queue_invitation_email") as queue:
        membership = member_invite(
            actor=Actor(user=owner), team=team, email=email, role="user"
        )
    return membership, queue.call_args.args[1]


# The invitation page: a new person


def test_page_shows_team_inviter_and_role(client, invited):
    _membership, token = invited

    response = client.get(page_url(token))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Te invitaron a unirte a Acme" in content
    assert "owner@example.com te invitó como Desarrollador." in content
    assert "Bienvenida al equipo" in content
    assert 'name="password1"' in content


def test_new_person_sets_name_and_password_and_joins(client, invited):
    membership, token = invited

    response = client.post(
        page_url(token),
        {
            "name": "Nora Díaz",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "Te damos la bienvenida a Acme" in response.content.decode()
    membership.refresh_from_db()
    user = get_user_model().objects.get(email="new@example.com")
    assert membership.status == "active"
    assert membership.user == user
    assert membership.name == "Nora Díaz"
    assert membership.joined_at is not None
    assert user.check_password(STRONG_PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Event.objects.get(type="member.joined").data["status"] == "active"
    audit = AuditEntry.objects.get(action="member.joined")
    assert audit.actor_email == "new@example.com"
    assert audit.source == "web"


def test_new_person_with_weak_password_changes_nothing(client, invited):
    membership, token = invited

    response = client.post(
        page_url(token), {"name": "Nora", "password1": "123", "password2": "123"}
    )

    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    membership.refresh_from_db()
    assert membership.status == "invited"
    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_new_person_with_mismatched_passwords_changes_nothing(client, invited):
    membership, token = invited

    response = client.post(
        page_url(token),
        {"name": "Nora", "password1": STRONG_PASSWORD, "password2": "other-pass-99"},
    )

    assert response.context["form"].errors["password2"] == [
        "Las dos contraseñas no coinciden."
    ]
    membership.refresh_from_db()
    assert membership.status == "invited"


# The invitation page: an existing account


def test_existing_account_is_asked_to_sign_in(client, invited):
    _membership, token = invited
    UserFactory(email="New@Example.com")

    response = client.get(page_url(token))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="password1"' not in content
    assert f"next=%2Finvitations%2F{token}%2F" in content


def test_existing_account_posting_new_account_form_is_refused(client, invited):
    membership, token = invited
    UserFactory(email="new@example.com")

    response = client.post(
        page_url(token),
        {"name": "X", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )

    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.status == "invited"
    assert get_user_model().objects.filter(email__iexact="new@example.com").count() == 1


def test_signed_in_user_with_matching_email_accepts(client, invited):
    membership, token = invited
    user = UserFactory(email="NEW@example.com")
    client.force_login(user)

    response = client.post(page_url(token))

    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.status == "active"
    assert membership.user == user


def test_signed_in_user_with_other_email_is_refused(client, invited):
    membership, token = invited
    client.force_login(UserFactory(email="someone@example.com"))

    response = client.post(page_url(token))

    content = response.content.decode()
    assert response.status_code == 403
    assert "Esta invitación es para new@example.com" in content
    assert "someone@example.com" in content
    membership.refresh_from_db()
    assert membership.status == "invited"
    assert membership.user is None


# Links that no longer work


def test_accepting_twice_shows_clear_page(client, invited):
    membership, token = invited
    user = UserFactory(email="new@example.com")
    client.force_login(user)
    client.post(page_url(token))
    joined_at = Membership.objects.get(pk=membership.pk).joined_at

    response = client.post(page_url(token))

    assert response.status_code == 410
    assert "Esta invitación ya fue aceptada." in response.content.decode()
    membership.refresh_from_db()
    assert membership.joined_at == joined_at
    assert Event.objects.filter(type="member.joined").count() == 1


def test_expired_link_shows_clear_page(client, invited):
    membership, token = invited
    Membership.objects.filter(pk=membership.pk).update(
        invite_expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = client.post(
        page_url(token),
        {"name": "Nora", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )

    assert response.status_code == 410
    assert "El enlace de la invitación venció." in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == "invited"
    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_accept_rechecks_expiry_inside_transaction(invited):
    membership, token = invited
    user = UserFactory(email="new@example.com")
    invitation_lookup(token=token)
    Membership.objects.filter(pk=membership.pk).update(invite_expires_at=timezone.now())

    with pytest.raises(InvitationUnavailable) as excinfo:
        invitation_accept(token=token, user=user)

    assert excinfo.value.reason == "expired"


def test_old_link_after_resend_shows_clear_page(
    client, invited, owner, team, django_capture_on_commit_callbacks
):
    membership, old_token = invited
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(actor=Actor(user=owner), team=team, membership=membership)
    new_token = token_from_email(mail.outbox[-1])

    old_response = client.get(page_url(old_token))
    new_response = client.get(page_url(new_token))

    assert old_response.status_code == 404
    assert "El enlace de la invitación no es válido." in old_response.content.decode()
    assert new_response.status_code == 200


def test_revoked_link_shows_clear_page(client, invited, owner, team):
    membership, token = invited
    member_remove(actor=Actor(user=owner), team=team, membership=membership)

    response = client.post(
        page_url(token),
        {"name": "Nora", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )

    assert response.status_code == 410
    assert "Esta invitación fue revocada." in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == "removed"


def test_link_of_deleted_team_shows_clear_page(client, invited, owner, team):
    from teams.services import team_delete

    _membership, token = invited
    team_delete(actor=Actor(user=owner), team=team)

    response = client.get(page_url(token))

    assert response.status_code == 404


def test_unknown_link_shows_clear_page(client):
    response = client.get(page_url("x" * 43))

    assert response.status_code == 404
    assert b"invitation-reason" in response.content


def test_already_member_cannot_accept_second_invitation(invited, team):
    membership, token = invited
    user = UserFactory(email="new@example.com")
    Membership.objects.create(
        team=team, user=user, email="old@example.com", role="user", status="active"
    )

    with pytest.raises(InvitationUnavailable) as excinfo:
        invitation_accept(token=token, user=user)

    assert excinfo.value.reason == "already_member"


# Races


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accepts_give_one_membership(owner):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; set DATABASE_URL")
    team = TeamFactory(owner=owner)
    membership, token = invite_without_email(team, owner)
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(name):
        try:
            barrier.wait(timeout=10)
            invitation_accept_as_new_user(
                token=token, name=name, password=STRONG_PASSWORD
            )
            outcomes.append("joined")
        except InvitationUnavailable as exc:
            outcomes.append(exc.reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(name,)) for name in ("Ana", "Bea")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["accepted", "joined"]
    assert get_user_model().objects.filter(email="new@example.com").count() == 1
    active = Membership.objects.filter(team=team, email="new@example.com")
    assert [m.status for m in active] == ["active"]
    assert Event.objects.filter(type="member.joined").count() == 1


# The sweep for emails that were never sent


def make_stale(membership, minutes=11):
    Membership.objects.filter(pk=membership.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_sweep_reissues_invitation_whose_email_was_lost(
    team, owner, django_capture_on_commit_callbacks
):
    membership, lost_token = invite_without_email(team, owner)
    expires_at = membership.invite_expires_at
    make_stale(membership)

    with django_capture_on_commit_callbacks(execute=True):
        reissued = invitation_emails_reissue_unsent()

    assert reissued == 1
    assert len(mail.outbox) == 1
    new_token = token_from_email(mail.outbox[0])
    assert new_token != lost_token
    membership.refresh_from_db()
    assert membership.invite_expires_at == expires_at
    assert membership.invitation_sent_digest == membership.invitation_token_digest


def test_sweep_skips_sent_and_recent_invitations(
    team, owner, invited, django_capture_on_commit_callbacks
):
    sent_membership, _token = invited
    make_stale(sent_membership)
    invite_without_email(team, owner, email="recent@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        reissued = invitation_emails_reissue_unsent()

    assert reissued == 0
    assert len(mail.outbox) == 1


def test_sweep_skips_expired_invitations(team, owner):
    membership, _token = invite_without_email(team, owner)
    Membership.objects.filter(pk=membership.pk).update(
        invite_expires_at=timezone.now() - timedelta(minutes=1),
        updated_at=timezone.now() - timedelta(minutes=20),
    )

    assert invitation_emails_reissue_unsent() == 0
