"""Onboarding pages: the team's checklist and the hosted, token-linked pages."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from connect_site.actors import Actor
from members.models import Membership
from members.roles import Role
from onboarding.models import OnboardingLink, TeamStep
from onboarding.services import onboarding_link_create, onboarding_step_complete
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

TEAM_SETUP_FORM = {
    "step": "team_setup",
    "team_setup-legalName": "Escuela Kemper Urgate SA de CV",
    "team_setup-taxId": "EKU9003173C9",
    "team_setup-taxRegime": "601",
    "team_setup-postalCode": "06600",
}
PAYMENT_FORM = {
    "step": "payment_integration",
    "payment_integration-paymentProvider": "stripe",
    "payment_integration-webhookUrl": "https://team.example.com/webhooks/gigstack",
}
INVOICE_FORM = {
    "step": "invoice_configuration",
    "invoice_configuration-series": "fac",
    "invoice_configuration-folioStart": "1",
    "invoice_configuration-defaultPaymentForm": "03",
    "invoice_configuration-defaultCfdiUse": "G03",
}


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner, settings={"language": "en"})


@pytest.fixture
def web_client(client, owner):
    client.force_login(owner)
    return client


def step(team, step_id):
    return TeamStep.objects.get(team=team, step_id=step_id)


def test_checklist_lists_steps_with_forms_and_csrf(web_client, team):
    response = web_client.get(reverse("onboarding-checklist", args=[team.public_id]))

    body = response.content.decode()
    assert response.status_code == 200
    assert [row["step"].step_id for row in response.context["rows"]] == [
        "team_setup",
        "payment_integration",
        "client_setup",
        "invoice_configuration",
    ]
    assert body.count('name="csrfmiddlewaretoken"') == 5  # 4 steps + sign out
    assert '<label for="id_team_setup-legalName">Legal name</label>' in body


def test_checklist_completes_step_through_service(web_client, team, owner):
    response = web_client.post(
        reverse("onboarding-checklist", args=[team.public_id]), PAYMENT_FORM
    )

    assert response.status_code == 302
    row = step(team, "payment_integration")
    assert row.completed_at is not None
    assert row.completed_by == owner
    assert row.data == {
        "paymentProvider": "stripe",
        "webhookUrl": "https://team.example.com/webhooks/gigstack",
        "testMode": False,
    }


def test_checklist_shows_serializer_errors_in_form(web_client, team):
    form = {
        **TEAM_SETUP_FORM,
        "team_setup-taxId": "NOTANRFC",
        "team_setup-postalCode": "123",
    }

    response = web_client.post(
        reverse("onboarding-checklist", args=[team.public_id]), form
    )

    assert response.status_code == 400
    bound = response.context["rows"][0]["form"]
    assert set(bound.errors) == {"taxId", "postalCode"}
    assert bound.errors["postalCode"] == [
        "'123' is not a Mexican postal code; use its 5 digits, such as 06600."
    ]
    assert step(team, "team_setup").completed_at is None


def test_checklist_rejects_negative_clients_imported(web_client, team):
    response = web_client.post(
        reverse("onboarding-checklist", args=[team.public_id]),
        {"step": "client_setup", "client_setup-clientsImported": "-1"},
    )

    assert response.status_code == 400
    assert step(team, "client_setup").completed_at is None


def test_checklist_post_is_403_without_team_update(client, team, make_user):
    viewer = make_user()
    Membership.objects.create(
        team=team, user=viewer, email=viewer.email, role=Role.USER, status="active"
    )
    client.force_login(viewer)

    read = client.get(reverse("onboarding-checklist", args=[team.public_id]))
    write = client.post(
        reverse("onboarding-checklist", args=[team.public_id]), PAYMENT_FORM
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert step(team, "payment_integration").completed_at is None


def test_checklist_is_404_for_non_member(client, team, make_user):
    client.force_login(make_user())

    response = client.get(reverse("onboarding-checklist", args=[team.public_id]))

    assert response.status_code == 404


def test_hosted_token_exchanged_for_session(client, team, owner):
    _link, url = onboarding_link_create(
        actor=Actor(user=owner), team=team, return_url="https://platform.example/done"
    )
    path = url.removeprefix("http://127.0.0.1:8000")

    first = client.post(path)
    page = client.get(first["Location"])
    second_open = client.post(path)

    assert first.status_code == 302
    assert first["Location"] == "/onboarding/hosted/"
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert page["Content-Language"] == "en"
    assert second_open.status_code == 404


def test_hosted_redirects_to_return_url(client, team, owner):
    link, url = onboarding_link_create(
        actor=Actor(user=owner), team=team, return_url="https://platform.example/done"
    )
    client.post(url.removeprefix("http://127.0.0.1:8000"))
    hosted = reverse("onboarding-hosted")

    first = client.post(hosted, TEAM_SETUP_FORM)
    second = client.post(hosted, PAYMENT_FORM)
    last = client.post(hosted, INVOICE_FORM)
    after = client.get(hosted)

    assert first["Location"] == hosted
    assert second["Location"] == hosted
    assert last.status_code == 302
    assert last["Location"] == "https://platform.example/done"
    assert step(team, "invoice_configuration").data["series"] == "FAC"
    link.refresh_from_db()
    assert link.finished_at is not None
    assert after.status_code == 404


def test_hosted_page_shows_errors_and_branding(client, team, owner):
    team.branding = {"displayName": "Acme Pagos", "primaryColor": "#112233"}
    team.save()
    _link, url = onboarding_link_create(
        actor=Actor(user=owner), team=team, return_url="https://platform.example/done"
    )
    client.post(url.removeprefix("http://127.0.0.1:8000"))

    response = client.post(
        reverse("onboarding-hosted"),
        {**PAYMENT_FORM, "payment_integration-webhookUrl": "http://insecure.example"},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "The webhook URL must start with https://." in body
    assert "Acme Pagos" in body
    assert "--brand-primary: #112233;" in body
    assert step(team, "payment_integration").completed_at is None


def test_hosted_page_without_session_is_404(client):
    response = client.get(reverse("onboarding-hosted"))

    assert response.status_code == 404


def test_hosted_link_survives_a_preview_fetch(client, team, owner):
    link, url = onboarding_link_create(
        actor=Actor(user=owner), team=team, return_url="https://platform.example/done"
    )
    path = url.removeprefix("http://127.0.0.1:8000")

    preview = client.get(path)
    opened = client.post(path)

    assert preview.status_code == 200
    assert "Start onboarding" in preview.content.decode()
    link.refresh_from_db()
    assert opened.status_code == 302
    assert opened["Location"] == "/onboarding/hosted/"
    assert link.opened_at is not None


def test_hosted_unknown_token_is_404(client):
    response = client.get("/onboarding/hosted/not-a-real-token")

    assert response.status_code == 404
    assert OnboardingLink.objects.count() == 0


def test_hosted_finish_before_required_steps_stays(client, team, owner):
    onboarding_step_complete(
        actor=Actor(user=owner),
        team=team,
        step_id="client_setup",
        data={"clientsImported": 3},
    )
    _link, url = onboarding_link_create(
        actor=Actor(user=owner), team=team, return_url="https://platform.example/done"
    )
    client.post(url.removeprefix("http://127.0.0.1:8000"))

    response = client.post(reverse("onboarding-hosted-finish"))

    assert response["Location"] == reverse("onboarding-hosted")


def test_hosted_page_speaks_team_language(client, owner):
    spanish_team = TeamFactory(owner=owner)
    _link, url = onboarding_link_create(
        actor=Actor(user=owner),
        team=spanish_team,
        return_url="https://platform.example/done",
    )
    client.post(url.removeprefix("http://127.0.0.1:8000"), HTTP_ACCEPT_LANGUAGE="en")

    response = client.get(reverse("onboarding-hosted"), HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert response["Content-Language"] == "es"
    assert "Datos del equipo" in body
    assert '<label for="id_team_setup-legalName">Razón social</label>' in body


def test_checklist_shows_times_in_team_timezone(web_client, team):
    TeamStep.objects.filter(team=team, step_id="team_setup").update(
        completed_at=datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    )

    response = web_client.get(reverse("onboarding-checklist", args=[team.public_id]))

    assert "completed Jan. 15, 2024, 4:30 a.m." in response.content.decode()
