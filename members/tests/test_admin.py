import pytest
from django.core import mail
from django.urls import reverse

from members.models import Membership
from members.tests.factories import MembershipFactory
from teams.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser(
        username="staff", email="staff@example.com", password="x"
    )
    client.force_login(staff)
    return client


def test_admin_lists_and_searches_members(staff_client, team):
    MembershipFactory(team=team, email="dev@example.com")

    response = staff_client.get(
        reverse("admin:members_membership_changelist"), {"q": "dev@"}
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [
        Membership.objects.get(email="dev@example.com")
    ]


def test_admin_filters_by_role_and_status(staff_client, team):
    MembershipFactory(team=team, role="developer", status="invited")

    response = staff_client.get(
        reverse("admin:members_membership_changelist"),
        {"role__exact": "developer", "status__exact": "invited"},
    )

    assert response.context["cl"].result_count == 1


def test_admin_never_shows_invitation_digests(staff_client, team):
    member = MembershipFactory(
        team=team,
        status="invited",
        invitation_token_digest="d" * 64,
        invitation_sent_digest="d" * 64,
    )

    response = staff_client.get(
        reverse("admin:members_membership_change", args=[member.pk])
    )

    assert response.status_code == 200
    assert "d" * 64 not in response.content.decode()


def test_admin_action_resends_invitation(
    staff_client, team, django_capture_on_commit_callbacks
):
    member = MembershipFactory(team=team, status="invited")
    active = MembershipFactory(team=team)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:members_membership_changelist"),
            {
                "action": "resend_invitation",
                "_selected_action": [member.pk, active.pk],
            },
            follow=True,
        )

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    audit = AuditEntry.objects.get(action="member.invitation_resent")
    assert audit.source == "admin"
    assert audit.actor_email == "staff@example.com"
    notices = [str(message) for message in response.context["messages"]]
    assert notices == [
        "Resent 1 invitation(s).",
        f"Not resent, {active.email}: This member has already joined; only "
        "pending invitations can be resent.",
    ]
