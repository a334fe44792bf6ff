"""Celery tasks of webhook delivery. Each takes ids and calls integrations.delivery."""

import logging

from celery import shared_task
from django.conf import settings

from integrations import delivery

logger = logging.getLogger(__name__)

# The hard limit ends the task before its lease expires (see
# delivery.lease_seconds), so no other worker claims a delivery that a live
# task is still sending.
_SEND_BUDGET = settings.CONNECT_WEBHOOK_TIMEOUT * 2
_MARGIN = settings.CONNECT_DELIVERY_LEASE_MARGIN_SECONDS


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=_SEND_BUDGET + _MARGIN / 3,
    time_limit=_SEND_BUDGET + _MARGIN * 2 / 3,
)
def deliver(delivery_pk):
    """Send one attempt of a delivery, if it is still due and no live lease holds it."""
    delivery.attempt_delivery(delivery_pk)


@shared_task(ignore_result=True)
def sweep_due_deliveries():
    """Fan out orphaned events and queue due deliveries. Celery beat runs it."""
    delivery.events_fan_out_missed()
    delivery.deliveries_requeue_due()


@shared_task(ignore_result=True)
def prune_delivered():
    """Delete finished deliveries past CONNECT_DELIVERY_RETENTION_DAYS."""
    delivery.deliveries_prune()
