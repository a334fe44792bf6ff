"""Webhook delivery in-process: signing, retry timing, leases and outcomes.

These tests send real HTTP requests to a receiver on 127.0.0.1 and call the
delivery functions directly. test_delivery_worker.py sends deliveries through
a Celery worker.
"""

import base64
import ipaddress
import json
import random
import socket
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError
from standardwebhooks.webhooks import Webhook as StandardWebhook

from connect_site.actors import Actor
from connect_site.api.errors import Conflict
from connect_site.celery import app as celery_app
from integrations import delivery, signing, ssrf, tasks
from integrations.events import event_publish
from integrations.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Event,
    Integration,
    IntegrationStatus,
)
from integrations.secrets import encrypt_secret, generate_secret
from integrations.tests.receiver import Reply, WebhookReceiver
from teams.services import team_delete
from teams.tests.factories import TeamFactory

# The documented example integration, whose secret is a plain (non-whsec_) one.
PAGE_INTEGRATION = {
    "type": "webhook",
    "name": "Team Payment Notifications",
    "configuration": {
        "url": "https://team.example.com/webhooks/payments",
        "events": ["payment.completed", "invoice.paid"],
        "secret": "team_webhook_secret",
    },
    "isActive": True,
}
PAGE_SECRET = PAGE_INTEGRATION["configuration"]["secret"]
PAYMENT_DATA = {"paymentId": "pay_123", "amount": "1500.00", "currency": "MXN"}


def make_integration(team, *, url, events=None, secret=PAGE_SECRET, **fields):
    return Integration.objects.create(
        team=team,
        name=PAGE_INTEGRATION["name"],
        url=url,
        events=events or PAGE_INTEGRATION["configuration"]["events"],
        secret_encrypted=encrypt_secret(secret),
        **fields,
    )


def publish(team, event_type="payment.completed", data=None):
    with transaction.atomic():
        return event_publish(
            team=team, event_type=event_type, data=data or PAYMENT_DATA
        )


def make_due_delivery(integration, event_type="payment.completed"):
    event = publish(integration.team, event_type)
    return Delivery.objects.create(
        event=event, integration=integration, next_attempt_at=timezone.now()
    )


