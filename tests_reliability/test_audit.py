import pytest
from django.urls import reverse

from members.models import Membership, MembershipStatus
from teams.models import AuditEntry
from teams.tests.factories import TeamFactory


def add_member(team, user, role):
    return Membership.objects.create(
        team=team,
        user=user,
        email=user.email,
        role=role,
        status=MembershipStatus.ACTIVE,
    )


def page_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner, name="Audited team")


@pytest.mark.django_db
def test_api_changes_write_audit_entries_with_key_id(owner, make_user):
    from rest_framework.test import APIClient

    from members.services import api_key_create

    api_key, secret = api_key_create(user=owner, name="audit key")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    team_id = client.post(
        "/v2/connect/teams", data={"name": "Via API"}, format="json"
    ).json()["data"]["id"]
    client.put(
        f"/v2/connect/teams/{team_id}", data={"industry": "Retail"}, format="json"
    )
    client.delete(f"/v2/connect/teams/{team_id}")

    entries = list(
        AuditEntry.objects.filter(team_public_id=team_id)
        .order_by("id")
        .values_list("action", "actor_email", "actor_api_key_id", "source", "target_id")
    )
    assert entries == [
        ("team.created", "owner@example.com", api_key.public_id, "api", team_id),
        ("team.updated", "owner@example.com", api_key.public_id, "api", team_id),
        ("team.deleted", "owner@example.com", api_key.public_id, "api", team_id),
    ]


@pytest.mark.django_db
def test_audit_page_lists_entries_for_owner(client, owner, team):
    response = page_client(client, owner).get(f"/teams/{team.public_id}/audit/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "team.created" in content
    assert team.public_id in content
    assert "owner@example.com" in content


@pytest.mark.django_db
def test_audit_page_allows_admin(client, team, make_user):
    admin_user = make_user("admin@example.com")
    add_member(team, admin_user, "admin")

    response = page_client(client, admin_user).get(f"/teams/{team.public_id}/audit/")

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "developer", "user"])
def test_audit_page_forbids_lower_roles(client, team, make_user, role):
    member = make_user(f"{role}@example.com")
    add_member(team, member, role)

    response = page_client(client, member).get(f"/teams/{team.public_id}/audit/")

    assert response.status_code == 403


@pytest.mark.django_db
def test_audit_page_is_404_for_other_teams_and_unknown_ids(client, team, make_user):
    stranger = make_user("stranger@example.com")
    TeamFactory(owner=stranger)
    logged_in = page_client(client, stranger)

    other_team = logged_in.get(f"/teams/{team.public_id}/audit/")
    unknown = logged_in.get("/teams/team_doesnotexist000000000/audit/")

    assert other_team.status_code == 404
    assert unknown.status_code == 404


@pytest.mark.django_db
def test_audit_page_needs_sign_in(client, team):
    response = client.get(f"/teams/{team.public_id}/audit/")

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('login')}?next=/teams/{team.public_id}/audit/"
    )


@pytest.mark.django_db
def test_audit_page_shows_only_its_team(client, owner, team):
    other = TeamFactory(owner=owner, name="Other team")

    response = page_client(client, owner).get(f"/teams/{team.public_id}/audit/")

    assert other.public_id not in response.content.decode()


@pytest.mark.django_db
def test_audit_entries_survive_team_row_deletion(owner, team):
    team_id = team.public_id
    AuditEntry.objects.filter(team=team).update(team=None)

    entry = AuditEntry.objects.get(team_public_id=team_id, action="team.created")

    assert entry.target_id == team_id
    assert entry.actor_email == "owner@example.com"
