"""Write events in the caller's transaction; deliveries follow after commit."""

import json

from django.db import transaction
from django.utils import timezone

from connect_site.api.fields import format_timestamp
from integrations.models import Event


def event_write(*, team, event_type, data, fan_out=True):
    """Write an event with the exact body bytes every delivery will send.

    With ``fan_out=False`` the caller creates the event's deliveries itself,
    and the event is marked as fanned out so that the sweep leaves it alone.
    """
    created_at = timezone.now()
    event = Event(
        team=team,
        type=event_type,
        data=data,
        created_at=created_at,
        fanned_out_at=None if fan_out else created_at,
    )
    payload = {
        "id": event.public_id,
        "type": event_type,
        "timestamp": format_timestamp(created_at),
        "teamId": team.public_id,
        "data": data,
    }
    event.body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )
    event.save()
    return event


def event_publish(*, team, event_type, data):
    """Record an event for ``team`` and queue its deliveries once the transaction commits.

    Call it inside the transaction that makes the change, so the event exists
    exactly when the change does. If the process dies between the commit and
    the fan-out, the periodic sweep fans the event out instead.
    """
    event = event_write(team=team, event_type=event_type, data=data)
    transaction.on_commit(lambda: queue_event_deliveries(event.pk))
    return event


def queue_event_deliveries(event_pk):
    from integrations import delivery

    delivery.fan_out(event_pk)
