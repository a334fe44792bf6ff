"""Webhook delivery: fan events out, send each delivery, schedule its retries.

The database is the source of truth and Celery messages are only hints. A
worker claims a delivery with a lease (``locked_until``) through one
conditional UPDATE, so two workers never send the same attempt at once. When
a worker dies, ``deliveries_requeue_due`` queues its delivery again once the
lease has expired.
"""

import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from connect_site.api.errors import Conflict
from integrations import signing
from integrations.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Event,
    Integration,
    IntegrationStatus,
)
from integrations.secrets import decrypt_secret

logger = logging.getLogger(__name__)

RESPONSE_BODY_LIMIT = 4096
ERROR_LIMIT = 500
# How long the sweep leaves alone a delivery it has just queued, so a backlog
# of due deliveries is not queued again on every sweep.
REQUEUE_QUIET_SECONDS = 60
SWEEP_BATCH_SIZE = 1000
# Seconds an event may wait for its own process to fan it out before the
# sweep does it instead.
FAN_OUT_GRACE_SECONDS = 10
PRUNE_BATCH_SIZE = 1000
# A deleted team sends nothing more, except the event that announces its
# deletion.
EVENT_TYPES_AFTER_TEAM_DELETE = frozenset({"team.deleted"})


# Queueing


def delivery_queue(delivery_pks):
    """Hand deliveries to the Celery ``deliver`` task.

    In eager mode (no REDIS_URL) the task runs here, in the caller's thread.
    When the broker cannot be reached the rows stay due, so the sweep sends
    them once it is back: the caller's request does not fail for it.
    """
    from integrations.tasks import deliver

    for delivery_pk in delivery_pks:
        try:
            deliver.apply_async(args=[delivery_pk])
        except OperationalError as exc:
            logger.warning(
                "Queueing delivery %s failed, the sweep will queue it: %s",
                delivery_pk,
                exc,
                extra={"delivery_pk": delivery_pk},
            )


def fan_out(event_pk):
    """Create and queue one delivery per subscribed active integration.

    Runs after the event's transaction has committed. Calling it twice for
    one event creates no second delivery, because the constraint
    ``one_delivery_per_event_per_integration`` makes the insert a no-op.
    Returns the primary keys of the event's pending deliveries it queued.
    """
    event = Event.objects.select_related("team").filter(pk=event_pk).first()
    if event is None:
        return []
    now = timezone.now()
    if not team_can_receive(event.team, event.type):
        Event.objects.filter(pk=event.pk).update(fanned_out_at=now)
        return []
    # Subscriptions are matched in Python: a team has few integrations, and
    # SQLite, the development database, has no JSON containment lookup.
    integrations = [
        integration
        for integration in Integration.objects.filter(
            team_id=event.team_id,
            deleted_at__isnull=True,
            is_active=True,
            status=IntegrationStatus.ACTIVE,
        )
        if event.type in integration.events or "*" in integration.events
    ]
    with transaction.atomic():
        Delivery.objects.bulk_create(
            [
                Delivery(event=event, integration=integration, next_attempt_at=now)
                for integration in integrations
            ],
            ignore_conflicts=True,
        )
        Event.objects.filter(pk=event.pk).update(fanned_out_at=now)
    delivery_pks = list(
        Delivery.objects.filter(
            event=event, status=DeliveryStatus.PENDING, attempt_count=0
        ).values_list("pk", flat=True)
    )
    delivery_queue(delivery_pks)
    return delivery_pks


def deliver_to_integration(*, event_pk, integration_pk):
    """Create a delivery of one event to one integration and queue it after commit.

    The test endpoint uses it to send ``integration.test`` to a single
    integration whatever that integration subscribes to.
    """
    with transaction.atomic():
        delivery, _created = Delivery.objects.get_or_create(
            event_id=event_pk,
            integration_id=integration_pk,
            defaults={"next_attempt_at": timezone.now()},
        )
        transaction.on_commit(lambda: delivery_queue([delivery.pk]))
    return delivery


