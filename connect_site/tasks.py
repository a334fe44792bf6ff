"""Celery tasks of the shared site code."""

from celery import shared_task

from connect_site.idempotency import idempotency_records_purge


@shared_task(ignore_result=True)
def purge_idempotency_records():
    """Delete expired Idempotency-Key records; Celery beat runs it hourly."""
    idempotency_records_purge()
