"""Bearer API keys: authentication, last use and the createapikey command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from members.keys import KEY_PREFIX, digest_api_key
from members.models import ApiKey
from members.services import api_key_create, api_key_revoke
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def body_without_request_id(response):
    return response.content.replace(response["X-Request-Id"].encode(), b"")


def test_unknown_and_revoked_keys_get_identical_401(owner, make_client):
    api_key, secret = api_key_create(user=owner, name="old")
    api_key_revoke(api_key=api_key)

    revoked = make_client(secret).get("/v2/connect/teams")
    unknown = make_client(KEY_PREFIX + "x" * 43).get("/v2/connect/teams")

    assert revoked.status_code == 401
    assert unknown.status_code == 401
    assert body_without_request_id(revoked) == body_without_request_id(unknown)
    assert revoked["WWW-Authenticate"] == unknown["WWW-Authenticate"]
    assert revoked.json()["error"] == {
        "code": "invalid_api_key",
        "message": "The API key is invalid or has been revoked.",
    }


def test_key_of_inactive_user_gets_401(owner, make_client):
    _api_key, secret = api_key_create(user=owner, name="k")
    owner.is_active = False
    owner.save()

    response = make_client(secret).get("/v2/connect/teams")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer \u00e9t\u00e9"])
def test_malformed_authorization_gets_401(client, header):
    response = client.get("/v2/connect/teams", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_other_scheme_gets_authentication_required(client):
    response = client.get("/v2/connect/teams", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_required"


@pytest.mark.parametrize(
    "key", ["sk_live_" + "x" * 40, KEY_PREFIX + "short", KEY_PREFIX + "x" * 40 + "!"]
)
def test_malformed_key_gets_401_without_query(
    make_client, django_assert_num_queries, key
):
    client = make_client(key)

    with django_assert_num_queries(0):
        response = client.get("/v2/connect/teams")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_key_is_stored_only_as_digest(owner):
    api_key, secret = api_key_create(user=owner, name="k")

    assert secret.startswith("ck_live_")
    assert len(secret) >= len("ck_live_") + 32
    assert api_key.key_digest == digest_api_key(secret)
    assert secret not in str(ApiKey.objects.values().get(pk=api_key.pk))


def test_last_used_at_is_written_at_most_once_a_minute(
    owner, make_client, django_assert_num_queries
):
    TeamFactory(owner=owner)
    api_key, secret = api_key_create(user=owner, name="k")
    client = make_client(secret)

    # The first request reads the key, writes its last use, counts and pages.
    with django_assert_num_queries(4):
        client.get("/v2/connect/teams")
    first_use = ApiKey.objects.get(pk=api_key.pk).last_used_at
    # Then it only reads the key and the page; the count is cached.
    with django_assert_num_queries(2):
        client.get("/v2/connect/teams")

    assert first_use is not None
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first_use


def test_last_used_at_is_written_again_after_a_minute(owner, make_client):
    api_key, secret = api_key_create(user=owner, name="k")
    long_ago = timezone.now() - timedelta(seconds=61)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=long_ago)

    make_client(secret).get("/v2/connect/teams")

    assert ApiKey.objects.get(pk=api_key.pk).last_used_at > long_ago


def run_createapikey(*args):
    out = StringIO()
    call_command("createapikey", *args, stdout=out)
    return out.getvalue().splitlines()


def test_createapikey_creates_user_and_working_key(make_client):
    lines = run_createapikey("new@example.com", "--name", "CI")

    secret = lines[-1]
    assert lines[0] == "Created user new@example.com."
    assert secret.startswith("ck_live_")
    user = get_user_model().objects.get(email="new@example.com")
    api_key = ApiKey.objects.get(user=user)
    assert api_key.name == "CI"
    assert api_key.team is None
    response = make_client(secret).post(
        "/v2/connect/teams", {"name": "From CLI"}, format="json"
    )
    assert response.status_code == 201


def test_createapikey_reuses_existing_user(owner):
    lines = run_createapikey("OWNER@example.com")

    assert not lines[0].startswith("Created user")
    assert ApiKey.objects.get().user == owner


def test_createapikey_team_limits_the_key(owner, make_client):
    team_a = TeamFactory(owner=owner)
    team_b = TeamFactory(owner=owner)

    secret = run_createapikey("owner@example.com", "--team", team_a.public_id)[-1]

    client = make_client(secret)
    listed = client.get("/v2/connect/teams").json()["data"]
    assert [team["id"] for team in listed] == [team_a.public_id]
    assert client.get(f"/v2/connect/teams/{team_b.public_id}").status_code == 404
    assert ApiKey.objects.get().team == team_a


def test_createapikey_rejects_team_of_another_user(owner, make_user):
    team = TeamFactory(owner=make_user())

    with pytest.raises(CommandError) as raised:
        run_createapikey("owner@example.com", "--team", team.public_id)

    assert str(raised.value) == (
        f"owner@example.com is not an active member of a team with id {team.public_id}."
    )
    assert not ApiKey.objects.exists()


def test_createapikey_rejects_invalid_email():
    with pytest.raises(CommandError) as raised:
        run_createapikey("not-an-email")

    assert str(raised.value) == "'not-an-email' is not a valid email address."


@pytest.mark.parametrize("name", ["", "   ", "n" * 101])
def test_createapikey_rejects_bad_name(name):
    with pytest.raises(CommandError) as raised:
        run_createapikey("new@example.com", "--name", name)

    assert str(raised.value) == "--name must be 1 to 100 characters long."
    assert not ApiKey.objects.exists()
    assert not get_user_model().objects.exists()
