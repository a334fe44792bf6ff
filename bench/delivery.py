"""Webhook delivery by one Celery worker, beside a plain httpx loop (the ceiling).

Three measurements against bench.receiver on 127.0.0.1:

- idle latency: single events published one at a time, spaced apart, from
  ``Event.created_at`` to the receiver's clock (same machine, same clock);
- fan-out: one event to ``BENCH_FANOUT`` integrations of one team;
- backlog: ``BENCH_EVENTS`` events to one integration.

Each wait for deliveries ends after ``BENCH_DELIVERY_SECONDS``, so a slow
engine cannot stretch the run; the rate is then over what arrived.

A rate is (deliveries - 1) / (last receipt - first receipt), so the worker's
start-up and the publisher's set-up are left out. The ceiling posts the same
signed bodies to the same URLs from ``WORKER_CONCURRENCY`` threads, each with
one keep-alive ``httpx.Client``.
"""

import base64
import json
import logging
import threading
import time
import urllib.request

from bench import seed, server

logger = logging.getLogger(__name__)

# The worker runs the threads pool with as many threads as an integration may
# have claims in flight (CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION, default
# 4), so no batch of the one-integration backlog is postponed. Each thread
# sends one request at a time, as each thread of the ceiling does.
WORKER_POOL = "threads"
WORKER_CONCURRENCY = 4
LATENCY_EVENTS = 40
LATENCY_SPACING_SECONDS = 0.25
# A wait for deliveries ends when none has arrived for this long.
STALL_SECONDS = 30
EVENT_TYPE = "payment.completed"
EVENT_DATA = {"paymentId": "pay_bench", "amount": 1500.0, "currency": "MXN"}
SECRET = "whsec_" + base64.b64encode(b"connect-bench-webhook-secret-32b").decode()


def receiver_url(path):
    return f"http://{server.HOST}:{server.RECEIVER_PORT}{path}"


def receiver_get(path):
    with urllib.request.urlopen(receiver_url(path), timeout=30) as response:
        return json.load(response)


def receipts_wait(expected, *, limit_seconds=600):
    """Wait until ``expected`` deliveries arrived, or none arrived for a while.

    Returns the receiver's records, which it then clears.
    """
    deadline = time.monotonic() + limit_seconds
    last_count, last_progress = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = receiver_get("/_count")["count"]
        if count >= expected:
            break
        if count != last_count:
            last_count, last_progress = count, time.monotonic()
        elif time.monotonic() - last_progress > STALL_SECONDS:
            logger.warning("Deliveries stalled at %d of %d", count, expected)
            break
        time.sleep(0.1)
    return receiver_get("/_records")


def queue_drain():
    """Drop the deliveries still queued and wait until the in-flight ones land.

    Run after a measurement that hit its time limit, so that its stragglers
    do not arrive during the next measurement.
    """
    server.redis_flush()
    deadline = time.monotonic() + STALL_SECONDS
    count = receiver_get("/_count")["count"]
    while time.monotonic() < deadline:
        time.sleep(1)
        latest = receiver_get("/_count")["count"]
        if latest == count:
            break
        count = latest
    receiver_get("/_records")


def team_with_integrations(label, count):
    """Create a team with ``count`` integrations that receive every event type."""
    from integrations.models import Integration
    from integrations.secrets import encrypt_secret
    from teams.models import Team

    user = seed.user_create(f"bench-delivery-{label}")
    (team_id,) = seed.teams_seed(user=user, count=1)
    team = Team.objects.get(public_id=team_id)
    secret_encrypted = encrypt_secret(SECRET)
    Integration.objects.bulk_create(
        Integration(
            team=team,
            name=f"Bench hook {index}",
            url=receiver_url(f"/hooks/{label}/{index}"),
            events=["*"],
            secret_encrypted=secret_encrypted,
        )
        for index in range(count)
    )
    return team


