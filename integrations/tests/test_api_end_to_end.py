"""From the API to a real receiver on 127.0.0.1, through the delivery engine."""

import json
import socket

import httpcore
import pytest

from connect_site.celery import app as celery_app
from integrations.tests.data import PAGE_INTEGRATION_REQUEST
from integrations.tests.receiver import WebhookReceiver
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dns")]


@pytest.fixture
def receiver(settings):
    settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = True
    settings.CONNECT_WEBHOOK_TIMEOUT = 2
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def eager_celery(settings):
    # The send runs in-process, also when REDIS_URL is set.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner)


def create_page_integration(client, team, url):
    body = json.loads(json.dumps(PAGE_INTEGRATION_REQUEST))
    body["configuration"]["url"] = url
    response = client.post(
        f"/v2/connect/teams/{team.public_id}/integrations", body, format="json"
    )
    assert response.status_code == 201
    return response.json()["data"]


@pytest.mark.usefixtures("eager_celery")
def test_published_event_reaches_receiver_signed(
    owner_client, team, receiver, django_capture_on_commit_callbacks
):
    create_page_integration(owner_client, team, receiver.url("/hook"))

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"/v2/connect/teams/{team.public_id}/events",
            {"type": "payment.completed", "data": {"id": "pay_1", "amount": 150}},
            format="json",
        )

    event = response.json()["data"]
    (request,) = receiver.wait_for(1, path="/hook")
    assert json.loads(request.body) == {
        "id": event["id"],
        "type": "payment.completed",
        "timestamp": event["createdAt"],
        "teamId": team.public_id,
        "data": {"id": "pay_1", "amount": 150},
    }
    assert request.headers["webhook-id"] == event["id"]
    assert request.verify("team_webhook_secret")


@pytest.mark.usefixtures("eager_celery")
def test_unsubscribed_event_is_not_sent(
    owner_client, team, receiver, django_capture_on_commit_callbacks
):
    create_page_integration(owner_client, team, receiver.url("/hook"))

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            f"/v2/connect/teams/{team.public_id}/events",
            {"type": "client.created", "data": {"id": "cli_1"}},
            format="json",
        )

    assert receiver.received() == []


@pytest.mark.usefixtures("eager_celery")
def test_test_endpoint_delivers_and_logs_attempt(
    owner_client, team, receiver, django_capture_on_commit_callbacks
):
    integration = create_page_integration(owner_client, team, receiver.url("/hook"))
    base = f"/v2/connect/teams/{team.public_id}"

    with django_capture_on_commit_callbacks(execute=True):
        queued = owner_client.post(f"{base}/integrations/{integration['id']}/test")
    detail = owner_client.get(f"{base}/deliveries/{queued.json()['data']['id']}")

    (request,) = receiver.wait_for(1, path="/hook")
    body = json.loads(request.body)
    delivery = detail.json()["data"]
    assert body["type"] == "integration.test"
    assert body["data"] == {
        "integrationId": integration["id"],
        "message": "This is a test event sent from Connect.",
    }
    assert request.verify("team_webhook_secret")
    assert delivery["status"] == "succeeded"
    assert delivery["attemptCount"] == 1
    assert delivery["lastStatusCode"] == 200
    assert [attempt["statusCode"] for attempt in delivery["attempts"]] == [200]


@pytest.mark.usefixtures("eager_celery")
def test_rebinding_to_metadata_is_not_sent(
    owner_client, team, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = False
    # team.example.com does not resolve when the integration is saved ...
    integration = create_page_integration(
        owner_client, team, "https://team.example.com/webhooks/payments"
    )
    # ... and later resolves to the metadata address.
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *args, **kwargs: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))
        ],
    )
    connects = []

    def refuse(self, host, port, **kwargs):
        connects.append((host, port))
        raise httpcore.ConnectError("connections are refused in this test")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", refuse)
    base = f"/v2/connect/teams/{team.public_id}"

    with django_capture_on_commit_callbacks(execute=True):
        queued = owner_client.post(f"{base}/integrations/{integration['id']}/test")
    detail = owner_client.get(f"{base}/deliveries/{queued.json()['data']['id']}")

    delivery = detail.json()["data"]
    assert connects == []
    assert delivery["status"] == "failed"
    assert delivery["attempts"][0]["statusCode"] is None
    assert delivery["attempts"][0]["error"] == (
        "ForbiddenAddress: The host team.example.com resolves to the forbidden "
        "address 169.254.169.254."
    )
