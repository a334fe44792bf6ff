"""The schema's integration shapes match what the endpoints really return."""

import pytest

from integrations.events import event_publish
from integrations.models import Delivery
from integrations.tests.data import PAGE_INTEGRATION_REQUEST
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dns")]


@pytest.fixture
def schema(client):
    return client.get("/v2/connect/schema/?format=json").json()


def properties(schema, name):
    return set(schema["components"]["schemas"][name]["properties"])


def test_integration_component_matches_create_response(owner, owner_client, schema):
    team = TeamFactory(owner=owner)

    data = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/integrations",
        PAGE_INTEGRATION_REQUEST,
        format="json",
    ).json()["data"]

    assert set(data) == properties(schema, "Integration")
    assert set(data["configuration"]) == properties(schema, "IntegrationConfiguration")


def test_delivery_component_matches_detail(owner, owner_client, schema):
    team = TeamFactory(owner=owner)
    created = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/integrations",
        PAGE_INTEGRATION_REQUEST,
        format="json",
    ).json()["data"]
    event = event_publish(team=team, event_type="invoice.paid", data={})
    delivery = Delivery.objects.create(
        event=event, integration_id=team.integrations.get().pk
    )
    delivery.attempts.create(attempted_at=delivery.created_at, status_code=500)

    data = owner_client.get(
        f"/v2/connect/teams/{team.public_id}/deliveries/{delivery.public_id}"
    ).json()["data"]

    assert created["id"] == data["integrationId"]
    assert set(data) == properties(schema, "DeliveryDetail")
    assert set(data["attempts"][0]) == properties(schema, "DeliveryAttempt")


def test_event_components_match_responses(owner, owner_client, schema):
    team = TeamFactory(owner=owner)

    event = owner_client.get(f"/v2/connect/teams/{team.public_id}/events").json()
    event_type = owner_client.get("/v2/connect/event-types").json()

    assert set(event["data"][0]) == properties(schema, "Event")
    assert set(event_type["data"][0]) == properties(schema, "EventType")


def test_schema_lists_every_integrations_path(schema):
    paths = set(schema["paths"])

    assert {
        "/v2/connect/event-types",
        "/v2/connect/teams/{team_id}/events",
        "/v2/connect/teams/{team_id}/integrations",
        "/v2/connect/teams/{team_id}/integrations/{integration_id}",
        "/v2/connect/teams/{team_id}/integrations/{integration_id}/test",
        "/v2/connect/teams/{team_id}/integrations/{integration_id}/rotate-secret",
        "/v2/connect/teams/{team_id}/integrations/{integration_id}/recover",
        "/v2/connect/teams/{team_id}/integrations/{integration_id}/deliveries",
        "/v2/connect/teams/{team_id}/deliveries/{delivery_id}",
        "/v2/connect/teams/{team_id}/deliveries/{delivery_id}/retry",
    } <= paths
