"""Tenant isolation on every API endpoint, enumerated from the URL resolver.

For each endpoint, a caller outside the team must get the same 404 for an
existing object of another team as for an id that does not exist, and a
revoked key the same 401 as an unknown one, so nothing can be probed.
"""

import json
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from connect_site.ids import new_public_id
from members.invitations import digest_invitation_token
from members.models import Membership, MembershipStatus
from members.services import api_key_create, api_key_revoke
from teams.models import AuditEntry, Team
from teams.tests.factories import TeamFactory
from tests_reliability.endpoints import Endpoint, api_endpoints, team_page_routes

ENDPOINTS = api_endpoints()
TEAM_ENDPOINTS = [
    endpoint for endpoint in ENDPOINTS if "team_id" in endpoint.parameters
]
NESTED_ENDPOINTS = [
    endpoint for endpoint in TEAM_ENDPOINTS if len(endpoint.parameters) > 1
]
# Public id prefixes of each path parameter, for ids that do not exist.
ID_PREFIXES = {
    "team_id": "team",
    "member_id": "mbr",
    "integration_id": "intg",
    "delivery_id": "dlv",
    "event_id": "evt",
}


def key_client(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def send(client, endpoint, path):
    method = getattr(client, endpoint.method)
    if endpoint.method in {"post", "put", "patch"}:
        return method(path, data="{}", content_type="application/json")
    return method(path)


def without_request_id(response):
    # A fresh parse: the test client caches response.json(), and pop mutates.
    body = json.loads(response.content)
    assert body.pop("requestId") == response["X-Request-Id"]
    return body


def unknown_ids():
    return {
        name: new_public_id(ID_PREFIXES[name]) if name in ID_PREFIXES else "unknown"
        for name in [*ID_PREFIXES, "step_id"]
    }


class World:
    """Two tenants: the victim, with one object of each kind, and the attacker."""

    def __init__(self, make_user, settings, capture_on_commit):
        self.victim = make_user("victim@example.com")
        self.team = TeamFactory(owner=self.victim, name="Victim team")
        self.side_team = TeamFactory(owner=self.victim, name="Victim side team")
        _key, victim_secret = api_key_create(user=self.victim, name="victim")
        _key, limited_secret = api_key_create(
            user=self.victim, name="limited", team=self.side_team
        )
        self.limited_client = key_client(limited_secret)
        victim_client = key_client(victim_secret)

        self.attacker = make_user("attacker@example.com")
        self.attacker_team = TeamFactory(owner=self.attacker, name="Attacker team")
        _key, attacker_secret = api_key_create(user=self.attacker, name="attacker")
        self.attacker_client = key_client(attacker_secret)

        revoked_key, self.revoked_secret = api_key_create(
            user=self.attacker, name="revoked"
        )
        api_key_revoke(api_key=revoked_key)

        self.ids = unknown_ids()
        self.placeholder_ids = dict(self.ids)
        self.ids["team_id"] = self.team.public_id
        self.ids["member_id"] = Membership.objects.get(team=self.team).public_id
        settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = True
        created = victim_client.post(
            f"/v2/connect/teams/{self.team.public_id}/integrations",
            data={
                "name": "Victim hook",
                "configuration": {"url": "http://127.0.0.1:9/hook", "events": ["*"]},
            },
            format="json",
        )
        if created.status_code == 201:
            self.ids["integration_id"] = created.json()["data"]["id"]
            with capture_on_commit(execute=True):
                published = victim_client.post(
                    f"/v2/connect/teams/{self.team.public_id}/events",
                    data={"type": "payment.created", "data": {"amount": 100}},
                    format="json",
                )
            if published.status_code == 201:
                self.ids["event_id"] = published.json()["data"]["id"]
            from integrations.models import Delivery

            delivery = Delivery.objects.filter(
                integration__public_id=self.ids["integration_id"]
            ).first()
            if delivery is not None:
                self.ids["delivery_id"] = delivery.public_id

    def victim_state(self):
        return (
            Team.objects.filter(pk=self.team.pk, deleted_at__isnull=True).exists(),
            AuditEntry.objects.filter(team=self.team).count(),
            Membership.objects.filter(team=self.team, status="active").count(),
        )


@pytest.fixture
def world(make_user, settings, django_capture_on_commit_callbacks):
    return World(make_user, settings, django_capture_on_commit_callbacks)


def assert_same_404(endpoint, existing, unknown):
    assert existing.status_code == 404, (
        f"{endpoint} answered {existing.status_code} for another team's object"
    )
    assert unknown.status_code == 404, f"{endpoint} answered {unknown.status_code}"
    assert without_request_id(existing) == without_request_id(unknown)


@pytest.mark.django_db
def test_endpoints_are_enumerated():
    routes = {str(endpoint) for endpoint in ENDPOINTS}

    assert "GET /v2/connect/teams" in routes
    assert "GET /v2/connect/teams/<public_id:team_id>" in routes or (
        "GET /v2/connect/teams/<str:team_id>" in routes
    )
    assert len(TEAM_ENDPOINTS) >= 10


@pytest.mark.django_db
def test_victim_has_an_object_of_each_kind(world):
    fake = unknown_ids()

    real = {
        name
        for name in ID_PREFIXES
        if world.ids[name] != world.placeholder_ids[name]
        and world.ids[name] not in fake.values()
    }

    assert real == set(ID_PREFIXES)
    assert world.ids["team_id"] == world.team.public_id


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", TEAM_ENDPOINTS, ids=str)
def test_other_teams_object_is_404_like_unknown_id(endpoint, world):
    before = world.victim_state()

    unknown = send(world.attacker_client, endpoint, endpoint.path(unknown_ids()))
    existing = send(world.attacker_client, endpoint, endpoint.path(world.ids))

    assert_same_404(endpoint, existing, unknown)
    assert world.victim_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", TEAM_ENDPOINTS, ids=str)
def test_key_limited_to_another_team_is_404_like_unknown_id(endpoint, world):
    before = world.victim_state()

    unknown = send(world.limited_client, endpoint, endpoint.path(unknown_ids()))
    existing = send(world.limited_client, endpoint, endpoint.path(world.ids))

    assert_same_404(endpoint, existing, unknown)
    assert world.victim_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", NESTED_ENDPOINTS, ids=str)
def test_other_teams_object_under_own_team_is_404(endpoint, world):
    before = world.victim_state()
    own_team = {"team_id": world.attacker_team.public_id}

    unknown = send(
        world.attacker_client, endpoint, endpoint.path(unknown_ids() | own_team)
    )
    existing = send(
        world.attacker_client, endpoint, endpoint.path(world.ids | own_team)
    )

    assert_same_404(endpoint, existing, unknown)
    assert world.victim_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_revoked_key_gets_same_401_as_unknown_key(endpoint, world):
    path = endpoint.path(world.ids)

    revoked = send(key_client(world.revoked_secret), endpoint, path)
    unknown = send(key_client("ck_live_" + secrets.token_urlsafe(32)), endpoint, path)

    assert revoked.status_code == 401
    assert unknown.status_code == 401
    assert without_request_id(revoked) == without_request_id(unknown)
    assert without_request_id(revoked)["error"]["code"] == "invalid_api_key"
    assert revoked["WWW-Authenticate"] == unknown["WWW-Authenticate"]


@pytest.mark.django_db
def test_team_list_shows_only_callers_teams(world):
    attacker_ids = [
        team["id"]
        for team in world.attacker_client.get("/v2/connect/teams").json()["data"]
    ]
    limited_ids = [
        team["id"]
        for team in world.limited_client.get("/v2/connect/teams").json()["data"]
    ]

    assert attacker_ids == [world.attacker_team.public_id]
    assert limited_ids == [world.side_team.public_id]


@pytest.mark.django_db
def test_removed_member_loses_access_at_next_request(world, make_user):
    member = make_user("leaver@example.com")
    membership = Membership.objects.create(
        team=world.team,
        user=member,
        email=member.email,
        role="admin",
        status=MembershipStatus.ACTIVE,
    )
    _key, secret = api_key_create(user=member, name="leaver", team=world.team)
    client = key_client(secret)
    url = f"/v2/connect/teams/{world.team.public_id}"
    allowed = client.get(url)

    Membership.objects.filter(pk=membership.pk).update(status=MembershipStatus.REMOVED)
    refused = client.get(url)

    assert allowed.status_code == 200
    assert refused.status_code == 404
    assert without_request_id(refused)["error"]["code"] == "not_found"


def invitation(team, *, expires_at):
    token = secrets.token_urlsafe(32)
    membership = Membership.objects.create(
        team=team,
        email="invitee@example.com",
        role="user",
        status=MembershipStatus.INVITED,
        invited_at=timezone.now() - timedelta(days=8),
        invitation_token_digest=digest_invitation_token(token),
        invite_expires_at=expires_at,
    )
    return token, membership


@pytest.mark.django_db
def test_expired_invitation_token_is_refused(client, world):
    token, membership = invitation(
        world.team, expires_at=timezone.now() - timedelta(seconds=1)
    )

    shown = client.get(f"/invitations/{token}/")
    posted = client.post(
        f"/invitations/{token}/",
        {
            "name": "Late",
            "password1": "a-Long-passw0rd!",
            "password2": "a-Long-passw0rd!",
        },
    )

    assert shown.status_code == 410
    assert posted.status_code == 410
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.INVITED
    assert membership.user_id is None
    assert not Membership.objects.filter(
        team=world.team, email="invitee@example.com", status="active"
    ).exists()


@pytest.mark.django_db
def test_unknown_invitation_token_is_404(client, world):
    response = client.get(f"/invitations/{secrets.token_urlsafe(32)}/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_expired_invitation_page_does_not_leak_the_team_to_other_tokens(client, world):
    token, _membership = invitation(
        world.team, expires_at=timezone.now() - timedelta(seconds=1)
    )
    near_miss = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.get(f"/invitations/{near_miss}/")

    assert response.status_code == 404
    assert "Victim team" not in response.content.decode()
    assert json.dumps(world.team.public_id) not in response.content.decode()


PAGE_ROUTES = team_page_routes()


def page_path(route, ids):
    endpoint = Endpoint(route=route, method="get", view_name="", parameters=())
    return endpoint.path(ids)


@pytest.mark.django_db
def test_team_pages_are_enumerated():
    assert "teams/<str:team_id>/audit/" in PAGE_ROUTES
    assert len(PAGE_ROUTES) >= 5


@pytest.mark.django_db
@pytest.mark.parametrize("route", PAGE_ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_teams_page_is_404_like_unknown_id(client, world, route, method):
    client.force_login(world.attacker)
    before = world.victim_state()
    send_page = getattr(client, method)

    unknown = send_page(page_path(route, unknown_ids()))
    existing = send_page(page_path(route, world.ids))

    # A POST-only page gets 405 for a GET before any lookup, for any id.
    expected = 405 if unknown.status_code == 405 else 404
    assert existing.status_code == expected, f"{method.upper()} /{route}"
    assert unknown.status_code == expected, f"{method.upper()} /{route}"
    assert "Victim team" not in existing.content.decode()
    assert world.victim_state() == before


@pytest.mark.django_db
def test_other_users_api_key_cannot_be_revoked(client, world):
    from members.models import ApiKey

    victim_key = ApiKey.objects.filter(user=world.victim, name="victim").get()
    client.force_login(world.attacker)

    response = client.post(f"/account/api-keys/{victim_key.public_id}/revoke/")

    assert response.status_code == 404
    victim_key.refresh_from_db()
    assert victim_key.revoked_at is None
