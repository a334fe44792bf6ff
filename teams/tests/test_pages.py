"""Team pages: my teams, create a team, settings and branding."""

import pytest
from django.urls import reverse

from connect_site.actors import Actor
from members.models import Membership
from members.roles import Role
from teams.models import Team
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

CREATE_FORM = {
    "name": "Development Team Alpha",
    "description": "Main development team for Project Alpha",
    "industry": "Technology",
    "team_size": "10-50",
    "country": "MX",
    "currency": "",
    "timezone": "America/Mexico_City",
    "language": "es",
    "fiscal_year": "calendar",
}


def settings_form(team, **changes):
    form = {
        "name": team.name,
        "description": team.description,
        "industry": team.industry,
        "team_size": team.team_size,
        "country": team.country,
        "currency": team.currency,
        "timezone": team.timezone,
        "language": team.language,
        "fiscal_year": team.fiscal_year,
        "display_name": "",
        "logo_url": "",
        "primary_color": "",
        "accent_color": "",
        "email_from_name": "",
        "reply_to_email": "",
        "support_email": "",
        "footer_text": "",
    }
    form.update(changes)
    return form


def add_member(team, user, role):
    return Membership.objects.create(
        team=team, user=user, email=user.email, role=role, status="active"
    )


@pytest.fixture
def web_client(client, owner):
    client.force_login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_team_list_redirects_anonymous_to_login(client):
    response = client.get(reverse("team-list"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/teams/"


def test_team_list_shows_only_my_teams_with_progress(web_client, owner, make_user):
    mine = TeamFactory(owner=owner, name="Mine")
    TeamFactory(owner=make_user(), name="Someone else's")

    response = web_client.get(reverse("team-list"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Mine" in body
    assert "Someone else&#x27;s" not in body
    assert reverse("onboarding-checklist", args=[mine.public_id]) in body
    assert 'aria-valuenow="0"' in body


def test_team_list_query_count_does_not_grow(web_client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    TeamFactory(owner=owner)
    with CaptureQueriesContext(connection) as one_team:
        web_client.get(reverse("team-list"))
    TeamFactory(owner=owner)
    TeamFactory(owner=owner)

    with CaptureQueriesContext(connection) as three_teams:
        response = web_client.get(reverse("team-list"))

    assert len(response.context["rows"]) == 3
    assert len(three_teams.captured_queries) == len(one_team.captured_queries)


def test_team_list_speaks_spanish_by_default(client, owner):
    client.force_login(owner)

    response = client.get(reverse("team-list"))

    assert "Mis equipos" in response.content.decode()


def test_team_create_page_has_csrf_token(web_client):
    response = web_client.get(reverse("team-create"))

    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_team_create_makes_owner_and_redirects_to_onboarding(web_client, owner):
    response = web_client.post(reverse("team-create"), CREATE_FORM)

    team = Team.objects.get(name="Development Team Alpha")
    assert response.status_code == 302
    assert response["Location"] == f"/teams/{team.public_id}/onboarding/"
    assert team.currency == "MXN"
    assert team.team_size == "10-50"
    membership = Membership.objects.get(team=team)
    assert membership.user == owner
    assert membership.role == Role.OWNER


def test_team_create_shows_serializer_errors(web_client):
    form = {**CREATE_FORM, "name": "x" * 121, "country": "ZZ", "currency": "XXY"}

    response = web_client.post(reverse("team-create"), form)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["name"] == ["Ensure this field has no more than 120 characters."]
    assert list(errors) == ["name", "country", "currency"]
    assert not Team.objects.exists()


def test_team_create_requires_csrf(owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(reverse("team-create"), CREATE_FORM)

    assert response.status_code == 403
    assert not Team.objects.exists()


def test_settings_saves_branding_through_team_update(web_client, owner):
    team = TeamFactory(owner=owner)
    form = settings_form(
        team,
        display_name="Acme Pagos",
        primary_color="#112233",
        footer_text="Acme S.A. de C.V.",
    )

    response = web_client.post(reverse("team-settings", args=[team.public_id]), form)

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.branding == {
        "displayName": "Acme Pagos",
        "primaryColor": "#112233",
        "footerText": "Acme S.A. de C.V.",
    }
    assert team.audit_entries.filter(action="team.updated", source="web").exists()


def test_settings_page_applies_branding_to_layout(web_client, owner):
    team = TeamFactory(
        owner=owner,
        branding={
            "displayName": "Acme Pagos",
            "primaryColor": "#112233",
            "accentColor": "#445566",
            "footerText": "Acme S.A. de C.V.",
        },
    )

    response = web_client.get(reverse("team-settings", args=[team.public_id]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "--brand-primary: #112233; --brand-accent: #445566;" in body
    assert "Acme S.A. de C.V." in body
    assert '<html lang="es">' in body


def test_settings_rejects_bad_colour_and_changes_nothing(web_client, owner):
    team = TeamFactory(owner=owner)

    response = web_client.post(
        reverse("team-settings", args=[team.public_id]),
        settings_form(team, primary_color="red", logo_url="http://logo.example/x.png"),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "primary_color" in errors
    assert "logo_url" in errors
    team.refresh_from_db()
    assert team.branding == {}


def test_settings_preview_renders_email_without_saving(web_client, owner):
    team = TeamFactory(owner=owner, settings={"language": "en"})
    form = settings_form(team, display_name="Preview Co", email_from_name="Preview")

    response = web_client.post(
        reverse("team-settings", args=[team.public_id]), {**form, "preview": "1"}
    )

    assert response.status_code == 200
    assert response.context["email_preview"]["from_name"] == "Preview"
    assert "Preview Co" in response.context["email_preview"]["html"]
    assert 'sandbox srcdoc="&lt;!doctype html&gt;' in response.content.decode()
    team.refresh_from_db()
    assert team.branding == {}


def test_settings_is_404_for_non_member(client, make_user, owner):
    team = TeamFactory(owner=owner)
    client.force_login(make_user())

    response = client.get(reverse("team-settings", args=[team.public_id]))

    assert response.status_code == 404


def test_settings_post_is_403_without_team_update(client, make_user, owner):
    team = TeamFactory(owner=owner)
    viewer = make_user()
    add_member(team, viewer, Role.USER)
    client.force_login(viewer)

    read = client.get(reverse("team-settings", args=[team.public_id]))
    write = client.post(
        reverse("team-settings", args=[team.public_id]),
        settings_form(team, name="Renamed"),
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert "team.update" in write.content.decode()
    team.refresh_from_db()
    assert team.name != "Renamed"


def test_settings_of_deleted_team_is_404(web_client, owner):
    from teams.services import team_delete

    team = TeamFactory(owner=owner)
    team_delete(actor=Actor(user=owner), team=team)

    response = web_client.get(reverse("team-settings", args=[team.public_id]))

    assert response.status_code == 404