def closed_port_url():
    """Return a URL on 127.0.0.1 whose port nothing listens on."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def delivery_settings(settings):
    settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = True
    settings.CONNECT_WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800]
    settings.CONNECT_WEBHOOK_TIMEOUT = 2
    settings.CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION = 2
    settings.CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS = 5 * 24 * 60 * 60
    return settings


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner)


# Signing


@pytest.mark.parametrize(
    "secret",
    [generate_secret(), PAGE_SECRET],
    ids=["whsec", "plain"],
)
def test_sign_matches_standardwebhooks_library(secret):
    body = b'{"id":"evt_1","type":"payment.completed","data":{"amount":"1.00"}}'
    key = (
        secret
        if secret.startswith("whsec_")
        else base64.b64encode(secret.encode()).decode()
    )

    signature = signing.sign(
        msg_id="evt_1", timestamp=1_700_000_000, body=body, secrets=[secret]
    )

    expected = StandardWebhook(key).sign(
        "evt_1", datetime.fromtimestamp(1_700_000_000, tz=UTC), body
    )
    assert signature == expected


def test_sign_joins_one_signature_per_secret():
    body = b'{"a":1}'
    new_secret, old_secret = generate_secret(), PAGE_SECRET

    signature = signing.sign(
        msg_id="evt_2",
        timestamp=1_700_000_001,
        body=body,
        secrets=[new_secret, old_secret],
    )

    first, second = signature.split(" ")
    assert first == signing.sign(
        msg_id="evt_2", timestamp=1_700_000_001, body=body, secrets=[new_secret]
    )
    assert second == signing.sign(
        msg_id="evt_2", timestamp=1_700_000_001, body=body, secrets=[old_secret]
    )


def test_sign_rejects_empty_secret_list():
    with pytest.raises(ValueError, match="At least one secret"):
        signing.sign(msg_id="evt_3", timestamp=1, body=b"{}", secrets=[])


def test_headers_are_standard_webhooks_headers():
    headers = signing.headers(
        msg_id="evt_4", timestamp=1_700_000_002, body=b"{}", secrets=[PAGE_SECRET]
    )

    assert headers == {
        "webhook-id": "evt_4",
        "webhook-timestamp": "1700000002",
        "webhook-signature": signing.sign(
            msg_id="evt_4", timestamp=1_700_000_002, body=b"{}", secrets=[PAGE_SECRET]
        ),
        "content-type": "application/json",
        "user-agent": "Connect-Webhooks/1.0",
    }


# Retry timing


def test_retry_delay_jitter_stays_within_20_percent(delivery_settings):
    rng = random.Random(7)

    delays = [delivery.retry_delay(2, rng=rng) for _ in range(2000)]

    assert min(delays) >= 240
    assert max(delays) <= 360
    assert min(delays) < 250
    assert max(delays) > 350


def test_retry_delay_follows_schedule_then_stops(delivery_settings):
    class Midpoint:
        def uniform(self, low, high):
            return (low + high) / 2

    delays = [delivery.retry_delay(n, rng=Midpoint()) for n in range(1, 5)]

    assert delays == [5, 300, 1800, None]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 04 Dec 2030 10:02:00 GMT", 120.0),
        ("Wed, 04 Dec 2030 09:00:00 GMT", 0.0),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header, expected):
    now = datetime(2030, 12, 4, 10, 0, tzinfo=UTC)

    assert delivery.parse_retry_after(header, now=now) == expected


@pytest.mark.parametrize("status_code", [429, 503])
def test_next_retry_delay_honours_retry_after(delivery_settings, status_code):
    delay = delivery.next_retry_delay(
        attempt_number=1, status_code=status_code, retry_after="600"
    )

    # Up to 20 % more, so endpoints given the same time spread out.
    assert 600 <= delay <= 720


def test_next_retry_delay_ignores_retry_after_on_500(delivery_settings):
    delay = delivery.next_retry_delay(
        attempt_number=1, status_code=500, retry_after="600"
    )

    assert 4 <= delay <= 6


def test_next_retry_delay_caps_retry_after(delivery_settings):
    delay = delivery.next_retry_delay(
        attempt_number=1, status_code=429, retry_after="99999999"
    )

    assert 24 * 60 * 60 <= delay <= 1.2 * 24 * 60 * 60


# Fan-out


@pytest.mark.django_db
def test_fan_out_creates_one_delivery_per_subscribed_integration(
    team, owner, delivery_settings, monkeypatch
):
    url = "https://team.example.com/webhooks/payments"
    by_type = make_integration(team, url=url)
    by_wildcard = make_integration(team, url=url, events=["*"])
    make_integration(team, url=url, events=["invoice.paid"])
    make_integration(team, url=url, is_active=False)
    make_integration(team, url=url, status=IntegrationStatus.DISABLED)
    make_integration(team, url=url, deleted_at=timezone.now())
    make_integration(TeamFactory(owner=owner), url=url, events=["*"])
    event = Event.objects.create(
        team=team,
        type="payment.completed",
        data=PAYMENT_DATA,
        body=b"{}",
        created_at=timezone.now(),
    )
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    first = delivery.fan_out(event.pk)
    second = delivery.fan_out(event.pk)

    deliveries = Delivery.objects.filter(event=event)
    assert {d.integration_id for d in deliveries} == {by_type.pk, by_wildcard.pk}
    assert sorted(first) == sorted(d.pk for d in deliveries)
    assert sorted(second) == sorted(first)
    assert sorted(queued) == sorted(first + second)
    assert all(d.status == DeliveryStatus.PENDING for d in deliveries)
    assert all(d.next_attempt_at is not None for d in deliveries)


@pytest.mark.django_db
def test_fan_out_skips_deleted_team(team, delivery_settings, monkeypatch):
    make_integration(team, url="https://team.example.com/webhooks/payments")
    event = publish(team)
    team.deleted_at = timezone.now()
    team.save(update_fields=["deleted_at"])
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    assert delivery.fan_out(event.pk) == []

    assert Delivery.objects.count() == 0
    assert queued == []


@pytest.mark.django_db
def test_fan_out_sends_team_deleted_of_deleted_team(
    team, owner, delivery_settings, monkeypatch
):
    integration = make_integration(
        team, url="https://team.example.com/webhooks/payments", events=["*"]
    )
    team.deleted_at = timezone.now()
    team.save(update_fields=["deleted_at"])
    event = publish(team, "team.deleted", {"id": team.public_id})
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    delivery_pks = delivery.fan_out(event.pk)

    [created] = Delivery.objects.filter(event=event)
    assert created.integration_id == integration.pk
    assert delivery_pks == [created.pk]
    assert queued == [created.pk]


@pytest.mark.django_db
def test_team_delete_sends_team_deleted_event(
    team,
    owner,
    receiver,
    delivery_settings,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    make_integration(team, url=receiver.url(), events=["team.deleted"])

    with django_capture_on_commit_callbacks(execute=True):
        team_delete(actor=Actor(user=owner), team=team)

    [request] = receiver.received()
    assert json.loads(request.body)["type"] == "team.deleted"
    assert json.loads(request.body)["data"] == {"id": team.public_id}
    assert request.verify(PAGE_SECRET)


@pytest.mark.django_db
def test_attempt_skips_event_of_deleted_team(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    team.deleted_at = timezone.now()
    team.save(update_fields=["deleted_at"])

    assert delivery.attempt_delivery(due.pk) is None

    assert receiver.received() == []
    due.refresh_from_db()
    assert due.status == DeliveryStatus.FAILED


@pytest.mark.django_db
def test_event_publish_delivers_after_commit(
    team, receiver, delivery_settings, eager_celery, django_capture_on_commit_callbacks
):
    integration = make_integration(team, url=receiver.url())

    with django_capture_on_commit_callbacks(execute=True):
        event = publish(team)

    [request] = receiver.received()
    assert request.body == bytes(event.body)
    assert request.verify(PAGE_SECRET)
    delivery_row = Delivery.objects.get(event=event, integration=integration)
    assert delivery_row.status == DeliveryStatus.SUCCEEDED


# Attempts


@pytest.mark.django_db
def test_attempt_sends_stored_body_signed(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    before = int(timezone.now().timestamp())

    attempt = delivery.attempt_delivery(due.pk)

    [request] = receiver.received()
    assert request.body == bytes(due.event.body)
    assert json.loads(request.body) == {
        "id": due.event.public_id,
        "type": "payment.completed",
        "timestamp": json.loads(bytes(due.event.body))["timestamp"],
        "teamId": team.public_id,
        "data": PAYMENT_DATA,
    }
    assert request.headers["webhook-id"] == due.event.public_id
    assert before <= int(request.headers["webhook-timestamp"]) <= before + 2
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Connect-Webhooks/1.0"
    assert request.verify(PAGE_SECRET)
    assert attempt.status_code == 200
    assert attempt.response_body == "ok"
    assert attempt.error == ""
    due.refresh_from_db()
    assert due.status == DeliveryStatus.SUCCEEDED
    assert due.attempt_count == 1
    assert due.last_status_code == 200
    assert due.locked_until is None
    assert due.next_attempt_at is None
    assert due.succeeded_at is not None
    integration.refresh_from_db()
    assert integration.last_delivery_at == due.succeeded_at
    assert integration.failing_since is None


@pytest.mark.django_db
def test_attempt_500_records_attempt_and_schedules_retry(
    team, receiver, delivery_settings
):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    receiver.script("/hook", Reply(status=500, body=b"x" * 5000))

    attempt = delivery.attempt_delivery(due.pk)
    finished = timezone.now()

    assert attempt.status_code == 500
    assert attempt.response_body == "x" * 4096
    assert attempt.error == ""
    due.refresh_from_db()
    assert due.status == DeliveryStatus.PENDING
    assert due.attempt_count == 1
    assert due.last_status_code == 500
    assert due.locked_until is None
    assert finished + timedelta(seconds=3.9) <= due.next_attempt_at
    assert due.next_attempt_at <= finished + timedelta(seconds=6)
    integration.refresh_from_db()
    assert integration.failing_since is not None
    assert integration.status == IntegrationStatus.ACTIVE


@pytest.mark.django_db
def test_retry_resends_same_id_and_body(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    receiver.script("/hook", Reply(status=500))
    delivery.attempt_delivery(due.pk)
    Delivery.objects.filter(pk=due.pk).update(next_attempt_at=timezone.now())

    delivery.attempt_delivery(due.pk)

    first, second = receiver.received()
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body == bytes(due.event.body)
    assert first.verify(PAGE_SECRET)
    assert second.verify(PAGE_SECRET)
    due.refresh_from_db()
    assert due.status == DeliveryStatus.SUCCEEDED
    assert due.attempt_count == 2
    assert list(due.attempts.values_list("status_code", flat=True)) == [500, 200]


@pytest.mark.django_db
def test_attempt_honours_retry_after_on_429(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    receiver.script("/hook", Reply(status=429, headers={"Retry-After": "120"}))
    started = timezone.now()

    delivery.attempt_delivery(due.pk)

    due.refresh_from_db()
    assert due.status == DeliveryStatus.PENDING
    assert due.next_attempt_at >= started + timedelta(seconds=120)
    assert due.next_attempt_at <= timezone.now() + timedelta(seconds=145)


@pytest.mark.django_db
def test_attempt_honours_retry_after_date_on_503(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    retry_at = timezone.now() + timedelta(minutes=10)
    receiver.script(
        "/hook",
        Reply(
            status=503,
            headers={"Retry-After": formatdate(retry_at.timestamp(), usegmt=True)},
        ),
    )

    delivery.attempt_delivery(due.pk)

    due.refresh_from_db()
    assert due.status == DeliveryStatus.PENDING
    assert due.next_attempt_at >= retry_at - timedelta(seconds=1)
    assert due.next_attempt_at <= retry_at + timedelta(seconds=122)


@pytest.mark.django_db
def test_attempt_connection_refused_schedules_retry(team, delivery_settings):
    integration = make_integration(team, url=closed_port_url())
    due = make_due_delivery(integration)

    attempt = delivery.attempt_delivery(due.pk)

    assert attempt.status_code is None
    assert attempt.error.startswith("ConnectError: ")
    due.refresh_from_db()
    assert due.status == DeliveryStatus.PENDING
    assert due.last_status_code is None
    assert due.next_attempt_at > timezone.now()


@pytest.mark.django_db
def test_in_process_attempt_leaves_rest_for_worker(team, delivery_settings):
    # In the caller's thread, another try would hold the caller's request.
    integration = make_integration(team, url=closed_port_url())
    tried, left = [make_due_delivery(integration) for _ in range(2)]

    attempts = delivery.deliveries_attempt([tried.pk, left.pk])

    assert [a.delivery_id for a in attempts] == [tried.pk]
    left.refresh_from_db()
    assert left.status == DeliveryStatus.PENDING
    assert left.attempt_count == 0
    assert left.lease_id is None


@pytest.mark.django_db
def test_attempt_stores_response_body_with_nul_bytes(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    receiver.script("/hook", Reply(status=500, body=b"bad\x00\xffbody"))

    attempt = delivery.attempt_delivery(due.pk)

    attempt.refresh_from_db()
    assert attempt.response_body == "bad\ufffd\ufffdbody"


@pytest.mark.django_db
def test_attempt_410_disables_integration(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    receiver.script("/hook", Reply(status=410))

    delivery.attempt_delivery(due.pk)

    due.refresh_from_db()
    assert due.status == DeliveryStatus.FAILED
    assert due.next_attempt_at is None
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISABLED
    assert integration.disabled_reason == "The endpoint answered 410 Gone."


@pytest.mark.django_db
def test_attempt_410_sends_nothing_more_to_that_endpoint(
    team, receiver, delivery_settings
):
    gone_integration = make_integration(team, url=receiver.url("/gone"))
    other = make_integration(team, url=receiver.url("/other"))
    to_gone = [make_due_delivery(gone_integration) for _ in range(3)]
    to_other = make_due_delivery(other)
    receiver.script("/gone", *[Reply(status=410) for _ in range(3)])

    delivery.deliveries_attempt([d.pk for d in [*to_gone, to_other]])

    assert [r.path for r in receiver.received()] == ["/gone", "/other"]
    statuses = Delivery.objects.filter(integration=gone_integration).values_list(
        "status", "attempt_count"
    )
    assert sorted(statuses) == [(DeliveryStatus.FAILED, 0)] * 2 + [
        (DeliveryStatus.FAILED, 1)
    ]


@contextmanager
def raw_http_server(respond):
    """Serve each connection on 127.0.0.1 with ``respond(socket)``, for broken replies."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _address = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                with suppress(OSError):
                    respond(conn, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join()
        listener.close()


@pytest.mark.django_db
def test_attempt_ends_at_timeout_however_slowly_headers_arrive(team, delivery_settings):
    delivery_settings.CONNECT_WEBHOOK_TIMEOUT = 1

    def drip_headers(conn, stop):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(40):
            if stop.wait(0.1):
                return
            conn.sendall(b"X")

    with raw_http_server(drip_headers) as url:
        integration = make_integration(team, url=url)
        due = make_due_delivery(integration)

        attempt = delivery.attempt_delivery(due.pk)

    assert attempt.error == "Timed out after 1 seconds."
    assert 900 <= attempt.duration_ms < 1500


@pytest.mark.django_db
def test_attempt_keeps_long_body_error_within_its_column(team, delivery_settings):
    def bad_chunk(conn, stop):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"Z" * 600
            + b"\r\n"
        )

    with raw_http_server(bad_chunk) as url:
        integration = make_integration(team, url=url)
        due = make_due_delivery(integration)

        attempt = delivery.attempt_delivery(due.pk)

    stored = DeliveryAttempt.objects.get(pk=attempt.pk)
    assert stored.status_code == 200
    assert stored.error.startswith("Reading the response body failed: ")
    assert len(stored.error) == delivery.ERROR_LIMIT


