"""Hosted onboarding links: creation through the API and single-use opening."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from connect_site.actors import Actor
from connect_site.api import errors
from connect_site.api.fields import format_timestamp
from onboarding.models import OnboardingLink
from onboarding.services import (
    onboarding_link_create,
    onboarding_link_finish,
    onboarding_link_for_session,
    onboarding_link_resolve,
)
from teams.models import AuditEntry
from teams.services import team_delete

pytestmark = pytest.mark.django_db

RETURN_URL = "https://app.example.com/onboarding/done"
URL_PATTERN = re.compile(
    r"^http://testserver\.example/onboarding/hosted/(?P<token>[A-Za-z0-9_-]{43})$"
)
NOT_FOUND = (
    "This onboarding link is invalid, expired or already used; ask the team for "
    "a new one."
)


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.CONNECT_BASE_URL = "http://testserver.example"
    settings.CONNECT_ONBOARDING_LINK_TTL_MINUTES = 30
    settings.CONNECT_ONBOARDING_SESSION_TTL_MINUTES = 120


def links_url(team):
    return f"/v2/connect/teams/{team.public_id}/onboarding/links"


def create_link(team, user):
    return onboarding_link_create(
        actor=Actor(user=user), team=team, return_url=RETURN_URL
    )


def test_link_create_answers_url_and_expiry(team, owner, owner_client):
    before = timezone.now()

    response = owner_client.post(
        links_url(team), {"returnUrl": RETURN_URL}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    link = OnboardingLink.objects.get(team=team)
    assert body == {
        "data": {
            "url": body["data"]["url"],
            "expiresAt": format_timestamp(link.expires_at),
        },
        "message": "Onboarding link created successfully",
    }
    token = URL_PATTERN.match(body["data"]["url"])["token"]
    assert link.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert link.return_url == RETURN_URL
    assert link.created_by == owner
    assert before + timedelta(minutes=30) <= link.expires_at
    assert link.expires_at <= timezone.now() + timedelta(minutes=30)


def test_link_create_is_audited(team, owner, owner_client):
    owner_client.post(links_url(team), {"returnUrl": RETURN_URL}, format="json")

    entry = AuditEntry.objects.get(action="onboarding.link_created")
    link = OnboardingLink.objects.get(team=team)
    assert entry.target_id == link.public_id
    assert entry.changes == {"returnUrl": RETURN_URL}


@pytest.mark.parametrize(
    "return_url",
    ["http://app.example.com/done", "http://127.0.0.1:9000/done", "ftp://x.example"],
)
def test_link_create_rejects_non_https_return_url(team, owner_client, return_url):
    response = owner_client.post(
        links_url(team), {"returnUrl": return_url}, format="json"
    )

    assert response.status_code == 400
    message = (
        "The return URL must start with https:// (http://127.0.0.1 and "
        "http://localhost are accepted only in development)."
    )
    body = response.json()
    assert body == {
        "error": {
            "code": "validation_error",
            "message": f"Invalid returnUrl: {message}",
            "fields": {"returnUrl": [message]},
        },
        "message": f"Invalid returnUrl: {message}",
        "requestId": body["requestId"],
    }
    assert not OnboardingLink.objects.exists()


@pytest.mark.parametrize(
    "return_url", ["http://127.0.0.1:9000/done", "http://localhost/done"]
)
def test_link_create_accepts_local_http_when_debug(
    team, owner_client, settings, return_url
):
    settings.DEBUG = True

    response = owner_client.post(
        links_url(team), {"returnUrl": return_url}, format="json"
    )

    assert response.status_code == 201


def test_link_create_requires_return_url(team, owner_client):
    response = owner_client.post(links_url(team), {}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "returnUrl": ["This field is required."]
    }


def test_link_create_rejects_unknown_field(team, owner_client):
    response = owner_client.post(
        links_url(team), {"returnUrl": RETURN_URL, "ttl": 60}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "ttl": ["Unknown field. Allowed fields: returnUrl."]
    }


def test_link_opens_once(team, owner):
    link, url = create_link(team, owner)
    token = url.rsplit("/", 1)[1]

    opened = onboarding_link_resolve(token=token)

    assert opened.pk == link.pk
    assert opened.opened_at is not None
    with pytest.raises(errors.NotFound) as caught:
        onboarding_link_resolve(token=token)
    assert caught.value.message == NOT_FOUND


def test_expired_link_does_not_open(team, owner):
    link, url = create_link(team, owner)
    OnboardingLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(errors.NotFound):
        onboarding_link_resolve(token=url.rsplit("/", 1)[1])

    assert OnboardingLink.objects.get(pk=link.pk).opened_at is None


@pytest.mark.parametrize("token", ["", "unknown-token", "x" * 500, None])
def test_unknown_token_does_not_open(token):
    with pytest.raises(errors.NotFound):
        onboarding_link_resolve(token=token)


def test_link_of_deleted_team_does_not_open(team, owner):
    _link, url = create_link(team, owner)
    team_delete(actor=Actor(user=owner), team=team)

    with pytest.raises(errors.NotFound):
        onboarding_link_resolve(token=url.rsplit("/", 1)[1])


def test_session_lasts_until_finish(team, owner):
    _link, url = create_link(team, owner)
    link = onboarding_link_resolve(token=url.rsplit("/", 1)[1])

    assert onboarding_link_for_session(link_id=link.pk).pk == link.pk
    assert onboarding_link_finish(link=link) == RETURN_URL
    with pytest.raises(errors.NotFound) as caught:
        onboarding_link_for_session(link_id=link.pk)
    assert caught.value.message == (
        "This onboarding session has ended; ask the team for a new link."
    )


def test_session_ends_after_its_lifetime(team, owner):
    _link, url = create_link(team, owner)
    link = onboarding_link_resolve(token=url.rsplit("/", 1)[1])
    OnboardingLink.objects.filter(pk=link.pk).update(
        opened_at=timezone.now() - timedelta(minutes=121)
    )

    with pytest.raises(errors.NotFound):
        onboarding_link_for_session(link_id=link.pk)


def test_unopened_link_has_no_session(team, owner):
    link, _url = create_link(team, owner)

    with pytest.raises(errors.NotFound):
        onboarding_link_for_session(link_id=link.pk)


def test_link_tokens_differ(team, owner):
    _first, first_url = create_link(team, owner)
    _second, second_url = create_link(team, owner)

    assert first_url != second_url
