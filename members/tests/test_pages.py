import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from members.models import Membership
from members.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_client(client, owner):
    client.force_login(owner)
    return client


def url(name, team, member=None):
    kwargs = {"team_id": team.public_id}
    if member is not None:
        kwargs["member_id"] = member.public_id
    return reverse(name, kwargs=kwargs)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_member_list_requires_sign_in(client, team):
    response = client.get(url("member-list", team))

    assert response.status_code == 302
    assert response["Location"] == (
        f"/accounts/login/?next=/teams/{team.public_id}/members/"
    )


def test_member_list_shows_open_members(web_client, team):
    MembershipFactory(team=team, email="dev@example.com", role="developer")
    MembershipFactory(team=team, email="gone@example.com", status="removed")

    response = web_client.get(url("member-list", team))

    content = response.content.decode()
    assert response.status_code == 200
    assert "dev@example.com" in content
    assert "owner@example.com" in content
    assert "gone@example.com" not in content
    assert "<td>Desarrollador</td>" in content
    assert response.headers["Content-Language"] == "es"


def test_member_list_of_other_team_answers_404(client, team, make_user):
    client.force_login(make_user("stranger@example.com"))

    response = client.get(url("member-list", team))

    assert response.status_code == 404


def test_member_list_without_members_read_answers_403(client, team):
    member = MembershipFactory(team=team, role="user")
    client.force_login(member.user)

    response = client.get(url("member-list", team))

    assert response.status_code == 403


def test_invite_form_invites_and_emails(
    web_client, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = web_client.post(
            url("member-invite", team),
            {"email": "new@example.com", "role": "developer", "invite_message": "Hola"},
        )

    assert response.status_code == 302
    assert response["Location"] == url("member-list", team)
    membership = Membership.objects.get(email="new@example.com")
    assert membership.status == "invited"
    assert membership.role == "developer"
    assert membership.permissions is None
    assert membership.invite_message == "Hola"
    assert len(mail.outbox) == 1
    assert messages_of(response) == ["Invitación enviada a new@example.com."]


def test_invite_form_role_choices_capped(client, team):
    manager = MembershipFactory(team=team, role="manager")
    client.force_login(manager.user)

    response = client.get(url("member-invite", team))

    roles = [value for value, _label in response.context["form"].fields["role"].choices]
    assert roles == ["manager", "developer", "user"]


def test_invite_form_shows_duplicate_error(web_client, team):
    MembershipFactory(team=team, email="dev@example.com")

    response = web_client.post(
        url("member-invite", team), {"email": "DEV@example.com", "role": "user"}
    )

    assert response.status_code == 200
    assert messages_of(response) == [
        "Este correo ya pertenece a un miembro invitado o activo del equipo."
    ]
    assert Membership.objects.filter(email__iexact="dev@example.com").count() == 1


def test_update_form_changes_role(web_client, team):
    member = MembershipFactory(team=team, role="user")

    response = web_client.post(
        url("member-update", team, member),
        {"role": "manager", "permissions": ["team.read", "members.read"]},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == "manager"
    assert member.permissions == ["team.read", "members.read"]


def test_update_form_refuses_last_owner_demotion(web_client, team, owner_membership):
    response = web_client.post(
        url("member-update", team, owner_membership), {"role": "admin"}
    )

    assert response.status_code == 200
    assert messages_of(response) == [
        "Un equipo necesita al menos un propietario activo; primero haz "
        "propietario a otro miembro."
    ]
    owner_membership.refresh_from_db()
    assert owner_membership.role == "owner"


def test_resend_voids_previous_link(web_client, team):
    member = MembershipFactory(
        team=team, status="invited", invitation_token_digest="a" * 64
    )

    response = web_client.post(url("member-resend", team, member))

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.invitation_token_digest not in ("", "a" * 64)


def test_resend_rejects_get(web_client, team):
    member = MembershipFactory(team=team, status="invited")

    response = web_client.get(url("member-resend", team, member))

    assert response.status_code == 405


def test_remove_asks_then_removes(web_client, team):
    member = MembershipFactory(team=team, email="dev@example.com")

    confirm = web_client.get(url("member-remove", team, member))
    response = web_client.post(url("member-remove", team, member))

    assert confirm.status_code == 200
    assert "dev@example.com" in confirm.content.decode()
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "removed"


def test_remove_without_csrf_token_changes_nothing(owner, team):
    member = MembershipFactory(team=team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(url("member-remove", team, member))

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.status == "active"


def test_page_of_removed_member_answers_404(web_client, team):
    member = MembershipFactory(team=team, status="removed")

    response = web_client.get(url("member-update", team, member))

    assert response.status_code == 404