@pytest.mark.django_db
def test_attempt_fails_for_good_when_schedule_exhausted(
    team, receiver, delivery_settings
):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    Delivery.objects.filter(pk=due.pk).update(attempt_count=3)
    receiver.script("/hook", Reply(status=502))

    delivery.attempt_delivery(due.pk)

    due.refresh_from_db()
    assert due.status == DeliveryStatus.FAILED
    assert due.attempt_count == 4
    assert due.next_attempt_at is None


@pytest.mark.django_db
def test_attempt_treats_redirect_as_failure(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    receiver.script(
        "/hook", Reply(status=302, headers={"Location": receiver.url("/elsewhere")})
    )

    attempt = delivery.attempt_delivery(due.pk)

    assert attempt.status_code == 302
    assert [r.path for r in receiver.received()] == ["/hook"]
    due.refresh_from_db()
    assert due.status == DeliveryStatus.PENDING
    assert due.last_status_code == 302


@pytest.mark.django_db
def test_attempt_timeout_records_error(team, receiver, delivery_settings):
    delivery_settings.CONNECT_WEBHOOK_TIMEOUT = 0.5
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    receiver.script("/hook", Reply(delay=1.5))

    attempt = delivery.attempt_delivery(due.pk)

    assert attempt.status_code is None
    assert attempt.error == "Timed out after 0.5 seconds."
    assert 400 <= attempt.duration_ms < 1500
    due.refresh_from_db()
    assert due.status == DeliveryStatus.PENDING
    assert due.attempt_count == 1


@pytest.mark.django_db
def test_attempt_to_forbidden_address_fails_without_retry(
    team, receiver, delivery_settings
):
    delivery_settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = False
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)

    attempt = delivery.attempt_delivery(due.pk)

    assert receiver.received() == []
    assert attempt.status_code is None
    assert attempt.error == (
        "ForbiddenAddress: The host 127.0.0.1 resolves to the forbidden address "
        "127.0.0.1."
    )
    due.refresh_from_db()
    assert due.status == DeliveryStatus.FAILED
    assert due.next_attempt_at is None


