import re

import pytest
from django.core import mail

from connect_site.tests.helpers import error_of, validation_error
from integrations.models import Event
from members.models import Membership, MembershipStatus
from members.tests.data import ALL_PERMISSIONS_IN_ORDER, INVITE_MEMBER_REQUEST
from members.tests.factories import MembershipFactory
from teams.models import AuditEntry
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MEMBER_ID = re.compile(r"^mbr_[A-Za-z0-9]{24}$")


def post_invite(client, url, body):
    return client.post(url, body, format="json")


# Invite


def test_invite_answers_the_page_example(
    owner_client, team, members_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_invite(owner_client, members_url, INVITE_MEMBER_REQUEST)

    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["data", "message"]
    assert body["message"] == "Member invited successfully"
    data = body["data"]
    assert MEMBER_ID.match(data.pop("id"))
    invited_at = data.pop("invitedAt")
    assert TIMESTAMP.match(invited_at)
    assert TIMESTAMP.match(data.pop("inviteExpiresAt"))
    assert TIMESTAMP.match(data.pop("createdAt"))
    assert TIMESTAMP.match(data.pop("updatedAt"))
    assert data == {
        "teamId": team.public_id,
        "email": "user@example.com",
        "name": None,
        "role": "admin",
        "permissions": INVITE_MEMBER_REQUEST["permissions"],
        "status": "invited",
        "invitedBy": "owner@example.com",
        "joinedAt": None,
    }


def test_invite_expires_after_seven_days(owner_client, members_url):
    response = post_invite(owner_client, members_url, INVITE_MEMBER_REQUEST)

    membership = Membership.objects.get(public_id=response.json()["data"]["id"])
    lifetime = membership.invite_expires_at - membership.invited_at
    assert lifetime.total_seconds() == 7 * 24 * 3600


def test_invite_sends_one_email_after_commit(
    owner_client, members_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        post_invite(owner_client, members_url, INVITE_MEMBER_REQUEST)
        assert mail.outbox == []

    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["user@example.com"]


def test_invite_records_audit_and_event(owner_client, team, members_url):
    response = post_invite(owner_client, members_url, INVITE_MEMBER_REQUEST)

    member_id = response.json()["data"]["id"]
    audit = AuditEntry.objects.get(action="member.invited")
    assert audit.target_id == member_id
    assert audit.actor_email == "owner@example.com"
    assert audit.changes == {
        "email": "user@example.com",
        "role": "admin",
        "permissions": INVITE_MEMBER_REQUEST["permissions"],
    }
    event = Event.objects.get(team=team, type="member.invited")
    assert event.data == response.json()["data"]


def test_invite_without_permissions_gives_role_defaults(owner_client, members_url):
    response = post_invite(
        owner_client, members_url, {"email": "dev@example.com", "role": "developer"}
    )

    assert response.status_code == 201
    assert response.json()["data"]["permissions"] == [
        "team.read",
        "members.read",
        "payments.read",
        "invoices.read",
        "clients.read",
        "integrations.read",
        "integrations.create",
        "integrations.update",
    ]


def test_invite_orders_permissions_by_catalog(owner_client, members_url):
    response = post_invite(
        owner_client,
        members_url,
        {
            "email": "a@example.com",
            "role": "user",
            "permissions": ["clients.read", "team.read"],
        },
    )

    assert response.json()["data"]["permissions"] == ["team.read", "clients.read"]


def test_invite_rejects_email_differing_in_case(owner_client, members_url):
    post_invite(owner_client, members_url, {"email": "ana@example.com", "role": "user"})

    response = post_invite(
        owner_client, members_url, {"email": "ANA@Example.com", "role": "admin"}
    )

    assert response.status_code == 409
    message = "This email already belongs to an invited or active member of the team."
    assert error_of(response) == {
        "error": {"code": "member_exists", "message": message},
        "message": message,
    }
    membership = Membership.objects.get(email__iexact="ana@example.com")
    assert membership.role == "user"


def test_invite_of_active_member_keeps_its_role(owner_client, team, members_url):
    member = MembershipFactory(team=team, email="dev@example.com", role="developer")

    response = post_invite(
        owner_client, members_url, {"email": "dev@example.com", "role": "admin"}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "member_exists"
    member.refresh_from_db()
    assert member.role == "developer"


def test_invite_of_removed_member_creates_new_invitation(
    owner_client, team, members_url
):
    removed = MembershipFactory(
        team=team, email="gone@example.com", status=MembershipStatus.REMOVED
    )

    response = post_invite(
        owner_client, members_url, {"email": "gone@example.com", "role": "user"}
    )

    assert response.status_code == 201
    assert response.json()["data"]["id"] != removed.public_id
    assert response.json()["data"]["status"] == "invited"


def test_invite_race_losing_side_gets_member_exists(
    owner_client, members_url, monkeypatch
):
    post_invite(owner_client, members_url, {"email": "ana@example.com", "role": "user"})
    # The second request passes the friendly check, as it would when both run
    # at once, and meets the database constraint instead.
    monkeypatch.setattr(
        "members.services.open_member_exists", lambda *, team, email: False
    )

    response = post_invite(
        owner_client, members_url, {"email": "Ana@example.com", "role": "user"}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "member_exists"
    assert Membership.objects.filter(email__iexact="ana@example.com").count() == 1


@pytest.mark.parametrize(
    ("body", "field", "field_message"),
    [
        ({"role": "user"}, "email", "This field is required."),
        ({"email": "x@example.com"}, "role", "This field is required."),
        (
            {"email": "not-an-email", "role": "user"},
            "email",
            "Enter a valid email address.",
        ),
        (
            {"email": "x@example.com", "role": "boss"},
            "role",
            "Use one of: owner, admin, manager, developer, user.",
        ),
        (
            {"email": "x@example.com", "role": "user", "permissions": ["team.fly"]},
            "permissions.0",
            '"team.fly" is not a known permission. Use permissions from the '
            "catalog, such as payments.read.",
        ),
        (
            {
                "email": "x@example.com",
                "role": "user",
                "permissions": ["team.read", "team.read"],
            },
            "permissions",
            "List each permission once.",
        ),
        (
            {"email": "x@example.com", "role": "user", "inviteMessage": 5},
            "inviteMessage",
            "Not a valid string.",
        ),
        (
            {"email": "x@example.com", "role": "user", "teamId": "team_x"},
            "teamId",
            "Unknown field. Allowed fields: email, role, permissions, inviteMessage.",
        ),
    ],
)
def test_invite_rejects_invalid_field(
    owner_client, members_url, body, field, field_message
):
    response = post_invite(owner_client, members_url, body)

    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid {field}: {field_message}", {field: [field_message]}
    )
    assert Membership.objects.filter(status="invited").count() == 0


def test_invite_rejects_permission_outside_role_ceiling(owner_client, members_url):
    response = post_invite(
        owner_client,
        members_url,
        {"email": "x@example.com", "role": "user", "permissions": ["payments.create"]},
    )

    message = (
        "payments.create is not within the user role; choose a higher role or "
        "remove the permission."
    )
    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid permissions: {message}", {"permissions": [message]}
    )
    assert Membership.objects.filter(status="invited").count() == 0


# List and filters


def test_list_returns_open_members_newest_first(owner_client, team, members_url):
    MembershipFactory(team=team, email="gone@example.com", status="removed")
    invited = MembershipFactory(team=team, email="inv@example.com", status="invited")
    active = MembershipFactory(team=team, email="act@example.com", role="developer")

    response = owner_client.get(members_url)

    body = response.json()
    assert response.status_code == 200
    assert [m["email"] for m in body["data"]] == [
        "act@example.com",
        "inv@example.com",
        "owner@example.com",
    ]
    assert body["message"] == "Members retrieved successfully"
    assert body["totalResults"] == 3
    assert body["hasMore"] is False
    assert body["next"] is None
    assert body["data"][1]["id"] == invited.public_id
    assert body["data"][0]["id"] == active.public_id


def test_list_shows_owner_shape(owner_client, team, members_url, owner_membership):
    response = owner_client.get(members_url)

    data = response.json()["data"][0]
    assert data == {
        "id": owner_membership.public_id,
        "teamId": team.public_id,
        "email": "owner@example.com",
        "name": None,
        "role": "owner",
        "permissions": ALL_PERMISSIONS_IN_ORDER,
        "status": "active",
        "invitedAt": None,
        "invitedBy": None,
        "inviteExpiresAt": None,
        "joinedAt": data["joinedAt"],
        "createdAt": data["createdAt"],
        "updatedAt": data["updatedAt"],
    }
    assert TIMESTAMP.match(data["joinedAt"])


@pytest.mark.parametrize(
    ("query", "emails"),
    [
        ("role=developer", ["dev@example.com"]),
        ("status=invited", ["inv@example.com"]),
        ("status=active", ["dev@example.com", "owner@example.com"]),
        ("email=DEV@EXAMPLE.COM", ["dev@example.com"]),
        ("email=dev@example", []),
        ("role=owner&status=active", ["owner@example.com"]),
    ],
)
def test_list_filters(owner_client, team, members_url, query, emails):
    MembershipFactory(team=team, email="inv@example.com", status="invited")
    MembershipFactory(team=team, email="dev@example.com", role="developer")

    response = owner_client.get(f"{members_url}?{query}")

    assert response.status_code == 200
    assert [m["email"] for m in response.json()["data"]] == emails


@pytest.mark.parametrize(
    ("query", "field", "field_message"),
    [
        ("role=boss", "role", "Use one of: owner, admin, manager, developer, user."),
        ("status=removed", "status", "Use one of: invited, active."),
        ("limit=0", "limit", "limit must be from 1 to 100; got 0."),
    ],
)
def test_list_rejects_bad_filter(
    owner_client, members_url, query, field, field_message
):
    response = owner_client.get(f"{members_url}?{query}")

    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid {field}: {field_message}", {field: [field_message]}
    )


def test_list_rejects_unknown_parameter(owner_client, members_url):
    response = owner_client.get(f"{members_url}?name=x")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "name": [
            "Unknown query parameter. Allowed: asOf, email, limit, offset, role, "
            "status."
        ]
    }


