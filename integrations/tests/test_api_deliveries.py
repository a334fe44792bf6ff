from datetime import timedelta

import pytest
from django.utils import timezone

from connect_site.api.fields import format_timestamp
from integrations.events import event_publish
from integrations.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Event,
    Integration,
    IntegrationStatus,
)
from integrations.tests.factories import IntegrationFactory, member_add
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dns")]


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner)


@pytest.fixture
def integration(team):
    return IntegrationFactory(team=team)


def make_delivery(integration, event_type="payment.completed", **fields):
    event = event_publish(team=integration.team, event_type=event_type, data={})
    return Delivery.objects.create(event=event, integration=integration, **fields)


def deliveries_url(integration):
    return (
        f"/v2/connect/teams/{integration.team.public_id}/integrations/"
        f"{integration.public_id}/deliveries"
    )


def delivery_url(delivery):
    return (
        f"/v2/connect/teams/{delivery.integration.team.public_id}/deliveries/"
        f"{delivery.public_id}"
    )


def expected_delivery(delivery):
    return {
        "id": delivery.public_id,
        "eventId": delivery.event.public_id,
        "eventType": delivery.event.type,
        "integrationId": delivery.integration.public_id,
        "status": delivery.status,
        "attemptCount": delivery.attempt_count,
        "nextAttemptAt": format_timestamp(delivery.next_attempt_at),
        "lastAttemptAt": format_timestamp(delivery.last_attempt_at),
        "lastStatusCode": delivery.last_status_code,
        "succeededAt": format_timestamp(delivery.succeeded_at),
        "createdAt": format_timestamp(delivery.created_at),
    }


def test_list_deliveries_newest_first(owner_client, integration):
    older = make_delivery(integration, "payment.created")
    newer = make_delivery(integration, "invoice.paid")

    response = owner_client.get(deliveries_url(integration))

    assert response.status_code == 200
    assert response.json() == {
        "data": [expected_delivery(newer), expected_delivery(older)],
        "message": "Deliveries retrieved successfully",
        "totalResults": 2,
        "hasMore": False,
        "next": None,
    }


def test_list_deliveries_filters_status_and_event_type(owner_client, integration):
    make_delivery(integration, "payment.created", status=DeliveryStatus.FAILED)
    wanted = make_delivery(integration, "invoice.paid", status=DeliveryStatus.FAILED)
    make_delivery(integration, "invoice.paid", status=DeliveryStatus.SUCCEEDED)

    response = owner_client.get(
        deliveries_url(integration) + "?status=failed&eventType=invoice.paid"
    )

    assert response.json()["data"] == [expected_delivery(wanted)]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("status=lost", "status", "Use one of: pending, succeeded, failed."),
        ("eventType=payment", "eventType", None),
        ("kind=x", "kind", None),
    ],
)
def test_list_deliveries_rejects_bad_filter(
    owner_client, integration, query, field, message
):
    response = owner_client.get(deliveries_url(integration) + "?" + query)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    if message:
        assert response.json()["error"]["fields"][field] == [message]


def test_list_deliveries_other_integration_only(owner_client, team, integration):
    other = IntegrationFactory(team=team)
    make_delivery(other)

    response = owner_client.get(deliveries_url(integration))

    assert response.json()["totalResults"] == 0


def test_delivery_detail_includes_attempts(owner_client, integration):
    delivery = make_delivery(
        integration,
        status=DeliveryStatus.PENDING,
        attempt_count=2,
        last_status_code=500,
    )
    first_at = timezone.now() - timedelta(minutes=5)
    DeliveryAttempt.objects.create(
        delivery=delivery,
        attempted_at=first_at,
        status_code=None,
        duration_ms=10000,
        error="Timed out after 10 s.",
    )
    DeliveryAttempt.objects.create(
        delivery=delivery,
        attempted_at=first_at + timedelta(seconds=5),
        status_code=500,
        duration_ms=42,
        response_body="oops",
    )

    response = owner_client.get(delivery_url(delivery))

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            **expected_delivery(delivery),
            "attempts": [
                {
                    "attemptedAt": format_timestamp(first_at),
                    "statusCode": None,
                    "durationMs": 10000,
                    "responseBody": "",
                    "error": "Timed out after 10 s.",
                },
                {
                    "attemptedAt": format_timestamp(first_at + timedelta(seconds=5)),
                    "statusCode": 500,
                    "durationMs": 42,
                    "responseBody": "oops",
                    "error": None,
                },
            ],
        },
        "message": "Delivery retrieved successfully",
    }


