"""Webhook delivery: fan events out, send each delivery, schedule its retries.

The database is the source of truth and Celery messages are only hints. A
worker task claims a batch of due deliveries with a lease (``lease_id`` and
``locked_until``) through one conditional UPDATE, so two workers never send
the same attempt at once. It sends them one after another and records every
outcome in one transaction. When a worker dies, ``deliveries_requeue_due``
queues its deliveries again once the lease has expired, so a receiver may
get a delivery twice but never misses one.
"""

import email.utils
import functools
import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from kombu.exceptions import OperationalError

from connect_site.api.errors import Conflict, NotFound
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
    """Hand deliveries to the Celery ``deliver_batch`` task.

    They are queued in order, in batches of CONNECT_WEBHOOK_BATCH_SIZE. In
    eager mode (no REDIS_URL) the task runs here, in the caller's thread.
    When the broker cannot be reached the rows stay due, so the sweep sends
    them once it is back: the caller's request does not fail for it.
    """
    from integrations.tasks import deliver_batch

    size = settings.CONNECT_WEBHOOK_BATCH_SIZE
    delivery_pks = list(delivery_pks)
    for start in range(0, len(delivery_pks), size):
        batch = delivery_pks[start : start + size]
        try:
            deliver_batch.apply_async(args=[batch])
        except OperationalError as exc:
            logger.warning(
                "Queueing %s deliveries failed, the sweep will queue them: %s",
                len(batch),
                exc,
                extra={"delivery_pks": batch},
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
        .values_list("pk", "integration_id", "next_attempt_at", "locked_until")[:limit]
    )
    queued = []
    by_integration = defaultdict(list)
    for delivery_pk, integration_pk, next_attempt_at, locked_until in due_pks:
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
            by_integration[integration_pk].append(delivery_pk)
    # Each batch contains the deliveries of one integration, so an endpoint
    # that has started to hang delays no other team's retries.
    for delivery_pks in by_integration.values():
        delivery_queue(delivery_pks)
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
            )
            .order_by()
            .values_list("pk", flat=True)[:PRUNE_BATCH_SIZE]
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


def retry_after_delay(value, *, rng=random):
    """Return the seconds to wait that a ``Retry-After`` header requests, or None.

    The request is capped at CONNECT_WEBHOOK_RETRY_AFTER_MAX_SECONDS and gets
    up to 20 % more, so endpoints given the same time are not all retried at
    once.
    """
    requested = parse_retry_after(value)
    if requested is None:
        return None
    capped = min(requested, settings.CONNECT_WEBHOOK_RETRY_AFTER_MAX_SECONDS)
    return capped * rng.uniform(1.0, 1.2)


def next_retry_delay(*, attempt_number, status_code, retry_after):
    """Return seconds to wait before the next attempt, or None when retries are over.

    A 429 or 503 with ``Retry-After`` waits at least that long, capped at
    CONNECT_WEBHOOK_RETRY_AFTER_MAX_SECONDS.
    """
    delay = retry_delay(attempt_number)
    if delay is None:
        return None
    if status_code in (429, 503):
        requested = retry_after_delay(retry_after)
        if requested is not None:
            delay = max(delay, requested)
    return delay


# Sending


def send_budget_seconds():
    """Return the longest one claim's task may take.

    It stops starting sends after CONNECT_WEBHOOK_BATCH_SECONDS, and the send
    under way then ends within the timeout. The second timeout leaves room
    for resolving the host name, which has no timeout of its own.
    """
    return settings.CONNECT_WEBHOOK_BATCH_SECONDS + settings.CONNECT_WEBHOOK_TIMEOUT * 2