@pytest.mark.django_db
def test_attempt_skips_inactive_integration(team, receiver, delivery_settings):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    Integration.objects.filter(pk=integration.pk).update(is_active=False)

    assert delivery.attempt_delivery(due.pk) is None

    assert receiver.received() == []
    due.refresh_from_db()
    assert due.status == DeliveryStatus.FAILED
    assert due.attempt_count == 0
    assert due.locked_until is None


@pytest.mark.django_db
def test_attempt_signs_with_both_secrets_during_grace(
    team, receiver, delivery_settings
):
    new_secret = generate_secret()
    integration = make_integration(
        team,
        url=receiver.url(),
        secret=new_secret,
        previous_secret_encrypted=encrypt_secret(PAGE_SECRET),
        previous_secret_expires_at=timezone.now() + timedelta(hours=24),
    )
    due = make_due_delivery(integration)

    delivery.attempt_delivery(due.pk)

    [request] = receiver.received()
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verify(new_secret)
    assert request.verify(PAGE_SECRET)


@pytest.mark.django_db
def test_attempt_drops_previous_secret_after_grace(team, receiver, delivery_settings):
    new_secret = generate_secret()
    integration = make_integration(
        team,
        url=receiver.url(),
        secret=new_secret,
        previous_secret_encrypted=encrypt_secret(PAGE_SECRET),
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1),
    )
    due = make_due_delivery(integration)

    delivery.attempt_delivery(due.pk)

    [request] = receiver.received()
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert request.verify(new_secret)


@pytest.mark.django_db
def test_long_failure_disables_integration(team, receiver, delivery_settings):
    integration = make_integration(
        team,
        url=receiver.url(),
        failing_since=timezone.now() - timedelta(days=5, seconds=1),
    )
    due = make_due_delivery(integration)
    receiver.script("/hook", Reply(status=500))

    delivery.attempt_delivery(due.pk)

    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISABLED
    assert integration.disabled_reason == "Every delivery failed for more than 5 days."


@pytest.mark.django_db
def test_success_clears_failing_since(team, receiver, delivery_settings):
    integration = make_integration(
        team, url=receiver.url(), failing_since=timezone.now() - timedelta(days=4)
    )
    due = make_due_delivery(integration)

    delivery.attempt_delivery(due.pk)

    integration.refresh_from_db()
    assert integration.failing_since is None
    assert integration.status == IntegrationStatus.ACTIVE


# Claims, leases and the concurrency cap


def claim_pks(claim):
    return [item.pk for item in claim.deliveries] if claim else []


@pytest.mark.django_db
def test_claim_is_exclusive_until_lease_expires(team, delivery_settings):
    integration = make_integration(team, url="https://team.example.com/hook")
    due = make_due_delivery(integration)
    now = timezone.now()

    first = delivery.deliveries_claim([due.pk], now=now)
    second = delivery.deliveries_claim([due.pk], now=now)
    after_expiry = delivery.deliveries_claim(
        [due.pk], now=first.lease_end + timedelta(microseconds=1)
    )

    assert first.lease_end == now + timedelta(seconds=delivery.lease_seconds())
    assert claim_pks(first) == [due.pk]
    assert second is None
    assert claim_pks(after_expiry) == [due.pk]
    assert after_expiry.lease_id != first.lease_id


@pytest.mark.django_db
def test_claim_takes_only_due_unleased_pending_deliveries(team, delivery_settings):
    integration = make_integration(team, url="https://team.example.com/hook")
    due = make_due_delivery(integration)
    later = make_due_delivery(integration)
    finished = make_due_delivery(integration)
    leased = make_due_delivery(integration)
    now = timezone.now()
    Delivery.objects.filter(pk=later.pk).update(
        next_attempt_at=now + timedelta(minutes=5)
    )
    Delivery.objects.filter(pk=finished.pk).update(status=DeliveryStatus.SUCCEEDED)
    Delivery.objects.filter(pk=leased.pk).update(
        locked_until=now + timedelta(minutes=1)
    )

    claim = delivery.deliveries_claim(
        [due.pk, later.pk, finished.pk, leased.pk], now=now
    )

    assert claim_pks(claim) == [due.pk]
    assert delivery.deliveries_claim([later.pk, finished.pk], now=now) is None


@pytest.mark.django_db
def test_claim_puts_failing_integrations_last(team, delivery_settings):
    failing = make_integration(
        team, url="https://team.example.com/failing", failing_since=timezone.now()
    )
    healthy = make_integration(team, url="https://team.example.com/healthy")
    to_failing = make_due_delivery(failing)
    to_healthy = make_due_delivery(healthy)

    claim = delivery.deliveries_claim(
        [to_failing.pk, to_healthy.pk], now=timezone.now()
    )

    assert claim_pks(claim) == [to_healthy.pk, to_failing.pk]