def event_publish_committed(team):
    from django.db import transaction

    from integrations.events import event_publish

    with transaction.atomic():
        event = event_publish(team=team, event_type=EVENT_TYPE, data=EVENT_DATA)
    # Leaving the block committed the event and ran fan_out, which queued
    # its deliveries on the broker.
    return event


def backlog_create(team, count):
    """Write ``count`` events and their deliveries to the team's one integration.

    Rows are bulk-inserted, with bodies built as integrations.events.
    event_write builds them, and the deliveries are queued by the caller.
    """
    from django.db import transaction
    from django.utils import timezone

    from connect_site.api.fields import format_timestamp
    from integrations.models import Delivery, Event, Integration

    integration = Integration.objects.get(team=team)
    events = []
    for _ in range(count):
        created_at = timezone.now()
        # The deliveries are written here, so the event is marked fanned out
        # and the sweep leaves it alone, as event_write(fan_out=False) does.
        event = Event(
            team=team,
            type=EVENT_TYPE,
            data=EVENT_DATA,
            created_at=created_at,
            fanned_out_at=created_at,
        )
        payload = {
            "id": event.public_id,
            "type": EVENT_TYPE,
            "timestamp": format_timestamp(created_at),
            "teamId": team.public_id,
            "data": EVENT_DATA,
        }
        event.body = json.dumps(
            payload, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        events.append(event)
    with transaction.atomic():
        events = Event.objects.bulk_create(events, batch_size=2000)
        deliveries = Delivery.objects.bulk_create(
            (
                Delivery(
                    event=event, integration=integration, next_attempt_at=created_at
                )
                for event in events
            ),
            batch_size=2000,
        )
    return [delivery.pk for delivery in deliveries]


def receipt_rate(records):
    times = sorted(receipt[2] for receipt in records["receipts"])
    if len(times) < 2 or times[-1] == times[0]:
        return None
    return (len(times) - 1) / (times[-1] - times[0])


def percentile(sorted_values, fraction):
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def latencies_ms(records, created_at_by_event_id):
    values = sorted(
        (received_at - created_at_by_event_id[event_id]) * 1000
        for event_id, _path, received_at in records["receipts"]
        if event_id in created_at_by_event_id
    )
    return values


def ceiling_run(jobs):
    """POST each ``(url, event_id, body)`` signed, from WORKER_CONCURRENCY threads."""
    import httpx

    from integrations import signing

    pending = list(jobs)
    lock = threading.Lock()

    def post_all():
        with httpx.Client(timeout=10) as client:
            while True:
                with lock:
                    if not pending:
                        return
                    url, event_id, body = pending.pop()
                headers = signing.headers(
                    msg_id=event_id,
                    timestamp=int(time.time()),
                    body=body,
                    secrets=[SECRET],
                )
                client.post(url, content=body, headers=headers)

    threads = [threading.Thread(target=post_all) for _ in range(WORKER_CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return receipts_wait(len(jobs))


def signatures_verify(records):
    """Verify the receiver's sample deliveries with the standardwebhooks library."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    verifier = Webhook(SECRET)
    verified = 0
    for sample in records["samples"]:
        try:
            verifier.verify(base64.b64decode(sample["body"]), sample["headers"])
            verified += 1
        except WebhookVerificationError as error:
            logger.warning("A delivery failed verification: %s", error)
    return verified, len(records["samples"])


def report_rates(report, name, records, expected, ceiling_records):
    received = len(records["receipts"])
    if received < expected:
        report.note(
            f"{name}: {received} of {expected} deliveries arrived within the "
            "time limit; the rate is over those"
        )
    rate = receipt_rate(records)
    ceiling = receipt_rate(ceiling_records)
    report.figure(f"{name}_rate", rate, "deliveries/s")
    report.figure(f"{name}_ceiling_rate", ceiling, "deliveries/s")
    if rate and ceiling:
        report.figure(f"{name}_vs_ceiling_ratio", rate / ceiling, "ratio")


def engine_available():
    try:
        from integrations import delivery, signing, tasks  # noqa: F401
    except ImportError as error:
        return str(error)
    if not hasattr(delivery, "deliveries_attempt") or not hasattr(
        tasks, "deliver_batch"
    ):
        return (
            "integrations.delivery has no deliveries_attempt or tasks no deliver_batch"
        )
    return None


def measure_idle_latency(report, team):
    """Publish single events spaced apart and report publish-to-receipt latency."""
    # The first event warms the worker up and is not counted.
    event_publish_committed(team)
    receipts_wait(1)
    created_at = {}
    for _ in range(LATENCY_EVENTS):
        event = event_publish_committed(team)
        created_at[event.public_id] = event.created_at.timestamp()
        time.sleep(LATENCY_SPACING_SECONDS)
    records = receipts_wait(LATENCY_EVENTS)

    idle = latencies_ms(records, created_at)
    if idle:
        report.figure("delivery.idle_latency_p50", percentile(idle, 0.5), "ms")
        report.figure("delivery.idle_latency_p99", percentile(idle, 0.99), "ms")
    verified, sampled = signatures_verify(records)
    report.figure("delivery.signatures_verified", verified, f"of {sampled}")


def measure_fanout(report, config, team):
    """Fan one event out to the team's integrations, then run the ceiling."""
    event = event_publish_committed(team)
    records = receipts_wait(config.fanout, limit_seconds=config.delivery_seconds)
    if len(records["receipts"]) < config.fanout:
        queue_drain()

    body = bytes(event.body)
    jobs = [
        (receiver_url(path), event.public_id, body)
        for _event_id, path, _received_at in records["receipts"]
    ]
    ceiling = ceiling_run(jobs)
    report_rates(report, "delivery.fanout", records, config.fanout, ceiling)
    latencies = latencies_ms(records, {event.public_id: event.created_at.timestamp()})
    if latencies:
        report.figure("delivery.fanout_latency_p50", percentile(latencies, 0.5), "ms")
        report.figure("delivery.fanout_latency_p99", percentile(latencies, 0.99), "ms")


def measure_backlog(report, config, team):
    """Queue many events for the team's one integration, then run the ceiling."""
    from integrations.delivery import delivery_queue
    from integrations.models import Event

    delivery_queue(backlog_create(team, config.events))
    records = receipts_wait(config.events, limit_seconds=config.delivery_seconds)
    if len(records["receipts"]) < config.events:
        queue_drain()

    # The ceiling sends as many bodies as the worker did, and at least 1000
    # so that its rate is not taken over a few milliseconds.
    events = Event.objects.filter(team=team).values_list("public_id", "body")
    events = events[: max(len(records["receipts"]), 1000)]
    url = receiver_url("/hooks/backlog/0")
    ceiling = ceiling_run([(url, event_id, bytes(body)) for event_id, body in events])
    report_rates(report, "delivery.backlog", records, config.events, ceiling)


def run(report, config):
    problem = engine_available()
    if problem:
        report.note(f"delivery: skipped: delivery engine not available ({problem})")
        return

    from django.db import connection

    from integrations.models import Delivery, DeliveryStatus

    single = team_with_integrations("single", 1)
    fanout_team = team_with_integrations("fanout", config.fanout)
    backlog_team = team_with_integrations("backlog", 1)
    connection.close()

    receiver = server.start_receiver()
    worker = server.start_celery_worker(
        server.service_env(config.database),
        pool=WORKER_POOL,
        concurrency=WORKER_CONCURRENCY,
    )
    try:
        measure_idle_latency(report, single)
        measure_fanout(report, config, fanout_team)
        measure_backlog(report, config, backlog_team)

        failed = Delivery.objects.filter(status=DeliveryStatus.FAILED).count()
        report.figure("delivery.failed", failed, "deliveries")
        report.figure(
            "delivery.worker_peak_rss", server.worker_peak_rss_mb(worker), "MB"
        )
    finally:
        worker.stop()
        receiver.stop()