def test_delivery_of_other_team_is_404(owner_client, team, make_user):
    other_team = TeamFactory(owner=make_user())
    delivery = make_delivery(IntegrationFactory(team=other_team))

    response = owner_client.get(
        f"/v2/connect/teams/{team.public_id}/deliveries/{delivery.public_id}"
    )

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "No delivery with this id was found.",
    }


def test_retry_makes_failed_delivery_pending(owner_client, integration):
    delivery = make_delivery(integration, status=DeliveryStatus.FAILED, attempt_count=7)

    response = owner_client.post(delivery_url(delivery) + "/retry")

    delivery.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "data": {**expected_delivery(delivery), "attempts": []},
        "message": "Delivery queued for retry successfully",
    }
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempt_count == 7
    assert delivery.next_attempt_at is not None


def test_retry_while_sending_is_409(owner_client, integration):
    delivery = make_delivery(
        integration, locked_until=timezone.now() + timedelta(seconds=30)
    )

    response = owner_client.post(delivery_url(delivery) + "/retry")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_retry_of_disabled_integration_is_409(owner_client, integration):
    delivery = make_delivery(integration, status=DeliveryStatus.FAILED)
    Integration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.DISABLED, disabled_reason="The endpoint sent 410 Gone."
    )

    response = owner_client.post(delivery_url(delivery) + "/retry")

    delivery.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "This integration is disabled (The endpoint sent 410 Gone). Fix the "
        "endpoint, then re-enable it with isActive: true."
    )
    assert delivery.status == DeliveryStatus.FAILED


def test_retry_needs_integrations_update(team, integration, make_user, make_key_client):
    delivery = make_delivery(integration, status=DeliveryStatus.FAILED)
    manager = make_user()
    member_add(team=team, user=manager, role="manager")

    response = make_key_client(manager).post(delivery_url(delivery) + "/retry")

    assert response.status_code == 403


def test_send_test_reaches_only_this_integration(owner_client, team, integration):
    catch_all = IntegrationFactory(team=team, events=["*"])

    response = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/integrations/{integration.public_id}/test"
    )

    event = Event.objects.get(type="integration.test")
    delivery = Delivery.objects.get(event=event)
    assert response.status_code == 200
    assert response.json() == {
        "data": expected_delivery(delivery),
        "message": "Test event queued successfully",
    }
    assert delivery.integration == integration
    assert not Delivery.objects.filter(integration=catch_all).exists()
    assert event.data == {
        "integrationId": integration.public_id,
        "message": "This is a test event sent from Connect.",
    }


def test_send_test_of_inactive_integration_is_409(owner_client, team):
    inactive = IntegrationFactory(team=team, is_active=False)

    response = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/integrations/{inactive.public_id}/test"
    )

    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "This integration is inactive; set isActive to true to send to it."
    )
    assert not Event.objects.filter(type="integration.test").exists()


def test_recover_requeues_failed_since(owner_client, integration):
    old = make_delivery(integration, status=DeliveryStatus.FAILED)
    Delivery.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    recent = make_delivery(integration, status=DeliveryStatus.FAILED)
    succeeded = make_delivery(integration, status=DeliveryStatus.SUCCEEDED)
    since = timezone.now() - timedelta(days=1)

    response = owner_client.post(
        f"/v2/connect/teams/{integration.team.public_id}/integrations/"
        f"{integration.public_id}/recover",
        {"since": format_timestamp(since)},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "data": {"integrationId": integration.public_id, "queued": 1},
        "message": "Failed deliveries queued again successfully",
    }
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses[old.pk] == DeliveryStatus.FAILED
    assert statuses[recent.pk] == DeliveryStatus.PENDING
    assert statuses[succeeded.pk] == DeliveryStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Give the time from which failed deliveries are re-sent."),
        (
            {"since": "yesterday"},
            "Use an ISO 8601 time such as 2024-01-15T10:30:00.000Z.",
        ),
        ({"since": "2999-01-01T00:00:00Z"}, "since is in the future; use a past time."),
    ],
)
def test_recover_rejects_bad_since(owner_client, integration, body, message):
    response = owner_client.post(
        f"/v2/connect/teams/{integration.team.public_id}/integrations/"
        f"{integration.public_id}/recover",
        body,
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"since": [message]}