def test_list_pages_with_next_link(owner_client, team, members_url):
    for index in range(3):
        MembershipFactory(team=team, email=f"m{index}@example.com")

    response = owner_client.get(f"{members_url}?limit=2&role=user")

    body = response.json()
    assert [m["email"] for m in body["data"]] == ["m2@example.com", "m1@example.com"]
    assert body["hasMore"] is True
    newest_id = body["data"][0]["id"]
    assert body["next"] == (
        f"http://127.0.0.1:8000{members_url}"
        f"?asOf={newest_id}&limit=2&offset=2&role=user"
    )


def test_list_next_page_skips_rows_inserted_since(owner_client, team, members_url):
    for index in range(3):
        MembershipFactory(team=team, email=f"m{index}@example.com")
    first_page = owner_client.get(f"{members_url}?limit=2").json()
    MembershipFactory(team=team, email="late@example.com")

    response = owner_client.get(first_page["next"])

    assert [m["email"] for m in response.json()["data"]] == [
        "m0@example.com",
        "owner@example.com",
    ]


def test_list_query_count_does_not_grow(
    owner_client, team, members_url, django_assert_num_queries, owner
):
    for _ in range(2):
        MembershipFactory(team=team, invited_by=owner)
    owner_client.get(members_url)
    with django_assert_num_queries(4) as small:
        owner_client.get(members_url)
    for _ in range(8):
        MembershipFactory(team=team, invited_by=owner)

    with django_assert_num_queries(len(small.captured_queries)):
        response = owner_client.get(members_url)

    assert len(response.json()["data"]) == 11


