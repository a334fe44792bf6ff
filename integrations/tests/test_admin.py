import pytest
from django.urls import reverse

from integrations.events import event_publish
from integrations.models import Delivery, DeliveryStatus, Integration, IntegrationStatus
from integrations.secrets import decrypt_secret
from integrations.tests.factories import IntegrationFactory
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dns")]


@pytest.fixture
def integration(owner):
    return IntegrationFactory(
        team=TeamFactory(owner=owner), secret="team_webhook_secret"
    )


def test_integration_page_hides_secret(admin_client, integration):
    url = reverse("admin:integrations_integration_change", args=[integration.pk])

    response = admin_client.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert integration.public_id in page
    assert "team_webhook_secret" not in page
    assert integration.secret_encrypted not in page
    assert decrypt_secret(integration.secret_encrypted) == "team_webhook_secret"


@pytest.mark.parametrize(
    "name", ["integration", "event", "delivery", "deliveryattempt"]
)
def test_changelists_load(admin_client, integration, name):
    response = admin_client.get(reverse(f"admin:integrations_{name}_changelist"))

    assert response.status_code == 200


def test_reenable_action(admin_client, integration):
    Integration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.DISABLED, disabled_reason="410 Gone"
    )

    response = admin_client.post(
        reverse("admin:integrations_integration_changelist"),
        {"action": "reenable", "_selected_action": [integration.pk]},
    )

    integration.refresh_from_db()
    assert response.status_code == 302
    assert integration.status == IntegrationStatus.ACTIVE


def test_retry_action(admin_client, integration):
    event = event_publish(team=integration.team, event_type="invoice.paid", data={})
    delivery = Delivery.objects.create(
        event=event, integration=integration, status=DeliveryStatus.FAILED
    )

    admin_client.post(
        reverse("admin:integrations_delivery_changelist"),
        {"action": "retry", "_selected_action": [delivery.pk]},
    )

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_delivery_page_shows_attempts(admin_client, integration):
    event = event_publish(team=integration.team, event_type="invoice.paid", data={})
    delivery = Delivery.objects.create(event=event, integration=integration)
    delivery.attempts.create(
        attempted_at=delivery.created_at, status_code=503, response_body="busy"
    )

    response = admin_client.get(
        reverse("admin:integrations_delivery_change", args=[delivery.pk])
    )

    assert response.status_code == 200
    assert "busy" in response.content.decode()
