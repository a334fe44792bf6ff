import threading

import pytest
from django.db import connection

from connect_site.actors import Actor
from connect_site.api.errors import PermissionDenied
from connect_site.tests.helpers import error_of
from members.errors import LastOwner
from members.models import Membership
from members.services import member_update
from members.tests.factories import MembershipFactory
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

ROLES = ["owner", "admin", "manager", "developer", "user"]

# Which roles each endpoint allows with the role's default permissions.
ALLOWED = {
    "list": {"owner", "admin", "manager", "developer"},
    "get": {"owner", "admin", "manager", "developer"},
    "invite": {"owner", "admin", "manager"},
    "resend": {"owner", "admin", "manager"},
    "update": {"owner", "admin", "manager"},
    "remove": {"owner", "admin", "manager"},
}
NEEDED_PERMISSION = {
    "list": "members.read",
    "get": "members.read",
    "invite": "members.invite",
    "resend": "members.invite",
    "update": "members.update",
    "remove": "members.remove",
}


def call_endpoint(client, endpoint, members_url, target):
    member_url = f"{members_url}/{target.public_id}"
    if endpoint == "list":
        return client.get(members_url)
    if endpoint == "get":
        return client.get(member_url)
    if endpoint == "invite":
        body = {"email": "new@example.com", "role": "user"}
        return client.post(members_url, body, format="json")
    if endpoint == "resend":
        return client.post(f"{member_url}/resend")
    if endpoint == "update":
        return client.put(member_url, {"permissions": ["team.read"]}, format="json")
    return client.delete(member_url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ALLOWED))
def test_permission_matrix(make_key_client, team, members_url, role, endpoint):
    caller = MembershipFactory(team=team, role=role, email=f"{role}@example.org")
    # The lowest role, invited, so that rank never decides the outcome.
    target = MembershipFactory(team=team, role="user", status="invited")

    response = call_endpoint(
        make_key_client(caller.user), endpoint, members_url, target
    )

    if role in ALLOWED[endpoint]:
        assert response.status_code in (200, 201), response.json()
    else:
        message = f"This action needs the {NEEDED_PERMISSION[endpoint]} permission."
        assert response.status_code == 403
        assert error_of(response) == {
            "error": {"code": "permission_denied", "message": message},
            "message": message,
        }


@pytest.mark.parametrize("endpoint", list(ALLOWED))
def test_non_member_gets_404_on_every_endpoint(
    make_user, make_key_client, team, members_url, endpoint
):
    target = MembershipFactory(team=team, status="invited")
    stranger = make_user("stranger@example.com")

    response = call_endpoint(make_key_client(stranger), endpoint, members_url, target)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("endpoint", list(ALLOWED))
def test_key_limited_to_other_team_gets_404(
    owner, make_key_client, team, members_url, endpoint
):
    other_team = TeamFactory(owner=owner)
    target = MembershipFactory(team=team, status="invited")

    response = call_endpoint(
        make_key_client(owner, team=other_team), endpoint, members_url, target
    )

    assert response.status_code == 404


def test_key_permissions_limit_the_member(owner, make_key_client, members_url):
    client = make_key_client(owner, permissions=["team.read"])

    response = client.get(members_url)

    assert response.status_code == 403
    assert response.json()["message"] == (
        "This action needs the members.read permission."
    )


def test_explicit_permissions_limit_the_member(make_key_client, team, members_url):
    caller = MembershipFactory(team=team, role="admin", permissions=["team.read"])

    response = make_key_client(caller.user).get(members_url)

    assert response.status_code == 403


# Escalation


def assert_denied(response, message):
    assert response.status_code == 403
    assert error_of(response) == {
        "error": {"code": "permission_denied", "message": message},
        "message": message,
    }


def client_for(make_key_client, team, role, **fields):
    member = MembershipFactory(team=team, role=role, **fields)
    return make_key_client(member.user)


def test_admin_cannot_invite_owner(make_key_client, team, members_url):
    client = client_for(make_key_client, team, "admin")

    response = client.post(
        members_url, {"email": "x@example.com", "role": "owner"}, format="json"
    )

    assert_denied(
        response,
        "You can assign only roles at or below your own (admin); owner is higher. "
        "Ask an owner to do it.",
    )
    assert not Membership.objects.filter(email="x@example.com").exists()


def test_manager_cannot_invite_admin(make_key_client, team, members_url):
    client = client_for(make_key_client, team, "manager")

    response = client.post(
        members_url, {"email": "x@example.com", "role": "admin"}, format="json"
    )

    assert_denied(
        response,
        "You can assign only roles at or below your own (manager); admin is higher. "
        "Ask an owner to do it.",
    )


def test_manager_cannot_grant_permission_it_lacks(make_key_client, team, members_url):
    client = client_for(make_key_client, team, "manager")

    response = client.post(
        members_url,
        {
            "email": "x@example.com",
            "role": "developer",
            "permissions": ["integrations.create"],
        },
        format="json",
    )

    assert_denied(
        response,
        "You can grant only permissions you hold yourself; you do not hold "
        "integrations.create.",
    )


def test_manager_cannot_invite_role_with_defaults_it_lacks(
    make_key_client, team, members_url
):
    client = client_for(make_key_client, team, "manager")

    response = client.post(
        members_url, {"email": "x@example.com", "role": "developer"}, format="json"
    )

    assert_denied(
        response,
        "You can grant only permissions you hold yourself; you do not hold "
        "integrations.create, integrations.update.",
    )