def test_list_of_other_team_answers_404(make_user, make_key_client, members_url):
    stranger = make_user("stranger@example.com")
    TeamFactory(owner=stranger)

    response = make_key_client(stranger).get(members_url)

    assert response.status_code == 404
    message = "No team with this id was found."
    assert error_of(response) == {
        "error": {"code": "not_found", "message": message},
        "message": message,
    }


# Get


def test_get_returns_member(owner_client, team, members_url, owner):
    member = MembershipFactory(team=team, email="dev@example.com", invited_by=owner)

    response = owner_client.get(f"{members_url}/{member.public_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Member retrieved successfully"
    assert body["data"]["id"] == member.public_id
    assert body["data"]["invitedBy"] == "owner@example.com"


def test_get_removed_member_answers_404(owner_client, team, members_url):
    member = MembershipFactory(team=team, status="removed")

    response = owner_client.get(f"{members_url}/{member.public_id}")

    assert response.status_code == 404
    message = "No member with this id was found in this team."
    assert error_of(response) == {
        "error": {"code": "not_found", "message": message},
        "message": message,
    }


def test_get_member_of_other_team_answers_404(owner, owner_client, members_url):
    other_team = TeamFactory(owner=owner)
    foreign = MembershipFactory(team=other_team)

    response = owner_client.get(f"{members_url}/{foreign.public_id}")

    assert response.status_code == 404


# Update


def test_update_changes_role_and_permissions(owner_client, team, members_url):
    member = MembershipFactory(team=team, role="user")

    response = owner_client.put(
        f"{members_url}/{member.public_id}",
        {"role": "manager", "permissions": ["team.read", "members.read"]},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Member updated successfully"
    assert body["data"]["role"] == "manager"
    assert body["data"]["permissions"] == ["team.read", "members.read"]
    event = Event.objects.get(type="member.updated")
    assert event.data["changes"] == {
        "role": "manager",
        "permissions": ["team.read", "members.read"],
    }


def test_update_with_null_permissions_restores_role_defaults(
    owner_client, team, members_url
):
    member = MembershipFactory(team=team, role="user", permissions=["team.read"])

    response = owner_client.put(
        f"{members_url}/{member.public_id}", {"permissions": None}, format="json"
    )

    assert response.json()["data"]["permissions"] == [
        "team.read",
        "payments.read",
        "invoices.read",
        "clients.read",
    ]
    member.refresh_from_db()
    assert member.permissions is None


def test_update_demotion_trims_explicit_permissions(owner_client, team, members_url):
    member = MembershipFactory(
        team=team, role="manager", permissions=["team.read", "members.invite"]
    )

    response = owner_client.patch(
        f"{members_url}/{member.public_id}", {"role": "user"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["permissions"] == ["team.read"]


def test_update_rejects_email(owner_client, team, members_url):
    member = MembershipFactory(team=team, email="dev@example.com")

    response = owner_client.put(
        f"{members_url}/{member.public_id}",
        {"email": "other@example.com"},
        format="json",
    )

    message = "email cannot be changed; remove this member and invite the new email."
    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid email: {message}", {"email": [message]}
    )
    member.refresh_from_db()
    assert member.email == "dev@example.com"


def test_update_rejects_permission_outside_new_role(owner_client, team, members_url):
    member = MembershipFactory(team=team, role="manager")

    response = owner_client.put(
        f"{members_url}/{member.public_id}",
        {"role": "developer", "permissions": ["members.invite"]},
        format="json",
    )

    message = (
        "members.invite is not within the developer role; choose a higher role or "
        "remove the permission."
    )
    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid permissions: {message}", {"permissions": [message]}
    )
    member.refresh_from_db()
    assert member.role == "manager"


def test_update_without_change_records_nothing(owner_client, team, members_url):
    member = MembershipFactory(team=team, role="user")

    response = owner_client.put(
        f"{members_url}/{member.public_id}", {"role": "user"}, format="json"
    )

    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="member.updated").exists()
    assert not Event.objects.filter(type="member.updated").exists()


# Remove


def test_delete_removes_active_member_and_keeps_row(owner_client, team, members_url):
    member = MembershipFactory(team=team)

    response = owner_client.delete(f"{members_url}/{member.public_id}")

    assert response.status_code == 200
    assert response.json() == {
        "data": {"id": member.public_id, "deleted": True},
        "message": "Member removed successfully",
    }
    member.refresh_from_db()
    assert member.status == "removed"
    assert member.removed_at is not None
    assert Event.objects.get(type="member.removed").data["status"] == "removed"


def test_delete_revokes_invitation(owner_client, team, members_url):
    member = MembershipFactory(team=team, status="invited")

    response = owner_client.delete(f"{members_url}/{member.public_id}")

    assert response.json()["message"] == "Invitation revoked successfully"
    assert AuditEntry.objects.filter(action="member.invitation_revoked").count() == 1


def test_delete_with_body_fields_changes_nothing(owner_client, team, members_url):
    member = MembershipFactory(team=team, status="invited")

    response = owner_client.delete(
        f"{members_url}/{member.public_id}", {"force": True}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["force"]
    member.refresh_from_db()
    assert member.status == "invited"


def test_resend_with_body_fields_changes_nothing(owner_client, team, members_url):
    member = MembershipFactory(team=team, status="invited")
    digest = member.invitation_token_digest

    response = owner_client.post(
        f"{members_url}/{member.public_id}/resend", {"foo": 1}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["foo"]
    member.refresh_from_db()
    assert member.invitation_token_digest == digest


def test_delete_twice_answers_404(owner_client, team, members_url):
    member = MembershipFactory(team=team)
    owner_client.delete(f"{members_url}/{member.public_id}")

    response = owner_client.delete(f"{members_url}/{member.public_id}")

    assert response.status_code == 404


def test_removed_member_loses_access_at_next_request(
    owner_client, team, members_url, make_key_client
):
    member = MembershipFactory(team=team, role="manager")
    member_client = make_key_client(member.user, team=team)
    assert member_client.get(members_url).status_code == 200

    owner_client.delete(f"{members_url}/{member.public_id}")

    assert member_client.get(members_url).status_code == 404


def test_demotion_takes_effect_at_next_request(
    owner_client, team, members_url, make_key_client
):
    member = MembershipFactory(team=team, role="manager")
    member_client = make_key_client(member.user)
    assert member_client.get(members_url).status_code == 200

    owner_client.put(
        f"{members_url}/{member.public_id}", {"role": "user"}, format="json"
    )

    assert member_client.get(members_url).status_code == 403


# Resend


def test_resend_issues_new_expiry_and_email(
    owner_client, team, members_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = post_invite(owner_client, members_url, INVITE_MEMBER_REQUEST)
    member_id = created.json()["data"]["id"]
    digest_before = Membership.objects.get(public_id=member_id).invitation_token_digest

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"{members_url}/{member_id}/resend")

    assert response.status_code == 200
    assert response.json()["message"] == "Invitation resent successfully"
    assert response.json()["data"]["id"] == member_id
    assert len(mail.outbox) == 2
    assert mail.outbox[0].body != mail.outbox[1].body
    digest_after = Membership.objects.get(public_id=member_id).invitation_token_digest
    assert digest_after != digest_before


def test_resend_to_active_member_answers_409(owner_client, team, members_url):
    member = MembershipFactory(team=team)

    response = owner_client.post(f"{members_url}/{member.public_id}/resend")

    message = "This member has already joined; only pending invitations can be resent."
    assert response.status_code == 409
    assert error_of(response) == {
        "error": {"code": "conflict", "message": message},
        "message": message,
    }


def test_schema_describes_every_member_field(owner_client, members_url):
    from members.api.schema import MemberOutput

    response = owner_client.get(members_url)

    assert list(MemberOutput().fields) == list(response.json()["data"][0])
