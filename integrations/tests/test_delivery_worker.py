"""Webhook delivery through a real Celery worker on Redis and PostgreSQL.

Each test starts ``celery worker --beat`` as a subprocess pointed at the
pytest database, publishes events from the test process (so the messages
go through Redis) and watches a real HTTP receiver on 127.0.0.1.
"""

import os
import signal
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from connect_site.celery import app as celery_app
from integrations.delivery import delivery_queue
from integrations.events import event_publish
from integrations.models import Delivery, DeliveryStatus, Integration
from integrations.secrets import encrypt_secret, generate_secret
from integrations.tests.receiver import Reply, WebhookReceiver
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROJECT_DIR = Path(__file__).resolve().parents[2]
CELERY = PROJECT_DIR / ".venv" / "bin" / "celery"
PAGE_SECRET = "team_webhook_secret"
PAYMENT_DATA = {"paymentId": "pay_123", "amount": "1500.00", "currency": "MXN"}


def database_url():
    db = connection.settings_dict
    credentials = db["USER"] or ""
    if db["PASSWORD"]:
        credentials += f":{db['PASSWORD']}"
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


class WorkerProcess:
    """A ``celery worker --beat`` subprocess in its own process group."""

    def __init__(self, env_overrides):
        work_dir = Path(tempfile.mkdtemp(prefix="dlv-worker-"))
        self.log_path = work_dir / "worker.log"
        beat_schedule = work_dir / "beat-schedule"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CONNECT_WEBHOOK_ALLOW_LOOPBACK": "1",
            "CONNECT_WEBHOOK_RETRY_SCHEDULE": "1,1,2",
            "CONNECT_DELIVERY_SWEEP_SECONDS": "1",
            "CONN_MAX_AGE": "0",
            **env_overrides,
        }
        # The child keeps its own copy of the log's file descriptor.
        with self.log_path.open("wb") as log:
            self.process = self._spawn(beat_schedule, env, log)
        self.wait_ready()

    def _spawn(self, beat_schedule, env, log):
        return subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "connect_site",
                "worker",
                "--beat",
                f"--schedule={beat_schedule}",
                "--loglevel=INFO",
                "--pool=prefork",
                "--concurrency=3",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=dlv-test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"The Celery worker did not start:\n{self.log_text()}")

    def kill(self):
        """SIGKILL the worker and its pool children, as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def start_worker():
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL for a worker")
    celery_app.control.purge()
    # Tasks run in-process by default in tests; these go to the real worker.
    celery_app.conf.task_always_eager = False
    workers = []

    def start(**env_overrides):
        worker = WorkerProcess(env_overrides)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.kill()
    celery_app.control.purge()


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner)


def make_integration(team, *, url, events=("payment.completed",), secret, **fields):
    return Integration.objects.create(
        team=team,
        name="Team Payment Notifications",
        url=url,
        events=list(events),
        secret_encrypted=encrypt_secret(secret),
        **fields,
    )


def publish(team, event_type="payment.completed"):
    with transaction.atomic():
        return event_publish(team=team, event_type=event_type, data=PAYMENT_DATA)


def wait_for_status(delivery, status, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status == status:
            return delivery
        time.sleep(0.1)
    raise AssertionError(
        f"Delivery {delivery.public_id} stayed {delivery.status}, expected {status}."
    )


@pytest.mark.parametrize(
    "secret", [generate_secret(), PAGE_SECRET], ids=["whsec", "plain"]
)
def test_worker_retries_after_500_then_succeeds(team, receiver, start_worker, secret):
    start_worker()
    integration = make_integration(team, url=receiver.url("/hook"), secret=secret)
    receiver.script("/hook", Reply(status=500, body=b"try later"))

    event = publish(team)

    first, second = receiver.wait_for(2, path="/hook")
    assert (
        first.headers["webhook-id"] == second.headers["webhook-id"] == event.public_id
    )
    assert first.body == second.body == bytes(event.body)
    assert first.verify(secret)
    assert second.verify(secret)
    assert second.received_at - first.received_at >= 0.8
    delivery = wait_for_status(
        Delivery.objects.get(event=event, integration=integration),
        DeliveryStatus.SUCCEEDED,
    )
    assert delivery.attempt_count == 2
    assert list(
        delivery.attempts.values_list("status_code", "response_body", "error")
    ) == [(500, "try later", ""), (200, "ok", "")]


def test_worker_retries_after_timeout_then_succeeds(team, receiver, start_worker):
    start_worker(CONNECT_WEBHOOK_TIMEOUT="1")
    integration = make_integration(team, url=receiver.url("/hook"), secret=PAGE_SECRET)
    receiver.script("/hook", Reply(delay=2))

    event = publish(team)

    first, second = receiver.wait_for(2, path="/hook")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body == bytes(event.body)
    assert second.verify(PAGE_SECRET)
    delivery = wait_for_status(
        Delivery.objects.get(event=event, integration=integration),
        DeliveryStatus.SUCCEEDED,
    )
    assert list(delivery.attempts.values_list("status_code", "error")) == [
        (None, "Timed out after 1 seconds."),
        (200, ""),
    ]


def test_worker_signs_with_both_secrets_during_rotation(team, receiver, start_worker):
    start_worker()
    new_secret = generate_secret()
    make_integration(
        team,
        url=receiver.url("/hook"),
        secret=new_secret,
        previous_secret_encrypted=encrypt_secret(PAGE_SECRET),
        previous_secret_expires_at=timezone.now() + timedelta(hours=24),
    )

    publish(team)

    [request] = receiver.wait_for(1, path="/hook")
    new_signature, old_signature = request.headers["webhook-signature"].split(" ")
    assert request.verify(new_secret)
    assert request.verify(PAGE_SECRET)
    assert new_signature != old_signature


def test_worker_sweep_sends_delivery_without_message(team, receiver, start_worker):
    integration = make_integration(team, url=receiver.url("/hook"), secret=PAGE_SECRET)
    with transaction.atomic():
        event = event_publish(team=team, event_type="invoice.paid", data=PAYMENT_DATA)
    # The integration is not subscribed to invoice.paid, so no message is
    # queued: only the sweep can find this row, as after a broker restart.
    delivery = Delivery.objects.create(
        event=event, integration=integration, next_attempt_at=timezone.now()
    )

    start_worker()

    [request] = receiver.wait_for(1, path="/hook")
    assert request.body == bytes(event.body)
    assert request.verify(PAGE_SECRET)
    wait_for_status(delivery, DeliveryStatus.SUCCEEDED)


def test_worker_killed_mid_delivery_loses_nothing(team, receiver, start_worker):
    worker_env = {
        "CONNECT_WEBHOOK_TIMEOUT": "2",
        "CONNECT_WEBHOOK_BATCH_SECONDS": "1",
        "CONNECT_DELIVERY_LEASE_MARGIN_SECONDS": "1",
    }
    first_worker = start_worker(**worker_env)
    integration = make_integration(team, url=receiver.url("/hook"), secret=PAGE_SECRET)
    receiver.script("/hook", Reply(delay=1.5))

    event = publish(team)
    receiver.wait_for(1, path="/hook")
    first_worker.kill()
    start_worker(**worker_env)

    first, second = receiver.wait_for(2, path="/hook", timeout=15)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body == bytes(event.body)
    delivery = wait_for_status(
        Delivery.objects.get(event=event, integration=integration),
        DeliveryStatus.SUCCEEDED,
    )
    assert list(delivery.attempts.values_list("status_code", flat=True)) == [200]


def test_worker_slow_integration_does_not_delay_others(team, receiver, start_worker):
    start_worker(
        CONNECT_WEBHOOK_TIMEOUT="5",
        CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION="1",
    )
    make_integration(
        team,
        url=receiver.url("/slow"),
        events=["payment.completed"],
        secret=PAGE_SECRET,
    )
    make_integration(
        team, url=receiver.url("/fast"), events=["invoice.paid"], secret=PAGE_SECRET
    )
    receiver.script("/slow", *[Reply(delay=3) for _ in range(4)])
    for _ in range(4):
        publish(team, "payment.completed")
    receiver.wait_for(1, path="/slow")

    published_at = time.monotonic()
    publish(team, "invoice.paid")

    [fast] = receiver.wait_for(1, path="/fast", timeout=10)
    assert fast.received_at - published_at < 1.0
    assert len(receiver.received("/slow")) == 1


def test_worker_slow_endpoint_does_not_delay_same_event(team, receiver, start_worker):
    start_worker(CONNECT_WEBHOOK_TIMEOUT="5")
    make_integration(team, url=receiver.url("/slow"), secret=PAGE_SECRET)
    # A batch sends to failing integrations last, so the slow endpoint's
    # delivery goes first and the fast one waits behind it.
    make_integration(
        team,
        url=receiver.url("/fast"),
        secret=PAGE_SECRET,
        failing_since=timezone.now(),
    )
    receiver.script("/slow", Reply(delay=3))

    published_at = time.monotonic()
    publish(team, "payment.completed")

    [fast] = receiver.wait_for(1, path="/fast", timeout=10)
    assert fast.received_at - published_at < 1.5
    [slow] = receiver.wait_for(1, path="/slow")
    assert slow.received_at < fast.received_at


def test_worker_sends_batch_to_slowish_endpoint_in_turn(team, receiver, start_worker):
    start_worker()
    # Subscribed to nothing published here, so only the batch below is sent.
    integration = make_integration(
        team, url=receiver.url("/slowish"), events=["invoice.paid"], secret=PAGE_SECRET
    )
    events = [publish(team) for _ in range(8)]
    deliveries = Delivery.objects.bulk_create(
        Delivery(event=event, integration=integration, next_attempt_at=timezone.now())
        for event in events
    )
    # Slower than the hand-over threshold, so the watchdog looks at each send.
    receiver.script("/slowish", *[Reply(delay=0.6) for _ in range(8)])
    started = time.monotonic()

    delivery_queue([d.pk for d in deliveries])

    received = receiver.wait_for(8, path="/slowish", timeout=20)
    # One after another: about 8 x 0.6 s, not one per sweep.
    assert received[-1].received_at - started < 7
