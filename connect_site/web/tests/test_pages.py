"""Account pages: sign-in with its throttle, password reset, API keys."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from members.models import ApiKey
from members.services import api_key_create
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(make_user):
    return make_user("ana@example.com", password=PASSWORD)


@pytest.fixture
def web_client(client, person):
    client.force_login(person)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def sign_in(client, password):
    return client.post(
        reverse("login"),
        {"username": "ana@example.com", "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_login_page_has_labels_and_csrf(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in body
    assert '<label for="id_username">' in body
    assert '<label for="id_password">' in body


def test_login_redirects_to_my_teams(client, person):
    response = sign_in(client, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/teams/"


def test_login_email_ignores_case(client, person):
    response = client.post(
        reverse("login"), {"username": " Ana@Example.COM ", "password": PASSWORD}
    )

    assert response.status_code == 302


def test_login_is_throttled_after_five_failures(client, person):
    for _attempt in range(5):
        failed = sign_in(client, "wrong password")
        assert failed.status_code == 200

    blocked = sign_in(client, PASSWORD)

    assert blocked.status_code == 200
    assert blocked.context["form"].non_field_errors() == [
        "Too many failed sign-in attempts. Wait 15 minutes and try again, "
        "or reset your password."
    ]
    assert "_auth_user_id" not in client.session


def test_login_throttle_is_per_ip_address(client, person):
    for _attempt in range(5):
        sign_in(client, "wrong password")
    other_ip = Client(REMOTE_ADDR="127.0.0.2")

    response = sign_in(other_ip, PASSWORD)

    assert response.status_code == 302


def test_logout_needs_post(web_client):
    response = web_client.get(reverse("logout"))

    assert response.status_code == 405


def test_password_reset_sends_link_that_works_once(client, person, mailoutbox):
    client.post(reverse("password_reset"), {"email": "ana@example.com"})
    link = next(
        line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line
    )
    path = link.split("://", 1)[1].split("/", 1)[1]

    form_page = client.get("/" + path)
    saved = client.post(
        form_page["Location"],
        {
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )
    again = client.get("/" + path, follow=True)

    assert len(mailoutbox) == 1
    assert form_page.status_code == 302
    assert "set-password" in form_page["Location"]
    assert saved.status_code == 302
    assert again.context["validlink"] is False
    person.refresh_from_db()
    assert person.check_password("another long passphrase")


def test_api_key_create_shows_secret_once(web_client, person):
    response = web_client.post(reverse("api-key-list"), {"name": "Billing", "team": ""})

    key = ApiKey.objects.get(user=person)
    secret = response.context["created_secret"]
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert secret.startswith("ck_live_")
    assert secret in response.content.decode()
    assert key.name == "Billing"
    assert key.team is None
    listing = web_client.get(reverse("api-key-list"))
    assert secret not in listing.content.decode()
    assert key.prefix in listing.content.decode()


def test_api_key_limited_to_one_of_my_teams(web_client, person):
    team = TeamFactory(owner=person)

    web_client.post(
        reverse("api-key-list"), {"name": "Team key", "team": team.public_id}
    )

    assert ApiKey.objects.get(user=person).team == team


def test_api_key_limited_to_some_permissions(web_client, person, make_client):
    team = TeamFactory(owner=person)

    response = web_client.post(
        reverse("api-key-list"),
        {"name": "Read only", "team": "", "permissions": ["team.read"]},
    )

    assert ApiKey.objects.get(user=person).permissions == ["team.read"]
    client = make_client(response.context["created_secret"])
    url = f"/v2/connect/teams/{team.public_id}"
    assert client.get(url).status_code == 200
    assert client.put(url, {"name": "Renamed"}, format="json").status_code == 403


def test_api_key_unknown_permission_rejected(web_client):
    response = web_client.post(
        reverse("api-key-list"),
        {"name": "Odd", "team": "", "permissions": ["everything"]},
    )

    assert response.status_code == 400
    assert "permissions" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_api_key_limit_to_foreign_team_rejected(web_client, make_user):
    other_team = TeamFactory(owner=make_user())

    response = web_client.post(
        reverse("api-key-list"), {"name": "Sneaky", "team": other_team.public_id}
    )

    assert response.status_code == 400
    assert "team" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_api_key_blank_name_is_rejected(web_client):
    response = web_client.post(reverse("api-key-list"), {"name": "   ", "team": ""})

    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This field is required."]


def test_api_key_revoke_sets_revoked_at(web_client, person):
    key, _secret = api_key_create(user=person, name="Old")

    response = web_client.post(reverse("api-key-revoke", args=[key.public_id]))

    key.refresh_from_db()
    assert response.status_code == 302
    assert key.revoked_at is not None


def test_api_key_revoke_foreign_key_is_404(web_client, make_user):
    key, _secret = api_key_create(user=make_user(), name="Theirs")

    response = web_client.post(reverse("api-key-revoke", args=[key.public_id]))

    key.refresh_from_db()
    assert response.status_code == 404
    assert key.revoked_at is None


def test_language_switch_sets_cookie(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/accounts/login/"}
    )

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