def test_key_limits_what_the_owner_can_grant(owner, make_key_client, members_url):
    client = make_key_client(
        owner, permissions=["members.invite", "team.read", "payments.read"]
    )

    response = client.post(
        members_url, {"email": "x@example.com", "role": "user"}, format="json"
    )

    assert_denied(
        response,
        "You can grant only permissions you hold yourself; you do not hold "
        "invoices.read, clients.read.",
    )


def test_admin_cannot_update_owner(
    make_key_client, team, members_url, owner_membership
):
    client = client_for(make_key_client, team, "admin")

    response = client.put(
        f"{members_url}/{owner_membership.public_id}", {"role": "user"}, format="json"
    )

    assert_denied(
        response,
        "You can manage only members at or below your own role (admin); this "
        "member is owner.",
    )
    owner_membership.refresh_from_db()
    assert owner_membership.role == "owner"


def test_admin_cannot_promote_to_owner(make_key_client, team, members_url):
    client = client_for(make_key_client, team, "admin")
    target = MembershipFactory(team=team, role="user")

    response = client.put(
        f"{members_url}/{target.public_id}", {"role": "owner"}, format="json"
    )

    assert_denied(
        response,
        "You can assign only roles at or below your own (admin); owner is higher. "
        "Ask an owner to do it.",
    )
    target.refresh_from_db()
    assert target.role == "user"


def test_manager_cannot_remove_admin(make_key_client, team, members_url):
    client = client_for(make_key_client, team, "manager")
    target = MembershipFactory(team=team, role="admin")

    response = client.delete(f"{members_url}/{target.public_id}")

    assert_denied(
        response,
        "You can manage only members at or below your own role (manager); this "
        "member is admin.",
    )
    target.refresh_from_db()
    assert target.status == "active"


def test_manager_cannot_resend_admin_invitation(make_key_client, team, members_url):
    client = client_for(make_key_client, team, "manager")
    target = MembershipFactory(team=team, role="admin", status="invited")

    response = client.post(f"{members_url}/{target.public_id}/resend")

    assert response.status_code == 403


def test_manager_cannot_grant_itself_more(make_key_client, team, members_url):
    caller = MembershipFactory(
        team=team, role="manager", permissions=["team.read", "members.update"]
    )

    response = make_key_client(caller.user).put(
        f"{members_url}/{caller.public_id}",
        {"permissions": ["team.read", "members.update", "payments.update"]},
        format="json",
    )

    assert_denied(
        response,
        "You can grant only permissions you hold yourself; you do not hold "
        "payments.update.",
    )


def test_update_may_keep_permissions_the_caller_lacks(
    make_key_client, team, members_url
):
    client = client_for(
        make_key_client,
        team,
        "manager",
        permissions=["team.read", "members.read", "members.update"],
    )
    target = MembershipFactory(team=team, role="user")

    response = client.put(
        f"{members_url}/{target.public_id}",
        {"permissions": ["team.read", "payments.read"]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["permissions"] == ["team.read", "payments.read"]


# Last owner


def assert_last_owner(response):
    message = "A team needs at least one active owner; make another member owner first."
    assert response.status_code == 409
    assert error_of(response) == {
        "error": {"code": "last_owner", "message": message},
        "message": message,
    }


def test_only_owner_cannot_demote_itself(owner_client, members_url, owner_membership):
    response = owner_client.put(
        f"{members_url}/{owner_membership.public_id}",
        {"role": "admin"},
        format="json",
    )

    assert_last_owner(response)
    owner_membership.refresh_from_db()
    assert owner_membership.role == "owner"


def test_only_owner_cannot_remove_itself(owner_client, members_url, owner_membership):
    response = owner_client.delete(f"{members_url}/{owner_membership.public_id}")

    assert_last_owner(response)
    owner_membership.refresh_from_db()
    assert owner_membership.status == "active"


def test_invited_owner_does_not_count(
    owner_client, team, members_url, owner_membership
):
    MembershipFactory(team=team, role="owner", status="invited")

    response = owner_client.put(
        f"{members_url}/{owner_membership.public_id}",
        {"role": "admin"},
        format="json",
    )

    assert_last_owner(response)


def test_owner_demotes_itself_while_another_owner_remains(
    owner_client, team, members_url, owner_membership
):
    MembershipFactory(team=team, role="owner")

    response = owner_client.put(
        f"{members_url}/{owner_membership.public_id}",
        {"role": "admin"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["role"] == "admin"


def test_owner_removes_another_owner_while_itself_remains(
    owner_client, team, members_url
):
    other = MembershipFactory(team=team, role="owner")

    response = owner_client.delete(f"{members_url}/{other.public_id}")

    assert response.status_code == 200


def test_invited_owner_can_be_revoked(owner_client, team, members_url):
    invited = MembershipFactory(team=team, role="owner", status="invited")

    response = owner_client.delete(f"{members_url}/{invited.public_id}")

    assert response.status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_owner_demotions_keep_one_owner(owner):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; set DATABASE_URL")
    team = TeamFactory(owner=owner)
    first = Membership.objects.get(team=team, user=owner)
    second = MembershipFactory(team=team, role="owner")
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor_member, target):
        try:
            barrier.wait(timeout=10)
            member_update(
                actor=Actor(user=actor_member.user),
                team=team,
                membership=target,
                role="admin",
            )
            outcomes.append("demoted")
        except (LastOwner, PermissionDenied):
            # The loser was demoted first: as an admin it may no longer
            # manage an owner, or it finds no other owner left.
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["demoted", "refused"]
    owners = Membership.objects.filter(team=team, role="owner", status="active")
    assert owners.count() == 1