@pytest.mark.django_db
def test_claim_postpones_integration_at_concurrency_cap(team, delivery_settings):
    slow = make_integration(team, url="https://team.example.com/slow")
    other = make_integration(team, url="https://team.example.com/other")
    to_slow = [make_due_delivery(slow) for _ in range(5)]
    to_other = make_due_delivery(other)
    now = timezone.now()

    # The cap is 2 claims in flight per integration, whatever their size.
    first = delivery.deliveries_claim([d.pk for d in to_slow[:2]], now=now)
    second = delivery.deliveries_claim([to_slow[2].pk], now=now)
    third = delivery.deliveries_claim([to_slow[3].pk, to_other.pk], now=now)

    assert claim_pks(first) == [to_slow[0].pk, to_slow[1].pk]
    assert claim_pks(second) == [to_slow[2].pk]
    assert claim_pks(third) == [to_other.pk]
    postponed = Delivery.objects.get(pk=to_slow[3].pk)
    assert postponed.next_attempt_at == now + timedelta(seconds=1)
    assert postponed.attempt_count == 0
    assert postponed.locked_until is None
    untouched = Delivery.objects.get(pk=to_slow[4].pk)
    assert untouched.next_attempt_at < now


@pytest.mark.django_db
def test_attempt_sends_a_claim_in_one_task(team, receiver, delivery_settings):
    first = make_integration(team, url=receiver.url("/first"))
    second = make_integration(team, url=receiver.url("/second"))
    deliveries = [make_due_delivery(first) for _ in range(3)]
    deliveries.append(make_due_delivery(second))

    attempts = delivery.deliveries_attempt([d.pk for d in deliveries])

    assert [a.status_code for a in attempts] == [200, 200, 200, 200]
    received = receiver.received()
    assert [r.path for r in received] == ["/first"] * 3 + ["/second"]
    assert [r.headers["webhook-id"] for r in received] == [
        d.event.public_id for d in deliveries
    ]
    for request, sent in zip(received, deliveries, strict=True):
        assert request.body == bytes(sent.event.body)
        assert request.verify(PAGE_SECRET)
    stored = Delivery.objects.filter(pk__in=[d.pk for d in deliveries])
    assert {d.status for d in stored} == {DeliveryStatus.SUCCEEDED}
    assert {d.attempt_count for d in stored} == {1}
    assert {d.lease_id for d in stored} == {None}
    assert {d.locked_until for d in stored} == {None}
    for integration in (first, second):
        integration.refresh_from_db()
        assert integration.last_delivery_at is not None


@pytest.mark.django_db
def test_attempt_keeps_no_cookie_between_deliveries(team, receiver, delivery_settings):
    other_team = TeamFactory(owner=team.memberships.first().user)
    setting_cookie = make_integration(team, url=receiver.url("/sets-cookie"))
    other = make_integration(other_team, url=receiver.url("/other"))
    receiver.script(
        "/sets-cookie", Reply(headers={"Set-Cookie": "session=team-one; Path=/"})
    )
    first = make_due_delivery(setting_cookie)
    second = make_due_delivery(other)

    delivery.deliveries_attempt([first.pk])
    delivery.deliveries_attempt([second.pk])

    assert [r.path for r in receiver.received()] == ["/sets-cookie", "/other"]
    assert "cookie" not in {name.lower() for name in receiver.received()[1].headers}


@pytest.mark.django_db
@pytest.mark.parametrize("in_workers", [True, False], ids=["workers", "in-process"])
def test_attempt_releases_what_the_time_budget_leaves(
    team,
    receiver,
    delivery_settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
    in_workers,
):
    monkeypatch.setattr(delivery, "tasks_run_in_workers", lambda: in_workers)
    delivery_settings.CONNECT_WEBHOOK_HAND_OVER_SECONDS = 60
    delivery_settings.CONNECT_WEBHOOK_BATCH_SECONDS = 0.2
    integration = make_integration(team, url=receiver.url())
    deliveries = [make_due_delivery(integration) for _ in range(3)]
    receiver.script("/hook", Reply(delay=0.3))
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    with django_capture_on_commit_callbacks(execute=True):
        attempts = delivery.deliveries_attempt([d.pk for d in deliveries])

    assert len(attempts) == 1
    assert len(receiver.received()) == 1
    # In-process, a queued task would run at once: the rest waits for a worker.
    assert queued == ([deliveries[1].pk, deliveries[2].pk] if in_workers else [])
    for released in deliveries[1:]:
        released.refresh_from_db()
        assert released.status == DeliveryStatus.PENDING
        assert released.attempt_count == 0
        assert released.locked_until is None
        assert released.next_attempt_at <= timezone.now()


@pytest.mark.django_db
def test_attempt_after_timeout_skips_that_endpoint_only(
    team, receiver, delivery_settings, monkeypatch, django_capture_on_commit_callbacks
):
    delivery_settings.CONNECT_WEBHOOK_TIMEOUT = 0.5
    # No hand-over here: this is about what the task itself does next.
    delivery_settings.CONNECT_WEBHOOK_HAND_OVER_SECONDS = 60
    monkeypatch.setattr(delivery, "tasks_run_in_workers", lambda: True)
    slow = make_integration(team, url=receiver.url("/slow"))
    fast = make_integration(team, url=receiver.url("/fast"))
    to_slow = [make_due_delivery(slow) for _ in range(3)]
    to_fast = make_due_delivery(fast)
    receiver.script("/slow", Reply(delay=1.5))
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)
    started = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        attempts = delivery.deliveries_attempt([d.pk for d in [*to_slow, to_fast]])

    assert [a.error or a.status_code for a in attempts] == [
        "Timed out after 0.5 seconds.",
        200,
    ]
    assert [r.path for r in receiver.received()] == ["/slow", "/fast"]
    assert queued == []
    for skipped in to_slow[1:]:
        skipped.refresh_from_db()
        assert skipped.attempt_count == 0
        assert skipped.locked_until is None
        assert skipped.next_attempt_at >= started + timedelta(seconds=1)


