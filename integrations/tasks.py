"""Celery tasks of webhook delivery. Each takes ids and calls integrations.delivery."""

import logging

from celery import shared_task
from django.conf import settings

from integrations import delivery

logger = logging.getLogger(__name__)

# The hard limit ends the task before its lease expires (see
# delivery.lease_seconds), so no other worker claims a delivery that a live
# task is still sending.
_SEND_BUDGET = delivery.send_budget_seconds()
_MARGIN = settings.CONNECT_DELIVERY_LEASE_MARGIN_SECONDS
_DELIVERY_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "soft_time_limit": _SEND_BUDGET + _MARGIN / 3,
    "time_limit": _SEND_BUDGET + _MARGIN * 2 / 3,
}


@shared_task(**_DELIVERY_TASK)
def deliver_batch(delivery_pks):
    """Send one attempt of each of the deliveries that are due and not leased."""
    delivery.deliveries_attempt(delivery_pks)


@shared_task(**_DELIVERY_TASK)
def deliver(delivery_pk):
    """Send one attempt of a delivery; messages queued before batches still name it."""
    delivery.deliveries_attempt([delivery_pk])


@shared_task(ignore_result=True)
def sweep_due_deliveries():
    """Fan out orphaned events and queue due deliveries. Celery beat runs it."""
    delivery.events_fan_out_missed()
    delivery.deliveries_requeue_due()


@shared_task(ignore_result=True)
def prune_delivered():
    """Delete finished deliveries past CONNECT_DELIVERY_RETENTION_DAYS."""
    delivery.deliveries_prune()
