"""Write events in the caller's transaction; deliveries follow after commit."""

import json

from django.db import transaction
from django.utils import timezone

from connect_site.api.fields import format_timestamp
from integrations.models import Event


def event_publish(*, team, event_type, data):
    """Record an event for ``team`` and queue its deliveries once the transaction commits.

    Call it inside the transaction that makes the change, so the event exists
    exactly when the change does.
    """
    created_at = timezone.now()
    event = Event(team=team, type=event_type, data=data, created_at=created_at)
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
    transaction.on_commit(lambda: queue_event_deliveries(event.pk))
    return event


def queue_event_deliveries(event_pk):
    # The delivery machinery replaces this hook: it creates one delivery per
    # subscribed active integration and hands each to a Celery task.
    from integrations import delivery

    delivery.fan_out(event_pk)
