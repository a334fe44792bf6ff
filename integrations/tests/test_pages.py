"""Integration pages: create with the secret shown once, edit, test, rotate, retry."""

import pytest
from django.urls import reverse

from connect_site.actors import Actor
from connect_site.celery import app as celery_app
from integrations.models import Delivery, Integration
from integrations.secrets import decrypt_secret
from integrations.services import integration_create
from integrations.tests.receiver import WebhookReceiver
from members.models import Membership
from members.roles import Role
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

OWN_SECRET = "team_webhook_secret"


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner, settings={"language": "en"})


@pytest.fixture
def web_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def receiver(settings):
    settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = True
    settings.CONNECT_WEBHOOK_TIMEOUT = 2
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def eager_celery(settings):
    # Test sends run their task in-process, also when REDIS_URL is set.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def make_integration(team, owner, url="https://team.example.com/webhooks/payments"):
    integration, _secret = integration_create(
        actor=Actor(user=owner),
        team=team,
        data={
            "type": "webhook",
            "name": "Team Payment Notifications",
            "configuration": {
                "url": url,
                "events": ["payment.completed", "invoice.paid"],
                "secret": OWN_SECRET,
            },
            "isActive": True,
        },
    )
    return integration


def add_member(team, user, role):
    Membership.objects.create(
        team=team, user=user, email=user.email, role=role, status="active"
    )


def test_create_shows_generated_secret_once(web_client, team):
    response = web_client.post(
        reverse("integration-create", args=[team.public_id]),
        {
            "name": "Payments",
            "url": "https://team.example.com/webhooks/payments",
            "events": ["payment.completed", "invoice.paid"],
            "is_active": "on",
            "secret": "",
        },
    )

    integration = Integration.objects.get(team=team)
    secret = decrypt_secret(integration.secret_encrypted)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    assert integration.events == ["payment.completed", "invoice.paid"]
    detail = web_client.get(
        reverse("integration-detail", args=[team.public_id, integration.public_id])
    )
    assert secret not in detail.content.decode()
    assert secret[:10] + "…" in detail.content.decode()


def test_create_shows_validation_errors(web_client, team):
    response = web_client.post(
        reverse("integration-create", args=[team.public_id]),
        {"name": "Payments", "url": "https://team.example.com/x", "secret": "short"},
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["events"] == [
        'List at least one event type, or ["*"] for every type.'
    ]
    assert "secret" in errors
    assert not Integration.objects.exists()


def test_create_is_403_for_user_without_permission(client, team, make_user):
    manager = make_user()
    add_member(team, manager, Role.MANAGER)
    client.force_login(manager)

    listing = client.get(reverse("integration-list", args=[team.public_id]))
    create = client.get(reverse("integration-create", args=[team.public_id]))

    assert listing.status_code == 200
    assert create.status_code == 403


def test_list_is_404_for_non_member(client, team, make_user):
    client.force_login(make_user())

    response = client.get(reverse("integration-list", args=[team.public_id]))

    assert response.status_code == 404


def test_detail_of_other_teams_integration_is_404(web_client, owner, make_user):
    other_owner = make_user()
    other_team = TeamFactory(owner=other_owner)
    integration = make_integration(other_team, other_owner)
    my_team = TeamFactory(owner=owner)

    response = web_client.get(
        reverse("integration-detail", args=[my_team.public_id, integration.public_id])
    )

    assert response.status_code == 404


def test_edit_updates_name_and_events(web_client, team, owner):
    integration = make_integration(team, owner)

    response = web_client.post(
        reverse("integration-detail", args=[team.public_id, integration.public_id]),
        {
            "name": "Renamed",
            "url": integration.url,
            "events": ["*"],
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Renamed"
    assert integration.events == ["*"]


def test_rotate_shows_new_secret_once(web_client, team, owner):
    integration = make_integration(team, owner)

    response = web_client.post(
        reverse(
            "integration-rotate-secret", args=[team.public_id, integration.public_id]
        )
    )

    integration.refresh_from_db()
    new_secret = decrypt_secret(integration.secret_encrypted)
    assert response.status_code == 200
    assert new_secret != OWN_SECRET
    assert new_secret in response.content.decode()


def test_rotate_rejects_get(web_client, team, owner):
    integration = make_integration(team, owner)

    response = web_client.get(
        reverse(
            "integration-rotate-secret", args=[team.public_id, integration.public_id]
        )
    )

    assert response.status_code == 405


def test_send_test_records_delivery_and_attempt(
    web_client, team, owner, receiver, eager_celery, django_capture_on_commit_callbacks
):
    integration = make_integration(team, owner, url=receiver.url("/hook"))

    with django_capture_on_commit_callbacks(execute=True):
        response = web_client.post(
            reverse("integration-test", args=[team.public_id, integration.public_id])
        )
    page = web_client.get(response["Location"])

    delivery = Delivery.objects.get(integration=integration)
    assert response.status_code == 302
    assert delivery.event.type == "integration.test"
    assert delivery.status == "succeeded"
    assert delivery.public_id in page.content.decode()
    assert len(receiver.requests) == 1
    assert receiver.requests[0].verify(OWN_SECRET)

    detail = web_client.get(
        reverse("delivery-detail", args=[team.public_id, delivery.public_id])
    )
    assert detail.status_code == 200
    assert [attempt.status_code for attempt in detail.context["attempts"]] == [200]


def test_retry_sends_delivery_again(
    web_client, team, owner, receiver, eager_celery, django_capture_on_commit_callbacks
):
    integration = make_integration(team, owner, url=receiver.url("/hook"))
    with django_capture_on_commit_callbacks(execute=True):
        web_client.post(
            reverse("integration-test", args=[team.public_id, integration.public_id])
        )
    delivery = Delivery.objects.get(integration=integration)

    with django_capture_on_commit_callbacks(execute=True):
        response = web_client.post(
            reverse("delivery-retry", args=[team.public_id, delivery.public_id])
        )

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "delivery-detail", args=[team.public_id, delivery.public_id]
    )
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body


def test_delete_hides_integration(web_client, team, owner):
    integration = make_integration(team, owner)

    response = web_client.post(
        reverse("integration-delete", args=[team.public_id, integration.public_id])
    )

    assert response.status_code == 302
    listing = web_client.get(reverse("integration-list", args=[team.public_id]))
    assert listing.context["integrations"] == []