@pytest.mark.django_db
def test_attempt_finished_after_lease_expiry_keeps_new_holder(
    team, receiver, delivery_settings, caplog
):
    integration = make_integration(team, url=receiver.url())
    due = make_due_delivery(integration)
    claim = delivery.deliveries_claim([due.pk], now=timezone.now())
    outcome = delivery.delivery_send(claim.deliveries[0], {})
    # Meanwhile the lease expired and another worker claimed the delivery.
    other_lease = timezone.now() + timedelta(minutes=1)
    Delivery.objects.filter(pk=due.pk).update(
        lease_id=uuid.uuid4(), locked_until=other_lease
    )

    attempts = delivery.deliveries_record(claim, [outcome])

    assert [a.status_code for a in attempts] == [200]
    due.refresh_from_db()
    assert due.attempt_count == 0
    assert due.status == DeliveryStatus.PENDING
    assert due.locked_until == other_lease
    assert DeliveryAttempt.objects.filter(delivery=due).count() == 1
    assert delivery_messages(caplog) == [
        f"Delivery {due.public_id} finished after its lease expired (200); "
        "another worker may have sent it again"
    ]


@pytest.mark.django_db
def test_hand_over_releases_other_endpoints(team, delivery_settings):
    slow = make_integration(team, url="https://team.example.com/slow")
    fast = make_integration(team, url="https://team.example.com/fast")
    sending, behind = make_due_delivery(slow), make_due_delivery(slow)
    to_fast = make_due_delivery(fast)
    claim = delivery.deliveries_claim(
        [sending.pk, behind.pk, to_fast.pk], now=timezone.now()
    )
    progress = delivery.ClaimProgress(claim)
    progress.next_index = 1
    progress.sending = claim.deliveries[0]
    progress.sending_since = 100.0
    before = timezone.now()

    too_soon = delivery.claim_hand_over(progress, now=100.4)
    handed = delivery.claim_hand_over(progress, now=100.6)
    again = delivery.claim_hand_over(progress, now=100.8)

    assert too_soon == []
    assert handed == [to_fast.pk]
    assert again == []
    assert progress.handed_over_pks == {to_fast.pk}
    # The slow endpoint's other delivery would wait for it anyway: it stays.
    for still_leased in (sending, behind):
        still_leased.refresh_from_db()
        assert still_leased.lease_id == claim.lease_id
    to_fast.refresh_from_db()
    assert to_fast.lease_id is None
    assert to_fast.locked_until is None
    assert to_fast.next_attempt_at <= before


@pytest.mark.django_db(transaction=True)
def test_attempt_hands_over_while_slow_endpoint_answers(
    team, receiver, delivery_settings, monkeypatch
):
    delivery_settings.CONNECT_WEBHOOK_HAND_OVER_SECONDS = 0.2
    # Not subscribed to the events, so the fan-out after commit sends nothing.
    slow = make_integration(team, url=receiver.url("/slow"), events=["invoice.paid"])
    fast = make_integration(team, url=receiver.url("/fast"), events=["invoice.paid"])
    to_slow = make_due_delivery(slow)
    to_fast = make_due_delivery(fast)
    receiver.script("/slow", Reply(delay=1.0))
    monkeypatch.setattr(delivery, "tasks_run_in_workers", lambda: True)
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.append)

    attempts = delivery.deliveries_attempt([to_slow.pk, to_fast.pk])

    assert [a.status_code for a in attempts] == [200]
    assert [r.path for r in receiver.received()] == ["/slow"]
    assert queued == [[to_fast.pk]]
    to_slow.refresh_from_db()
    assert to_slow.status == DeliveryStatus.SUCCEEDED
    to_fast.refresh_from_db()
    assert to_fast.status == DeliveryStatus.PENDING
    assert to_fast.attempt_count == 0
    assert to_fast.lease_id is None


@pytest.mark.django_db
def test_attempt_after_429_holds_that_endpoint(
    team, receiver, delivery_settings, monkeypatch
):
    monkeypatch.setattr(delivery, "tasks_run_in_workers", lambda: True)
    delivery_settings.CONNECT_WEBHOOK_HAND_OVER_SECONDS = 60
    integration = make_integration(team, url=receiver.url())
    deliveries = [make_due_delivery(integration) for _ in range(3)]
    receiver.script("/hook", Reply(status=429, headers={"Retry-After": "600"}))
    started = timezone.now()

    attempts = delivery.deliveries_attempt([d.pk for d in deliveries])

    assert [a.status_code for a in attempts] == [429]
    assert len(receiver.received()) == 1
    for waiting in deliveries[1:]:
        waiting.refresh_from_db()
        assert waiting.attempt_count == 0
        assert waiting.lease_id is None
        assert waiting.next_attempt_at >= started + timedelta(seconds=600)


