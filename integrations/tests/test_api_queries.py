"""List endpoints run a fixed number of queries, however many rows they return."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.events import event_publish
from integrations.models import Delivery, DeliveryAttempt
from integrations.tests.factories import IntegrationFactory
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dns")]


def count_queries(client, url):
    # The first request of a key also records its last use; warm it up so
    # that both measurements see the same fixed queries.
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def add_deliveries(integration, count):
    for _ in range(count):
        event = event_publish(team=integration.team, event_type="invoice.paid", data={})
        delivery = Delivery.objects.create(event=event, integration=integration)
        DeliveryAttempt.objects.create(
            delivery=delivery, attempted_at=delivery.created_at, status_code=500
        )


def test_integration_list_queries_do_not_grow(owner, owner_client):
    team = TeamFactory(owner=owner)
    url = f"/v2/connect/teams/{team.public_id}/integrations"
    IntegrationFactory(team=team)
    few = count_queries(owner_client, url)

    for _ in range(5):
        IntegrationFactory(team=team)
    many = count_queries(owner_client, url)

    assert many == few


def test_delivery_list_queries_do_not_grow(owner, owner_client):
    integration = IntegrationFactory(team=TeamFactory(owner=owner))
    url = (
        f"/v2/connect/teams/{integration.team.public_id}/integrations/"
        f"{integration.public_id}/deliveries"
    )
    add_deliveries(integration, 1)
    few = count_queries(owner_client, url)

    add_deliveries(integration, 5)
    many = count_queries(owner_client, url)

    assert many == few


def test_event_list_queries_do_not_grow(owner, owner_client):
    team = TeamFactory(owner=owner)
    url = f"/v2/connect/teams/{team.public_id}/events"
    few = count_queries(owner_client, url)

    for number in range(5):
        event_publish(team=team, event_type="invoice.paid", data={"n": number})
    many = count_queries(owner_client, url)

    assert many == few