def lease_seconds():
    """Return how long a claim lasts: the task's whole budget plus a margin.

    The Celery task's hard time limit is shorter than this, so a lease only
    expires once its worker is dead or has given up.
    """
    return send_budget_seconds() + settings.CONNECT_DELIVERY_LEASE_MARGIN_SECONDS


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

    @property
    def is_stalled(self):
        """True after a timeout or a failed connection: no response came."""
        return self.status_code is None and not self.is_permanent_failure


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
    deadline = ssrf.request_deadline.set(started + timeout)
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
    except httpx.TimeoutException as exc:
        if isinstance(exc.__cause__, ssrf.ResolveTimeout):
            result.error = str(exc)
        elif result.status_code is None:
            result.error = f"Timed out after {timeout:g} seconds."
        else:
            result.error = (
                f"Reading the response body timed out after {timeout:g} seconds."
            )
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        if result.status_code is None:
            result.error = describe_error(exc, url)
        else:
            result.error = (
                "Reading the response body failed: " + describe_error(exc, url)
            )[:ERROR_LIMIT]
    finally:
        ssrf.request_deadline.reset(deadline)
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


# When each delivery went to another endpoint, decrypting took about a sixth
# of the worker's time besides the HTTP requests. A worker signs for the same
# endpoints again and again, and the key lives in the same process, so
# keeping the plain secrets exposes nothing new.
decrypt_secret_cached = functools.lru_cache(maxsize=10_000)(decrypt_secret)


def signing_secrets(integration, now):
    """Return the secrets that sign now: the current one, and the previous one in grace."""
    secrets = [decrypt_secret_cached(integration.secret_encrypted)]
    if (
        integration.previous_secret_encrypted
        and integration.previous_secret_expires_at
        and integration.previous_secret_expires_at > now
    ):
        secrets.append(decrypt_secret_cached(integration.previous_secret_encrypted))
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


@dataclass
class ClaimedTeam:
    """The fields of a team that sending reads."""

    public_id: str
    deleted_at: datetime | None


@dataclass
class ClaimedIntegration:
    """The fields of an integration that sending and recording read.

    A plain object, not a model instance, because a claim to many endpoints
    loads one per delivery and model instances cost several times more.
    """

    pk: int
    public_id: str
    url: str
    secret_encrypted: str
    previous_secret_encrypted: str
    previous_secret_expires_at: datetime | None
    is_active: bool
    status: str
    deleted_at: datetime | None
    failing_since: datetime | None
    team: ClaimedTeam


@dataclass
class ClaimedDelivery:
    """The fields of one claimed delivery that sending and recording need.

    Deliveries of one integration share one ClaimedIntegration.
    """

    pk: int
    public_id: str
    attempt_count: int
    event_id: str
    event_type: str
    body: bytes
    integration: ClaimedIntegration


@dataclass
class Claim:
    """Deliveries leased together by one task, which sends them one by one.

    ``deliveries`` are ClaimedDelivery objects in the order they are sent.
    """

    lease_id: uuid.UUID
    lease_end: datetime
    deliveries: list


def integrations_claimed(integration_pks):
    """Return a ClaimedIntegration per primary key in ``integration_pks``."""
    rows = Integration.objects.filter(pk__in=integration_pks).values_list(
        "pk",
        "public_id",
        "url",
        "secret_encrypted",
        "previous_secret_encrypted",
        "previous_secret_expires_at",
        "is_active",
        "status",
        "deleted_at",
        "failing_since",
        "team__public_id",
        "team__deleted_at",
    )
    return {
        row[0]: ClaimedIntegration(*row[:-2], team=ClaimedTeam(*row[-2:]))
        for row in rows
    }


