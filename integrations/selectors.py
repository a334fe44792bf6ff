"""Reads of integrations, deliveries and events, scoped to one team."""

from connect_site.api import errors
from integrations.models import Delivery, Event, Integration


def integrations_for_team(*, team):
    """Return the team's integrations that are not deleted, newest first."""
    return Integration.objects.filter(team=team, deleted_at__isnull=True).order_by(
        "-created_at", "-id"
    )


def integration_get(*, team, integration_id):
    """Return the team's integration with public id ``integration_id``, or 404."""
    integration = (
        integrations_for_team(team=team)
        .select_related("team")
        .filter(public_id=integration_id)
        .first()
    )
    if integration is None:
        raise errors.NotFound("No integration with this id was found.")
    return integration


def deliveries_for_integration(*, integration):
    return (
        Delivery.objects.filter(integration=integration)
        .select_related("event", "integration")
        .order_by("-created_at", "-id")
    )


def delivery_get(*, team, delivery_id):
    """Return the team's delivery with its attempts, or 404.

    Deliveries of a deleted integration get a 404, like the integration.
    """
    delivery = (
        Delivery.objects.filter(
            public_id=delivery_id,
            integration__team=team,
            integration__deleted_at__isnull=True,
        )
        .select_related("event", "integration__team")
        .prefetch_related("attempts")
        .first()
    )
    if delivery is None:
        raise errors.NotFound("No delivery with this id was found.")
    return delivery


def events_for_team(*, team):
    return Event.objects.filter(team=team).order_by("-created_at", "-id")