def delivery_retry(*, delivery):
    """Send ``delivery`` again now, whatever its status.

    Raises Conflict while a worker is sending it. The attempt count is kept,
    so a delivery whose retries were exhausted gets one more attempt.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.locked_until is not None and locked.locked_until > now:
            raise Conflict(
                "This delivery is being sent right now; retry it after the "
                "attempt finishes."
            )
        locked.status = DeliveryStatus.PENDING
        locked.next_attempt_at = now
        locked.save(update_fields=["status", "next_attempt_at", "updated_at"])
        transaction.on_commit(lambda: delivery_queue([locked.pk]))
    return locked


def deliveries_recover(*, integration, since):
    """Queue again every failed delivery of ``integration`` created since ``since``.

    Returns how many deliveries were queued.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery_pks = list(
            Delivery.objects.select_for_update()
            .filter(
                integration=integration,
                status=DeliveryStatus.FAILED,
                created_at__gte=since,
            )
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=delivery_pks).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, updated_at=now
        )
        transaction.on_commit(lambda: delivery_queue(delivery_pks))
    return len(delivery_pks)


def events_fan_out_missed(*, limit=SWEEP_BATCH_SIZE):
    """Fan out committed events whose process died before fanning them out.

    An event younger than FAN_OUT_GRACE_SECONDS is left to the process that
    wrote it, whose on-commit hook is most likely still running. Returns the
    primary keys of the events fanned out.
    """
    cutoff = timezone.now() - timedelta(seconds=FAN_OUT_GRACE_SECONDS)
    event_pks = list(
        Event.objects.filter(fanned_out_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for event_pk in event_pks:
        fan_out(event_pk)
    if event_pks:
        logger.warning(
            "Sweep fanned out %s events left without deliveries", len(event_pks)
        )
    return event_pks


def deliveries_requeue_due(*, limit=SWEEP_BATCH_SIZE):
    """Queue pending deliveries that are due and held by no live lease.

    This is what makes a worker crash, a broker restart or a lost message
    lose nothing. Returns the primary keys queued.
    """
    now = timezone.now()
    due_pks = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", "next_attempt_at", "locked_until")[:limit]
    )
    queued = []
    for delivery_pk, next_attempt_at, locked_until in due_pks:
        # cache.add is atomic: only the first sweep within the quiet period
        # queues this attempt, and later sweeps skip it. A postponed or
        # retried delivery has a new next_attempt_at, and one whose worker
        # died has an expired locked_until, so each of them gets a new key.
        lease = locked_until.timestamp() if locked_until else 0
        key = (
            f"connect:delivery-requeued:{delivery_pk}:"
            f"{next_attempt_at.timestamp()}:{lease}"
        )
        if cache.add(key, 1, timeout=REQUEUE_QUIET_SECONDS):
            queued.append(delivery_pk)
    delivery_queue(queued)
    if queued:
        logger.info("Sweep queued %s due deliveries", len(queued))
    return queued


def deliveries_prune(*, now=None):
    """Delete finished deliveries older than CONNECT_DELIVERY_RETENTION_DAYS.

    Deletes succeeded and failed deliveries with their attempts, in batches,
    and keeps pending ones. Returns how many deliveries were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CONNECT_DELIVERY_RETENTION_DAYS)
    deleted = 0
    while True:
        batch = list(
            Delivery.objects.filter(
                created_at__lt=cutoff,
                status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED],
            ).values_list("pk", flat=True)[:PRUNE_BATCH_SIZE]
        )
        if not batch:
            break
        with transaction.atomic():
            DeliveryAttempt.objects.filter(delivery_id__in=batch).delete()
            Delivery.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
    if deleted:
        logger.info("Pruned %s deliveries older than %s", deleted, cutoff.isoformat())
    return deleted


# Retry timing


def retry_delay(attempt_number, *, rng=random):
    """Return seconds until the retry after failed attempt ``attempt_number``.

    Follows CONNECT_WEBHOOK_RETRY_SCHEDULE with a uniform jitter of plus or
    minus 20 %, so endpoints that failed together are not retried together.
    Returns None once the schedule is exhausted.
    """
    schedule = settings.CONNECT_WEBHOOK_RETRY_SCHEDULE
    if attempt_number < 1 or attempt_number > len(schedule):
        return None
    return schedule[attempt_number - 1] * rng.uniform(0.8, 1.2)


def parse_retry_after(value, *, now=None):
    """Return the delay in seconds that a ``Retry-After`` header requests, or None.

    Accepts delay-seconds and HTTP dates (RFC 9110, section 10.2.3); a date
    in the past means 0. Returns None for a missing or invalid value.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def next_retry_delay(*, attempt_number, status_code, retry_after):
    """Return seconds to wait before the next attempt, or None when retries are over.

    A 429 or 503 with ``Retry-After`` waits at least that long, capped at
    CONNECT_WEBHOOK_RETRY_AFTER_MAX_SECONDS.
    """
    delay = retry_delay(attempt_number)
    if delay is None:
        return None
    if status_code in (429, 503):
        requested = parse_retry_after(retry_after)
        if requested is not None:
            cap = settings.CONNECT_WEBHOOK_RETRY_AFTER_MAX_SECONDS
            delay = max(delay, min(requested, cap))
    return delay


# Sending


def lease_seconds():
    """Return how long a claim lasts: the whole HTTP budget plus a margin.

    The Celery task's hard time limit is shorter than this, so a lease only
    expires once its worker is dead or has given up.
    """
    return (
        settings.CONNECT_WEBHOOK_TIMEOUT * 2
        + settings.CONNECT_DELIVERY_LEASE_MARGIN_SECONDS
    )


@dataclass
class SendResult:
    status_code: int | None = None
    response_body: str = ""
    error: str = ""
    retry_after: str | None = None
    duration_ms: int = 0
    # A failure that a retry cannot fix, such as a forbidden address.
    is_permanent_failure: bool = False

    @property
    def is_success(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def redact_url(url):
    """Return ``url`` without its user name, password and query string, for logs."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def describe_error(exc, url):
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if url in message:
        message = message.replace(url, redact_url(url))
    return message[:ERROR_LIMIT]


def read_limited_body(response, deadline):
    """Read at most RESPONSE_BODY_LIMIT bytes of the response before ``deadline``."""
    chunks = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_BODY_LIMIT or time.monotonic() > deadline:
            break
    body = b"".join(chunks)[:RESPONSE_BODY_LIMIT]
    # PostgreSQL text cannot hold NUL characters.
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


_thread_clients = threading.local()


def webhook_client():
    """Return this thread's guarded client, kept so that connections are reused.

    A kept-alive connection was checked against the SSRF rules when it was
    opened, and every new connection is checked again.
    """
    from integrations import ssrf

    client = getattr(_thread_clients, "client", None)
    if client is None:
        client = ssrf.guarded_client(settings.CONNECT_WEBHOOK_TIMEOUT)
        _thread_clients.client = client
    return client


def send_webhook(*, url, body, headers):
    """POST ``body`` to ``url`` once, without following redirects.

    Every address the name resolves to is checked at connect time by
    ``integrations.ssrf.guarded_client``. Returns a SendResult and raises
    nothing for network failures.
    """
    from integrations import ssrf

    timeout = settings.CONNECT_WEBHOOK_TIMEOUT
    started = time.monotonic()
    result = SendResult()
    try:
        with webhook_client().stream(
            "POST", url, content=body, headers=headers, timeout=timeout
        ) as response:
            result.status_code = response.status_code
            result.retry_after = response.headers.get("retry-after")
            result.response_body = read_limited_body(response, started + timeout)
    except ssrf.ForbiddenAddress as exc:
        result.error = describe_error(exc, url)
        result.is_permanent_failure = True
    except httpx.TimeoutException:
        result.error = f"Timed out after {timeout:g} seconds."
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        if result.status_code is None:
            result.error = describe_error(exc, url)
        else:
            result.error = "Reading the response body failed: " + describe_error(
                exc, url
            )
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def signing_secrets(integration, now):
    """Return the secrets that sign now: the current one, and the previous one in grace."""
    secrets = [decrypt_secret(integration.secret_encrypted)]
    if (
        integration.previous_secret_encrypted
        and integration.previous_secret_expires_at
        and integration.previous_secret_expires_at > now
    ):
        secrets.append(decrypt_secret(integration.previous_secret_encrypted))
    return secrets


def team_can_receive(team, event_type):
    return team.deleted_at is None or event_type in EVENT_TYPES_AFTER_TEAM_DELETE


def integration_can_receive(integration, event_type):
    return (
        integration.deleted_at is None
        and integration.is_active
        and integration.status == IntegrationStatus.ACTIVE
        and team_can_receive(integration.team, event_type)
    )


# Attempting


def delivery_claim(delivery_pk, *, now):
    """Take the lease of a due pending delivery and return the lease's end.

    Returns None when the delivery is not pending, not due yet, or leased by
    a live worker. When its integration already has
    CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION deliveries in flight, the
    delivery is pushed back by CONNECT_WEBHOOK_CONCURRENCY_BACKOFF_SECONDS,
    without counting an attempt, and None is returned: a slow endpoint keeps
    only that many workers busy.
    """
    integration_pk = (
        Delivery.objects.filter(pk=delivery_pk)
        .values_list("integration_id", flat=True)
        .first()
    )
    if integration_pk is None:
        return None
    lease_end = now + timedelta(seconds=lease_seconds())
    claimable = Delivery.objects.filter(
        pk=delivery_pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))

    with transaction.atomic():
        # Locking the integration row serializes the claims of one
        # integration, so two workers cannot both count below the cap.
        list(
            Integration.objects.select_for_update()
            .filter(pk=integration_pk)
            .values_list("pk", flat=True)
        )
        # The partial index delivery_leased keeps this count to the rows
        # that hold a lease, however long the delivery log grows.
        in_flight = (
            Delivery.objects.filter(integration_id=integration_pk, locked_until__gt=now)
            .exclude(pk=delivery_pk)
            .count()
        )
        if in_flight >= settings.CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION:
            backoff = settings.CONNECT_WEBHOOK_CONCURRENCY_BACKOFF_SECONDS
            claimable.update(next_attempt_at=now + timedelta(seconds=backoff))
            logger.info(
                "Delivery %s postponed: %s deliveries of its integration in flight",
                delivery_pk,
                in_flight,
                extra={"delivery_pk": delivery_pk, "integration_pk": integration_pk},
            )
            return None
        if claimable.update(locked_until=lease_end) != 1:
            return None
    return lease_end


def attempt_delivery(delivery_pk):
    """Claim one delivery, send it once and record the outcome.

    The stored event body is sent byte for byte and signed afresh with this
    attempt's whole-second timestamp. Returns the DeliveryAttempt, or None
    when nothing was sent because the delivery was not claimable or its
    integration can no longer receive.
    """
    lease_end = delivery_claim(delivery_pk, now=timezone.now())
    if lease_end is None:
        return None
    delivery = Delivery.objects.select_related("event", "integration__team").get(
        pk=delivery_pk
    )
    integration = delivery.integration
    log_extra = {
        "delivery_id": delivery.public_id,
        "event_id": delivery.event.public_id,
        "integration_id": integration.public_id,
        "team_id": integration.team.public_id,
    }
    if not integration_can_receive(integration, delivery.event.type):
        Delivery.objects.filter(pk=delivery.pk, locked_until=lease_end).update(
            status=DeliveryStatus.FAILED,
            locked_until=None,
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        logger.info(
            "Delivery %s not sent: integration %s is disabled, inactive or deleted",
            delivery.public_id,
            integration.public_id,
            extra=log_extra,
        )
        return None

    attempted_at = timezone.now()
    body = bytes(delivery.event.body)
    try:
        secrets = signing_secrets(integration, attempted_at)
    except ValueError as exc:
        result = SendResult(error=str(exc)[:ERROR_LIMIT], is_permanent_failure=True)
        logger.error(
            "Delivery %s not sent: %s", delivery.public_id, exc, extra=log_extra
        )
    else:
        headers = signing.headers(
            msg_id=delivery.event.public_id,
            timestamp=int(attempted_at.timestamp()),
            body=body,
            secrets=secrets,
        )
        result = send_webhook(url=integration.url, body=body, headers=headers)
    return delivery_record_attempt(
        delivery=delivery,
        lease_end=lease_end,
        attempted_at=attempted_at,
        result=result,
        log_extra=log_extra,
    )


def delivery_record_attempt(*, delivery, lease_end, attempted_at, result, log_extra):
    """Store an attempt, release the lease and decide what happens next.

    2xx succeeds. 410 fails the delivery and disables the integration at
    once. A forbidden address or an unreadable secret fails the delivery
    without retries. Any other failure is retried on the schedule, and
    disables the integration once its deliveries have failed for longer than
    CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS.
    """
    integration = delivery.integration
    attempt_number = delivery.attempt_count + 1
    finished_at = timezone.now()
    fields = {
        "attempt_count": attempt_number,
        "last_attempt_at": attempted_at,
        "last_status_code": result.status_code,
        "locked_until": None,
        "updated_at": finished_at,
    }
    disable_reason = None
    if result.is_success:
        fields.update(
            status=DeliveryStatus.SUCCEEDED,
            succeeded_at=finished_at,
            next_attempt_at=None,
        )
    elif result.status_code == 410:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        disable_reason = "The endpoint answered 410 Gone."
    else:
        delay = None
        if not result.is_permanent_failure:
            delay = next_retry_delay(
                attempt_number=attempt_number,
                status_code=result.status_code,
                retry_after=result.retry_after,
            )
        if delay is None:
            fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            fields["next_attempt_at"] = finished_at + timedelta(seconds=delay)

    with transaction.atomic():
        # Lock the integration before the delivery, in the order that
        # delivery_claim and integration_disable use, so they cannot deadlock.
        integrations = Integration.objects.filter(pk=integration.pk)
        list(integrations.select_for_update().values_list("pk", flat=True))
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery,
            attempted_at=attempted_at,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            response_body=result.response_body,
            error=result.error,
        )
        updated = Delivery.objects.filter(
            pk=delivery.pk, locked_until=lease_end
        ).update(**fields)
        if result.is_success:
            integrations.update(last_delivery_at=finished_at, failing_since=None)
        else:
            integrations.filter(failing_since__isnull=True).update(
                failing_since=finished_at
            )
            failing_too_long = integrations.filter(
                failing_since__lte=finished_at
                - timedelta(seconds=settings.CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS)
            ).exists()
            if failing_too_long and disable_reason is None:
                days = settings.CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS / 86400
                disable_reason = f"Every delivery failed for more than {days:g} days."

    log_delivery_outcome(delivery, attempt_number, result, fields, updated, log_extra)
    if disable_reason:
        from integrations.services import integration_disable

        integration_disable(integration=integration, reason=disable_reason)
    return attempt


def log_delivery_outcome(delivery, attempt_number, result, fields, updated, log_extra):
    outcome = result.status_code if result.status_code is not None else result.error
    if not updated:
        logger.warning(
            "Delivery %s attempt %s finished after its lease expired (%s); "
            "another worker may have sent it again",
            delivery.public_id,
            attempt_number,
            outcome,
            extra=log_extra,
        )
    elif fields.get("status") == DeliveryStatus.SUCCEEDED:
        logger.info(
            "Delivery %s succeeded on attempt %s (%s)",
            delivery.public_id,
            attempt_number,
            outcome,
            extra=log_extra,
        )
    elif fields.get("status") == DeliveryStatus.FAILED:
        logger.error(
            "Delivery %s failed for good on attempt %s (%s)",
            delivery.public_id,
            attempt_number,
            outcome,
            extra=log_extra,
        )
    else:
        logger.warning(
            "Delivery %s attempt %s failed (%s); next attempt at %s",
            delivery.public_id,
            attempt_number,
            outcome,
            fields["next_attempt_at"].isoformat(),
            extra=log_extra,
        )