def deliveries_claim(delivery_pks, *, now):
    """Lease those of ``delivery_pks`` that are due, pending and not leased.

    Returns a Claim, or None when none of them could be leased. An
    integration may be in at most CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION
    claims at once, and a claim sends its deliveries one after another, so a
    slow endpoint keeps only that many worker threads busy. Deliveries of an
    integration already at the cap are pushed back by
    CONNECT_WEBHOOK_CONCURRENCY_BACKOFF_SECONDS, without counting an attempt.
    """
    claimable = Delivery.objects.filter(
        pk__in=delivery_pks, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
    lease_id = uuid.uuid4()
    lease_end = now + timedelta(seconds=lease_seconds())

    with transaction.atomic():
        # Locking the integration rows, always in primary key order,
        # serializes the claims of each integration, so two workers cannot
        # both count below the cap.
        integration_pks = list(
            Integration.objects.select_for_update()
            .filter(pk__in=claimable.values("integration_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not integration_pks:
            return None
        # The partial index delivery_leased keeps this to the rows that hold
        # a lease, however long the delivery log grows.
        claims_in_flight = dict(
            Delivery.objects.filter(
                integration_id__in=integration_pks, locked_until__gt=now
            )
            .values("integration_id")
            .annotate(claims=Count("lease_id", distinct=True))
            .values_list("integration_id", "claims")
        )
        cap = settings.CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION
        at_cap = {pk for pk, claims in claims_in_flight.items() if claims >= cap}
        if at_cap:
            backoff = settings.CONNECT_WEBHOOK_CONCURRENCY_BACKOFF_SECONDS
            postponed = claimable.filter(integration_id__in=at_cap).update(
                next_attempt_at=now + timedelta(seconds=backoff)
            )
            logger.info(
                "%s deliveries postponed: their integrations have %s claims in flight",
                postponed,
                cap,
                extra={"integration_pks": sorted(at_cap)},
            )
        # Lock the rows in primary key order, as deliveries_record and
        # integration_disable do, and leave those that another transaction
        # holds to it. Plain rows, not model instances: this runs for every
        # delivery sent.
        rows = list(
            claimable.filter(integration_id__in=integration_pks)
            .exclude(integration_id__in=at_cap)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list(
                "pk",
                "public_id",
                "attempt_count",
                "event__public_id",
                "event__type",
                "event__body",
                "integration_id",
            )
        )
        if not rows:
            return None
        Delivery.objects.filter(pk__in=[row[0] for row in rows]).update(
            locked_until=lease_end, lease_id=lease_id
        )
    integrations = integrations_claimed({row[-1] for row in rows})
    deliveries = [
        ClaimedDelivery(
            pk=pk,
            public_id=public_id,
            attempt_count=attempt_count,
            event_id=event_id,
            event_type=event_type,
            body=bytes(body),
            integration=integrations[integration_pk],
        )
        for pk, public_id, attempt_count, event_id, event_type, body, integration_pk in rows
    ]
    # Integrations that have been failing go last, so that a slow endpoint
    # delays no healthy one of the same claim.
    deliveries.sort(key=lambda item: item.integration.failing_since is not None)
    return Claim(lease_id=lease_id, lease_end=lease_end, deliveries=deliveries)


@dataclass
class Outcome:
    """The result of one delivery of a claim.

    ``changes`` are the fields to write to the delivery besides releasing
    its lease; the time of an attempt is written from ``attempt``.
    """

    delivery: ClaimedDelivery
    changes: dict = field(default_factory=dict)
    # The attempt made, unsaved, or None when nothing was sent.
    attempt: DeliveryAttempt | None = None
    result: SendResult | None = None
    # Not sent because the claim ran out of time: it is queued again at once.
    requeue: bool = False
    # Handed to other workers by the watchdog. Recording releases it only if
    # the hand-over failed and this claim still holds it.
    is_handed_over: bool = False


def deliveries_attempt(delivery_pks):
    """Claim the due ones of ``delivery_pks``, send each once and record the outcomes.

    The stored event body is sent byte for byte, signed afresh with each
    attempt's whole-second timestamp. Deliveries are sent one after another
    until CONNECT_WEBHOOK_BATCH_SECONDS have passed. The rest are then
    released and queued again, so one task never keeps a worker thread long.
    When one send takes longer than CONNECT_WEBHOOK_HAND_OVER_SECONDS, the
    watchdog hands the deliveries to other endpoints to other workers (see
    claim_hand_over). After a connection failure, or a 429 or 503 with
    Retry-After, the endpoint's other deliveries in the claim wait instead
    of being sent at once. Whatever interrupts the task, what it has done so
    far is recorded before the error goes on. Returns the DeliveryAttempts
    made.
    """
    claim = deliveries_claim(delivery_pks, now=timezone.now())
    if claim is None:
        return []
    progress = ClaimProgress(claim)
    if tasks_run_in_workers():
        watchdog_start()
        claims_in_progress.add(progress)
    outcomes = []
    try:
        claim_send(claim, progress, outcomes)
    except Exception as exc:
        claim_interrupted(claim, progress, outcomes, exc)
        raise
    finally:
        claims_in_progress.discard(progress)
    return deliveries_record(claim, outcomes)


def claim_send(claim, progress, outcomes):
    """Send the claim's deliveries one after another, appending each Outcome."""
    started = time.monotonic()
    secrets_by_integration = {}
    for index, delivery in enumerate(claim.deliveries):
        integration = delivery.integration
        with progress.lock:
            if delivery.pk in progress.handed_over_pks:
                outcomes.append(Outcome(delivery, requeue=True, is_handed_over=True))
                continue
            progress.next_index = index + 1
        held_back = outcome_without_send(delivery, progress)
        if held_back is not None:
            outcomes.append(held_back)
        elif time.monotonic() - started >= settings.CONNECT_WEBHOOK_BATCH_SECONDS:
            outcomes.append(Outcome(delivery, requeue=True))
        else:
            with progress.lock:
                progress.sending = delivery
                progress.sending_since = time.monotonic()
            outcome = delivery_send(delivery, secrets_by_integration)
            with progress.lock:
                progress.sending = None
            outcomes.append(outcome)
            result = outcome.result
            if result.status_code == 410:
                progress.gone_pks.add(integration.pk)
            else:
                pause = endpoint_pause_seconds(result)
                if pause is not None:
                    progress.paused_until[integration.pk] = timezone.now() + timedelta(
                        seconds=pause
                    )


def outcome_without_send(delivery, progress):
    """Return the Outcome of a delivery that is not to be sent now, or None.

    Deliveries to an integration that cannot receive, or whose endpoint
    returned 410 Gone in this claim, fail. Those to an endpoint that asked
    for a pause wait until its end.
    """
    integration = delivery.integration
    if integration.pk in progress.gone_pks or not integration_can_receive(
        integration, delivery.event_type
    ):
        changes = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        return Outcome(delivery, changes=changes)
    if integration.pk in progress.paused_until:
        changes = {"next_attempt_at": progress.paused_until[integration.pk]}
        return Outcome(delivery, changes=changes)
    return None


def endpoint_pause_seconds(result):
    """Return how long an endpoint's other deliveries wait after ``result``, or None.

    A connection that failed or timed out is tried again after
    CONNECT_WEBHOOK_CONCURRENCY_BACKOFF_SECONDS, and a 429 or 503 with
    Retry-After after the time it requests (capped, with jitter).
    """
    if result.is_stalled:
        return settings.CONNECT_WEBHOOK_CONCURRENCY_BACKOFF_SECONDS
    if result.status_code in (429, 503):
        return retry_after_delay(result.retry_after)
    return None


def claim_interrupted(claim, progress, outcomes, exc):
    """Record what an interrupted task did, so none of its sends is lost.

    The send under way counts as a failed attempt, so a delivery that keeps
    interrupting its task (a host name that never resolves, say) still runs
    out of retries. The deliveries not reached are released and queued again.
    """
    done = {outcome.delivery.pk for outcome in outcomes}
    with progress.lock:
        sending = progress.sending
        sending_since = progress.sending_since
        handed_over_pks = set(progress.handed_over_pks)
    for delivery in claim.deliveries:
        if delivery.pk in done:
            continue
        held_back = outcome_without_send(delivery, progress)
        if delivery.pk in handed_over_pks:
            outcomes.append(Outcome(delivery, requeue=True, is_handed_over=True))
        elif sending is not None and delivery.pk == sending.pk:
            elapsed = time.monotonic() - sending_since
            result = SendResult(
                error=f"The attempt was interrupted: {type(exc).__name__}.",
                duration_ms=int(elapsed * 1000),
            )
            attempt = DeliveryAttempt(
                delivery_id=delivery.pk,
                attempted_at=timezone.now() - timedelta(seconds=elapsed),
                duration_ms=result.duration_ms,
                error=result.error,
            )
            outcomes.append(Outcome(delivery, attempt=attempt, result=result))
        elif held_back is not None:
            outcomes.append(held_back)
        else:
            outcomes.append(Outcome(delivery, requeue=True))
    try:
        deliveries_record(claim, outcomes)
    except Exception:
        logger.exception(
            "Recording an interrupted claim failed; its leases expire at %s",
            claim.lease_end.isoformat(),
        )


# Handing over the rest of a claim


class ClaimProgress:
    """How far a task has got through its claim, shared with the watchdog.

    ``lock`` guards the other attributes. The task sends no delivery in
    ``handed_over_pks``: those belong to other workers.
    """

    def __init__(self, claim):
        self.claim = claim
        self.lock = threading.Lock()
        self.next_index = 0
        self.sending = None
        self.sending_since = None
        self.handed_over_pks = set()
        # Used by the task's thread only: integrations whose endpoint returned
        # 410 Gone, and those whose endpoint asked to be left alone until when.
        self.gone_pks = set()
        self.paused_until = {}


# The claims that this process's tasks are sending now.
claims_in_progress = set()
WATCHDOG_INTERVAL_SECONDS = 0.1
_watchdog = None
_watchdog_lock = threading.Lock()


def tasks_run_in_workers():
    """Return whether Celery tasks run in worker processes.

    Without REDIS_URL they run in the caller's thread, where no other worker
    can take over a delivery and no sweep sends a postponed one.
    """
    from connect_site.celery import app

    return not app.conf.task_always_eager


def watchdog_start():
    """Start this process's watchdog thread, unless it runs already."""
    global _watchdog
    with _watchdog_lock:
        if _watchdog is None or not _watchdog.is_alive():
            _watchdog = threading.Thread(
                target=watchdog_run, name="delivery-watchdog", daemon=True
            )
            _watchdog.start()


def watchdog_run():
    """Hand over the rest of every claim whose current send takes too long."""
    while True:
        time.sleep(WATCHDOG_INTERVAL_SECONDS)
        for progress in list(claims_in_progress):
            try:
                claim_hand_over(progress)
            except Exception:
                logger.exception("The delivery watchdog could not hand over a claim")
            finally:
                # Hand-overs are rare, so this thread keeps no database
                # connection open between them.
                connection.close()


def claim_hand_over(progress, *, now=None):
    """Give a claim's unsent deliveries to other endpoints to other workers.

    A send slower than CONNECT_WEBHOOK_HAND_OVER_SECONDS would make every
    delivery after it in the claim wait. Those to other endpoints are
    released and queued again. Those to the slow endpoint stay, because
    they would wait for it anyway. Returns the primary keys queued again.
    """
    now = time.monotonic() if now is None else now
    with progress.lock:
        slow = progress.sending
        if (
            slow is None
            or now - progress.sending_since < settings.CONNECT_WEBHOOK_HAND_OVER_SECONDS
        ):
            return []
        other_pks = [
            delivery.pk
            for delivery in progress.claim.deliveries[progress.next_index :]
            if delivery.integration.pk != slow.integration.pk
            and delivery.pk not in progress.handed_over_pks
        ]
        progress.handed_over_pks.update(other_pks)
    if not other_pks:
        return []
    still_held = Delivery.objects.filter(
        pk__in=other_pks, lease_id=progress.claim.lease_id
    )
    with transaction.atomic():
        list(still_held.select_for_update().order_by("pk").values_list("pk"))
        still_held.update(locked_until=None, lease_id=None)
        transaction.on_commit(lambda: delivery_queue(other_pks))
    logger.info(
        "Handed over %s deliveries: delivery %s to integration %s is taking "
        "longer than %g seconds",
        len(other_pks),
        slow.public_id,
        slow.integration.public_id,
        settings.CONNECT_WEBHOOK_HAND_OVER_SECONDS,
        extra=log_context(slow),
    )
    return other_pks


def attempt_delivery(delivery_pk):
    """Claim one delivery, send it once and record the outcome.

    Returns the DeliveryAttempt, or None when nothing was sent because the
    delivery was not claimable or its integration can no longer receive.
    """
    attempts = deliveries_attempt([delivery_pk])
    return attempts[0] if attempts else None


def delivery_send(delivery, secrets_by_integration):
    """Sign and send one ClaimedDelivery; returns its Outcome with an unsaved attempt."""
    integration = delivery.integration
    attempted_at = timezone.now()
    try:
        secrets = secrets_by_integration.get(integration.pk)
        if secrets is None:
            secrets = signing_secrets(integration, attempted_at)
            secrets_by_integration[integration.pk] = secrets
    except ValueError as exc:
        result = SendResult(error=str(exc)[:ERROR_LIMIT], is_permanent_failure=True)
        logger.error(
            "Delivery %s not sent: %s",
            delivery.public_id,
            exc,
            extra=log_context(delivery),
        )
    else:
        headers = signing.headers(
            msg_id=delivery.event_id,
            timestamp=int(attempted_at.timestamp()),
            body=delivery.body,
            secrets=secrets,
        )
        result = send_webhook(url=integration.url, body=delivery.body, headers=headers)
    attempt = DeliveryAttempt(
        delivery_id=delivery.pk,
        attempted_at=attempted_at,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        response_body=result.response_body,
        error=result.error,
    )
    return Outcome(delivery, attempt=attempt, result=result)


def attempt_changes(attempt_count, result, *, finished_at):
    """Return the delivery fields that an attempt with ``result`` changes.

    ``attempt_count`` counts attempts before this one. 2xx succeeds. 410
    fails the delivery. A forbidden address or an unreadable secret fails
    it without retries. Any other failure is retried on the schedule, or
    fails the delivery once the schedule is exhausted.
    """
    attempt_number = attempt_count + 1
    changes = {
        "attempt_count": attempt_number,
        "last_status_code": result.status_code,
    }
    if result.is_success:
        changes.update(
            status=DeliveryStatus.SUCCEEDED,
            succeeded_at=finished_at,
            next_attempt_at=None,
        )
        return changes
    delay = None
    if result.status_code != 410 and not result.is_permanent_failure:
        delay = next_retry_delay(
            attempt_number=attempt_number,
            status_code=result.status_code,
            retry_after=result.retry_after,
        )
    if delay is None:
        changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        changes["next_attempt_at"] = finished_at + timedelta(seconds=delay)
    return changes


def deliveries_save(outcomes, *, finished_at):
    """Write what a claim changed, one UPDATE per set of equal changes.

    Every delivery's lease is released. The deliveries of a claim mostly end
    alike (all succeeded, say), so this takes one or two statements where a
    row-by-row update takes one per delivery. Retries differ in their
    jittered times and get one each. The last attempt's time, different for
    every row, comes from the attempts stored just before.
    """
    latest_attempt = (
        DeliveryAttempt.objects.filter(delivery=OuterRef("pk"))
        .order_by("-attempted_at", "-id")
        .values("attempted_at")[:1]
    )
    groups = defaultdict(list)
    for outcome in outcomes:
        key = (outcome.attempt is not None, tuple(sorted(outcome.changes.items())))
        groups[key].append(outcome.delivery.pk)
    for (is_attempted, changes), pks in groups.items():
        fields = dict(changes, locked_until=None, lease_id=None, updated_at=finished_at)
        if is_attempted:
            fields["last_attempt_at"] = Subquery(latest_attempt)
        Delivery.objects.filter(pk__in=pks).update(**fields)


def deliveries_record(claim, outcomes):
    """Store a claim's attempts, release its lease and decide what happens next.

    A delivery whose lease has expired meanwhile keeps what the worker now
    holding it writes; its attempt is stored all the same. An integration
    whose endpoint returned 410 Gone is disabled at once, and one whose
    deliveries have all failed for longer than
    CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS is disabled too. Returns the
    attempts.
    """
    finished_at = timezone.now()
    # The last outcome of each integration in the claim decides whether it
    # is failing.
    last_result = {}
    gone_pks = set()
    for outcome in outcomes:
        if outcome.attempt is None:
            continue
        outcome.changes = attempt_changes(
            outcome.delivery.attempt_count, outcome.result, finished_at=finished_at
        )
        integration_pk = outcome.delivery.integration.pk
        last_result[integration_pk] = outcome.result
        if outcome.result.status_code == 410:
            gone_pks.add(integration_pk)
    attempts = [outcome.attempt for outcome in outcomes if outcome.attempt]
    succeeded = {pk for pk, result in last_result.items() if result.is_success}
    failing = set(last_result) - succeeded
    disable_after = timedelta(seconds=settings.CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS)

    with transaction.atomic():
        # Only delivery rows are locked here, in primary key order as
        # everywhere else. deliveries_claim and integration_disable lock an
        # integration and then its deliveries, so waiting here for an
        # integration would risk a deadlock.
        DeliveryAttempt.objects.bulk_create(attempts)
        held_pks = set(
            Delivery.objects.select_for_update()
            .filter(pk__in=[outcome.delivery.pk for outcome in outcomes])
            .filter(lease_id=claim.lease_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        deliveries_save(
            [outcome for outcome in outcomes if outcome.delivery.pk in held_pks],
            finished_at=finished_at,
        )
        requeue = [
            outcome.delivery.pk
            for outcome in outcomes
            if outcome.requeue and outcome.delivery.pk in held_pks
        ]
        # In the caller's thread a queued task would run at once, so the
        # caller's request would have no end: the rest waits for a worker.
        if requeue and tasks_run_in_workers():
            transaction.on_commit(lambda: delivery_queue(requeue))

    # Each statement below commits on its own, so none keeps an integration
    # row locked while it waits for another.
    if succeeded:
        Integration.objects.filter(pk__in=succeeded).update(
            last_delivery_at=finished_at, failing_since=None
        )
    failing_too_long = set()
    if failing:
        Integration.objects.filter(pk__in=failing, failing_since__isnull=True).update(
            failing_since=finished_at
        )
        failing_too_long = set(
            Integration.objects.filter(
                pk__in=failing, failing_since__lte=finished_at - disable_after
            ).values_list("pk", flat=True)
        )

    for outcome in outcomes:
        log_outcome(outcome, is_held=outcome.delivery.pk in held_pks)
    from integrations.services import integration_disable

    days = settings.CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS / 86400
    integrations = {
        outcome.delivery.integration.pk: outcome.delivery.integration
        for outcome in outcomes
    }
    for integration_pk in sorted(gone_pks | failing_too_long):
        reason = (
            "The endpoint answered 410 Gone."
            if integration_pk in gone_pks
            else f"Every delivery failed for more than {days:g} days."
        )
        try:
            integration_disable(integration=integrations[integration_pk], reason=reason)
        except NotFound:
            logger.info(
                "Integration %s was deleted while its deliveries were sent",
                integrations[integration_pk].public_id,
            )
    return attempts


def log_context(delivery):
    return {
        "delivery_id": delivery.public_id,
        "event_id": delivery.event_id,
        "integration_id": delivery.integration.public_id,
        "team_id": delivery.integration.team.public_id,
    }


def log_outcome(outcome, *, is_held):
    delivery = outcome.delivery
    result = outcome.result
    if outcome.is_handed_over:
        return
    if not is_held:
        logger.warning(
            "Delivery %s finished after its lease expired (%s); another worker "
            "may have sent it again",
            delivery.public_id,
            "not sent" if result is None else result.status_code or result.error,
            extra=log_context(delivery),
        )
        return
    if result is None:
        if outcome.changes.get("status") == DeliveryStatus.FAILED:
            logger.info(
                "Delivery %s not sent: integration %s is disabled, inactive or deleted",
                delivery.public_id,
                delivery.integration.public_id,
                extra=log_context(delivery),
            )
        return
    detail = result.status_code if result.status_code is not None else result.error
    status = outcome.changes.get("status")
    attempt_number = outcome.changes["attempt_count"]
    if status == DeliveryStatus.SUCCEEDED:
        logger.info(
            "Delivery %s succeeded on attempt %s (%s)",
            delivery.public_id,
            attempt_number,
            detail,
            extra=log_context(delivery),
        )
    elif status == DeliveryStatus.FAILED:
        logger.error(
            "Delivery %s failed for good on attempt %s (%s)",
            delivery.public_id,
            attempt_number,
            detail,
            extra=log_context(delivery),
        )
    else:
        logger.warning(
            "Delivery %s attempt %s failed (%s); next attempt at %s",
            delivery.public_id,
            attempt_number,
            detail,
            outcome.changes["next_attempt_at"].isoformat(),
            extra=log_context(delivery),
        )