@pytest.mark.django_db
def test_interrupted_attempt_records_what_it_did(
    team, receiver, delivery_settings, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(delivery, "tasks_run_in_workers", lambda: True)
    delivery_settings.CONNECT_WEBHOOK_HAND_OVER_SECONDS = 60
    integration = make_integration(team, url=receiver.url())
    sent, interrupted, unreached = [make_due_delivery(integration) for _ in range(3)]
    send_webhook = delivery.send_webhook
    calls = []

    def send_then_stop(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise SoftTimeLimitExceeded()
        return send_webhook(**kwargs)

    monkeypatch.setattr(delivery, "send_webhook", send_then_stop)
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    with (
        pytest.raises(SoftTimeLimitExceeded),
        django_capture_on_commit_callbacks(execute=True),
    ):
        delivery.deliveries_attempt([sent.pk, interrupted.pk, unreached.pk])

    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.SUCCEEDED
    interrupted.refresh_from_db()
    assert interrupted.attempt_count == 1
    assert interrupted.status == DeliveryStatus.PENDING
    assert interrupted.attempts.get().error == (
        "The attempt was interrupted: SoftTimeLimitExceeded."
    )
    unreached.refresh_from_db()
    assert unreached.attempt_count == 0
    assert unreached.lease_id is None
    assert queued == [unreached.pk]


@pytest.mark.django_db
def test_failed_hand_over_is_released_by_record(
    team, receiver, delivery_settings, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(delivery, "tasks_run_in_workers", lambda: True)
    slow = make_integration(team, url=receiver.url("/slow"))
    fast = make_integration(team, url=receiver.url("/fast"))
    to_slow, to_fast = make_due_delivery(slow), make_due_delivery(fast)
    claim = delivery.deliveries_claim([to_slow.pk, to_fast.pk], now=timezone.now())
    progress = delivery.ClaimProgress(claim)
    # The watchdog marked the delivery as handed over, then its update failed.
    progress.handed_over_pks.add(to_fast.pk)
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)
    outcomes = []

    delivery.claim_send(claim, progress, outcomes)
    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliveries_record(claim, outcomes)

    assert [r.path for r in receiver.received()] == ["/slow"]
    assert queued == [to_fast.pk]
    to_fast.refresh_from_db()
    assert to_fast.lease_id is None
    assert to_fast.attempt_count == 0


@pytest.mark.django_db
def test_attempt_times_out_slow_name_lookup(team, delivery_settings, monkeypatch):
    delivery_settings.CONNECT_WEBHOOK_TIMEOUT = 0.5

    def slow_lookup(host, port):
        time.sleep(1.5)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(ssrf, "resolve_host", slow_lookup)
    integration = make_integration(team, url="http://slow-dns.invalid:9/hook")
    due = make_due_delivery(integration)

    attempt = delivery.attempt_delivery(due.pk)

    assert attempt.error == "Resolving slow-dns.invalid timed out."
    assert attempt.duration_ms < 1000


def test_hanging_lookups_of_one_host_spare_others(monkeypatch):
    release = threading.Event()

    def lookup(host, port):
        if host == "hangs.invalid":
            release.wait(10)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(ssrf, "resolve_host", lookup)
    try:
        for _ in range(ssrf.LOOKUPS_PER_HOST):
            with pytest.raises(ssrf.ResolveTimeout):
                ssrf.resolve_host_within("hangs.invalid", 443, 0.05)
        started = time.monotonic()
        with pytest.raises(ssrf.ResolveTimeout) as raised:
            ssrf.resolve_host_within("hangs.invalid", 443, 5)
        rejected_after = time.monotonic() - started

        other = ssrf.resolve_host_within("other.invalid", 443, 1)
    finally:
        release.set()

    assert rejected_after < 0.5
    assert str(raised.value) == (
        "Resolving hangs.invalid timed out: earlier lookups of it have not finished."
    )
    assert other == [ipaddress.ip_address("127.0.0.1")]


@pytest.mark.django_db
def test_interrupted_attempt_sends_nothing_more_after_410(
    team, receiver, delivery_settings, monkeypatch
):
    gone_integration = make_integration(team, url=receiver.url("/gone"))
    other = make_integration(team, url=receiver.url("/other"))
    to_gone, to_other = make_due_delivery(gone_integration), make_due_delivery(other)
    behind = make_due_delivery(gone_integration)
    receiver.script("/gone", Reply(status=410))
    send_webhook = delivery.send_webhook

    def stop_at_other(**kwargs):
        if kwargs["url"].endswith("/other"):
            raise SoftTimeLimitExceeded()
        return send_webhook(**kwargs)

    monkeypatch.setattr(delivery, "send_webhook", stop_at_other)
    # Sent in primary key order: /gone, /other (interrupted), then /gone again.
    with pytest.raises(SoftTimeLimitExceeded):
        delivery.deliveries_attempt([to_gone.pk, to_other.pk, behind.pk])

    assert [r.path for r in receiver.received()] == ["/gone"]
    behind.refresh_from_db()
    assert behind.status == DeliveryStatus.FAILED
    assert behind.attempt_count == 0


@pytest.mark.django_db
def test_410_from_integration_deleted_mid_claim(team, receiver, delivery_settings):
    deleted = make_integration(team, url=receiver.url("/deleted"))
    gone_integration = make_integration(team, url=receiver.url("/gone"))
    to_deleted, to_gone = (
        make_due_delivery(deleted),
        make_due_delivery(gone_integration),
    )
    receiver.script("/deleted", Reply(status=410))
    receiver.script("/gone", Reply(status=410))
    claim = delivery.deliveries_claim([to_deleted.pk, to_gone.pk], now=timezone.now())
    Integration.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    outcomes = []

    delivery.claim_send(claim, delivery.ClaimProgress(claim), outcomes)
    delivery.deliveries_record(claim, outcomes)

    gone_integration.refresh_from_db()
    assert gone_integration.status == IntegrationStatus.DISABLED


def delivery_messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name == delivery.__name__]


def claim_concurrently(delivery_pk_lists, now):
    """Claim each list of deliveries from its own thread and connection at once."""
    barrier = threading.Barrier(len(delivery_pk_lists))
    claims = [None] * len(delivery_pk_lists)

    def claim(index, delivery_pks):
        try:
            barrier.wait()
            claims[index] = delivery.deliveries_claim(delivery_pks, now=now)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=claim, args=[index, pks])
        for index, pks in enumerate(delivery_pk_lists)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claims


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_take_each_delivery_once(team, delivery_settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for concurrent connections")
    delivery_settings.CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION = 6
    # Not subscribed to the event, so the fan-out after commit sends nothing.
    integration = make_integration(
        team, url="https://team.example.com/hook", events=["invoice.paid"]
    )
    pks = [make_due_delivery(integration, "payment.completed").pk for _ in range(4)]

    claims = claim_concurrently([pks] * 6, timezone.now())

    claimed = [pk for claim in claims for pk in claim_pks(claim)]
    assert sorted(claimed) == sorted(pks)


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_respect_cap(team, delivery_settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for concurrent connections")
    # Not subscribed to the event, so the fan-out after commit sends nothing.
    integration = make_integration(
        team, url="https://team.example.com/hook", events=["invoice.paid"]
    )
    deliveries = [make_due_delivery(integration, "payment.completed") for _ in range(6)]

    claims = claim_concurrently(
        [[d.pk for d in deliveries[i : i + 2]] for i in range(0, 6, 2)],
        timezone.now(),
    )

    assert len([claim for claim in claims if claim is not None]) == 2
    leased = Delivery.objects.filter(locked_until__isnull=False)
    assert leased.count() == 4
    assert len({d.lease_id for d in leased}) == 2


# Sweep, manual retry, recovery and retention


@pytest.mark.django_db
def test_sweep_requeues_due_unleased_deliveries_once(
    team, delivery_settings, monkeypatch
):
    integration = make_integration(team, url="https://team.example.com/hook")
    now = timezone.now()
    due = make_due_delivery(integration)
    expired = make_due_delivery(integration)
    Delivery.objects.filter(pk=expired.pk).update(
        locked_until=now - timedelta(seconds=1)
    )
    leased = make_due_delivery(integration)
    Delivery.objects.filter(pk=leased.pk).update(
        locked_until=now + timedelta(minutes=1)
    )
    later = make_due_delivery(integration)
    Delivery.objects.filter(pk=later.pk).update(
        next_attempt_at=now + timedelta(minutes=1)
    )
    finished = make_due_delivery(integration)
    Delivery.objects.filter(pk=finished.pk).update(status=DeliveryStatus.SUCCEEDED)
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    first = delivery.deliveries_requeue_due()
    second = delivery.deliveries_requeue_due()

    assert sorted(first) == sorted([due.pk, expired.pk])
    assert second == []
    assert sorted(queued) == sorted([due.pk, expired.pk])


@pytest.mark.django_db
def test_sweep_queues_each_integration_in_its_own_batches(
    team, delivery_settings, monkeypatch
):
    first = make_integration(team, url="https://team.example.com/first")
    second = make_integration(team, url="https://team.example.com/second")
    due = [make_due_delivery(first), make_due_delivery(second)]
    due.append(make_due_delivery(first))
    batches = []
    monkeypatch.setattr(delivery, "delivery_queue", batches.append)

    delivery.deliveries_requeue_due()

    assert sorted(batches) == sorted([[due[0].pk, due[2].pk], [due[1].pk]])


@pytest.mark.django_db
def test_queue_failure_leaves_delivery_due(
    team, delivery_settings, monkeypatch, caplog
):
    integration = make_integration(team, url="https://team.example.com/hook")
    due = make_due_delivery(integration)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(tasks.deliver_batch, "apply_async", broker_down)

    delivery.delivery_queue([due.pk])

    assert caplog.messages == [
        "Queueing 1 deliveries failed, the sweep will queue them: "
        "Error 111 connecting to 127.0.0.1:6379."
    ]
    due.refresh_from_db()
    assert due.status == DeliveryStatus.PENDING
    assert due.next_attempt_at <= timezone.now()


@pytest.mark.django_db
def test_delivery_retry_makes_delivery_due_now(
    team, delivery_settings, monkeypatch, django_capture_on_commit_callbacks
):
    integration = make_integration(team, url="https://team.example.com/hook")
    failed = make_due_delivery(integration)
    Delivery.objects.filter(pk=failed.pk).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, attempt_count=8
    )
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    with django_capture_on_commit_callbacks(execute=True):
        retried = delivery.delivery_retry(delivery=failed)

    assert retried.status == DeliveryStatus.PENDING
    assert retried.next_attempt_at <= timezone.now()
    assert retried.attempt_count == 8
    assert queued == [failed.pk]


@pytest.mark.django_db
def test_delivery_retry_conflicts_while_sending(team, delivery_settings):
    integration = make_integration(team, url="https://team.example.com/hook")
    due = make_due_delivery(integration)
    delivery.deliveries_claim([due.pk], now=timezone.now())

    with pytest.raises(Conflict) as raised:
        delivery.delivery_retry(delivery=due)

    assert raised.value.message == (
        "This delivery is being sent right now; retry it after the attempt finishes."
    )


@pytest.mark.django_db
def test_deliveries_recover_requeues_failed_since(
    team, delivery_settings, monkeypatch, django_capture_on_commit_callbacks
):
    integration = make_integration(team, url="https://team.example.com/hook")
    old = make_due_delivery(integration)
    recent = make_due_delivery(integration)
    succeeded = make_due_delivery(integration)
    since = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk__in=[old.pk, recent.pk]).update(
        status=DeliveryStatus.FAILED
    )
    Delivery.objects.filter(pk=old.pk).update(created_at=since - timedelta(hours=1))
    Delivery.objects.filter(pk=succeeded.pk).update(status=DeliveryStatus.SUCCEEDED)
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    with django_capture_on_commit_callbacks(execute=True):
        count = delivery.deliveries_recover(integration=integration, since=since)

    assert count == 1
    assert queued == [recent.pk]
    assert Delivery.objects.get(pk=recent.pk).status == DeliveryStatus.PENDING
    assert Delivery.objects.get(pk=old.pk).status == DeliveryStatus.FAILED


@pytest.mark.django_db
def test_prune_deletes_only_old_finished_deliveries(team, delivery_settings):
    integration = make_integration(team, url="https://team.example.com/hook")
    old_success = make_due_delivery(integration)
    old_pending = make_due_delivery(integration)
    recent_success = make_due_delivery(integration)
    DeliveryAttempt.objects.create(delivery=old_success, attempted_at=timezone.now())
    Delivery.objects.filter(pk__in=[old_success.pk, recent_success.pk]).update(
        status=DeliveryStatus.SUCCEEDED
    )
    Delivery.objects.filter(pk__in=[old_success.pk, old_pending.pk]).update(
        created_at=timezone.now() - timedelta(days=91)
    )

    deleted = delivery.deliveries_prune()

    assert deleted == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {
        old_pending.pk,
        recent_success.pk,
    }
    assert DeliveryAttempt.objects.count() == 0


@pytest.mark.django_db
def test_sweep_fans_out_event_left_by_dead_process(
    team, delivery_settings, monkeypatch
):
    integration = make_integration(
        team, url="https://team.example.com/webhooks/payments"
    )
    # The process that committed these events died before its on-commit hook.
    orphan = event_publish(team=team, event_type="payment.completed", data=PAYMENT_DATA)
    recent = event_publish(team=team, event_type="payment.completed", data=PAYMENT_DATA)
    Event.objects.filter(pk=orphan.pk).update(
        created_at=timezone.now()
        - timedelta(seconds=delivery.FAN_OUT_GRACE_SECONDS + 1)
    )
    queued = []
    monkeypatch.setattr(delivery, "delivery_queue", queued.extend)

    fanned_out = delivery.events_fan_out_missed()

    assert fanned_out == [orphan.pk]
    [created] = Delivery.objects.all()
    assert created.event_id == orphan.pk
    assert created.integration_id == integration.pk
    assert queued == [created.pk]
    orphan.refresh_from_db()
    recent.refresh_from_db()
    assert orphan.fanned_out_at is not None
    assert recent.fanned_out_at is None


@pytest.mark.django_db
def test_sweep_leaves_fanned_out_events_alone(team, delivery_settings, monkeypatch):
    make_integration(team, url="https://team.example.com/webhooks/payments")
    with transaction.atomic():
        event = event_publish(
            team=team, event_type="payment.completed", data=PAYMENT_DATA
        )
    monkeypatch.setattr(delivery, "delivery_queue", lambda pks: None)
    delivery.fan_out(event.pk)
    Event.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )

    assert delivery.events_fan_out_missed() == []
