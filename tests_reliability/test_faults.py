"""Fault tests: a worker killed, Redis restarted, database sessions ended.

Each test runs real Celery workers (with beat, so the delivery sweep runs)
against the pytest database and a Redis server of this suite on port 6390,
delivers to a receiver on 127.0.0.1, and checks afterwards that every event
reached the receiver at least once and that every invitation email went out
exactly once. PostgreSQL is shared with other runs, so it is not restarted:
``database_connections_terminate`` ends every other session of the test
database, which is what the workers and the site see when it restarts.
"""

import shutil
import tempfile
import threading
import time
from datetime import timedelta

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient
from werkzeug.test import Client as WerkzeugClient

from connect_site.actors import Actor
from connect_site.celery import app as celery_app
from connect_site.tests.helpers import use_celery_broker
from integrations.events import event_publish
from integrations.models import Delivery, DeliveryStatus, Event, Integration
from integrations.secrets import encrypt_secret, generate_secret
from integrations.tests.receiver import Reply, WebhookReceiver
from members.invitations import invitation_emails_reissue_unsent
from members.models import Membership
from members.services import api_key_create, member_invite
from teams.tests.factories import TeamFactory
from tests_reliability.faults import (
    RedisServer,
    Worker,
    database_connections_terminate,
    emails_sent_to,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAYMENT_DATA = {"paymentId": "pay_123", "amount": "1500.00", "currency": "MXN"}
DELIVERY_TIMEOUT = 90


@pytest.fixture
def redis_server():
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL on PostgreSQL, which the workers share")
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on PATH")
    server = RedisServer().start()
    previous = use_celery_broker(celery_app, server.url, always_eager=False)
    yield server
    use_celery_broker(celery_app, *previous)
    server.stop()


@pytest.fixture
def mail_dir():
    path = tempfile.mkdtemp(prefix="rel-mail-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_worker(redis_server, mail_dir):
    workers = []

    def start():
        worker = Worker(
            broker_url=redis_server.url,
            env_overrides={
                "CONNECT_WEBHOOK_ALLOW_LOOPBACK": "1",
                "CONNECT_WEBHOOK_RETRY_SCHEDULE": "1,1,1,1,1,1,1,1",
                "CONNECT_WEBHOOK_TIMEOUT": "2",
                "CONNECT_DELIVERY_LEASE_MARGIN_SECONDS": "1",
                "CONNECT_DELIVERY_SWEEP_SECONDS": "1",
                "EMAIL_URL": f"filemail://{mail_dir}",
            },
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.kill()
        # Shown by pytest only when the test fails.
        print(f"--- worker log {worker.log_path} ---\n{worker.log_text()[-6000:]}")


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner, name="Faulty team")


@pytest.fixture
def integration(team, receiver):
    return Integration.objects.create(
        team=team,
        name="Every event",
        url=receiver.url("/hook"),
        events=["*"],
        secret_encrypted=encrypt_secret(generate_secret()),
    )


def publish_events(team, count):
    for _ in range(count):
        with transaction.atomic():
            event_publish(team=team, event_type="payment.completed", data=PAYMENT_DATA)


def invite(team, owner, emails):
    for email in emails:
        member_invite(actor=Actor(user=owner), team=team, email=email, role="user")


def subscribed_events(integration):
    # Events from before the integration existed (team.created) have no
    # delivery to it.
    return Event.objects.filter(
        team=integration.team, created_at__gte=integration.created_at
    )


def undelivered_event_ids(integration, receiver):
    received = {request.headers.get("webhook-id") for request in receiver.received()}
    expected = set(subscribed_events(integration).values_list("public_id", flat=True))
    return expected - received


def delivery_states(integration):
    return list(
        Delivery.objects.filter(integration=integration).values_list(
            "event__public_id",
            "status",
            "attempt_count",
            "next_attempt_at",
            "locked_until",
        )
    )


def assert_every_event_delivered(integration, receiver):
    try:
        wait_until(
            lambda: not undelivered_event_ids(integration, receiver),
            timeout=DELIVERY_TIMEOUT,
            message="every event to reach the receiver",
        )
    except AssertionError as exc:
        raise AssertionError(
            f"{exc} Missing: {sorted(undelivered_event_ids(integration, receiver))}. "
            f"Deliveries: {delivery_states(integration)}"
        ) from None
    try:
        wait_until(
            lambda: (
                not Delivery.objects.filter(integration=integration)
                .exclude(status=DeliveryStatus.SUCCEEDED)
                .exists()
            ),
            timeout=DELIVERY_TIMEOUT,
            message="every delivery to be recorded as succeeded",
        )
    except AssertionError as exc:
        raise AssertionError(
            f"{exc} Deliveries: {delivery_states(integration)}"
        ) from None
    assert Delivery.objects.filter(integration=integration).count() == (
        subscribed_events(integration).count()
    )


def assert_one_email_each(mail_dir, emails, timeout=DELIVERY_TIMEOUT):
    try:
        wait_until(
            lambda: all(emails_sent_to(mail_dir, email) >= 1 for email in emails),
            timeout=timeout,
            message=f"an invitation email to each of {emails}",
        )
    except AssertionError as exc:
        counts = {email: emails_sent_to(mail_dir, email) for email in emails}
        raise AssertionError(f"{exc} Emails sent: {counts}") from None
    # Long enough for a duplicate from a retried task to show up.
    time.sleep(3)
    assert {
        email: emails_sent_to(mail_dir, email) for email in emails
    } == dict.fromkeys(emails, 1)


def test_worker_killed_during_deliveries(
    team, owner, integration, receiver, start_worker, mail_dir
):
    # The first deliveries hang long enough for the kill to catch them.
    receiver.script("/hook", *[Reply(delay=1.5) for _ in range(3)])
    first_worker = start_worker()
    publish_events(team, 8)
    invite(team, owner, ["kill-1@example.com", "kill-2@example.com"])
    receiver.wait_for(1, path="/hook", timeout=30)

    first_worker.kill()
    start_worker()

    assert_every_event_delivered(integration, receiver)
    assert_one_email_each(mail_dir, ["kill-1@example.com", "kill-2@example.com"])


def test_redis_restarted_while_requests_and_deliveries_run(
    team, owner, integration, receiver, start_worker, redis_server, mail_dir
):
    start_worker()
    _key, secret = api_key_create(user=owner, name="fault key")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    events_url = f"/v2/connect/teams/{team.public_id}/events"
    receiver.script("/hook", *[Reply(delay=0.5) for _ in range(4)])
    publish_events(team, 4)
    receiver.wait_for(1, path="/hook", timeout=30)

    redis_server.stop()
    while_down = [
        client.post(
            events_url,
            data={"type": "payment.completed", "data": PAYMENT_DATA},
            format="json",
        ).status_code
        for _ in range(3)
    ]
    redis_server.start()
    publish_events(team, 3)

    assert while_down == [201, 201, 201]
    assert_every_event_delivered(integration, receiver)


def test_redis_restart_loses_no_invitation_email(
    team, owner, receiver, start_worker, redis_server, mail_dir
):
    start_worker()
    invite(team, owner, ["before@example.com"])
    assert_one_email_each(mail_dir, ["before@example.com"])

    redis_server.stop()
    invite(team, owner, ["while-down@example.com"])
    redis_server.start()
    invite(team, owner, ["after@example.com"])
    assert_one_email_each(mail_dir, ["after@example.com"])
    # What beat's invitation sweep does once the lost email's grace period
    # is over: both are brought forward here instead of waited for.
    Membership.objects.filter(team=team).update(
        updated_at=timezone.now() - timedelta(hours=1)
    )
    reissued = invitation_emails_reissue_unsent()

    assert reissued == 1
    assert_one_email_each(
        mail_dir,
        ["before@example.com", "while-down@example.com", "after@example.com"],
        timeout=30,
    )


def test_database_sessions_ended_while_requests_and_deliveries_run(
    team, owner, integration, receiver, start_worker, mail_dir
):
    start_worker()
    _key, secret = api_key_create(user=owner, name="fault key")
    statuses = []
    may_continue = threading.Event()
    paused = threading.Event()

    def requests_around_the_outage():
        # Straight through the WSGI application, as a server calls it: unlike
        # Django's test client, this keeps the request signals that close or
        # health-check a persistent connection.
        client = WerkzeugClient(get_wsgi_application())
        headers = {"Authorization": f"Bearer {secret}"}
        url = f"/v2/connect/teams/{team.public_id}"
        try:
            for _ in range(3):
                statuses.append(client.get(url, headers=headers).status_code)
            paused.set()
            may_continue.wait(30)
            for _ in range(3):
                statuses.append(client.get(url, headers=headers).status_code)
        finally:
            connection.close()

    receiver.script("/hook", *[Reply(delay=1.0) for _ in range(4)])
    requester = threading.Thread(target=requests_around_the_outage)
    requester.start()
    publish_events(team, 6)
    invite(team, owner, ["db-1@example.com"])
    receiver.wait_for(1, path="/hook", timeout=30)
    assert paused.wait(30)

    ended = database_connections_terminate()
    may_continue.set()
    requester.join(60)
    invite(team, owner, ["db-2@example.com"])

    assert ended >= 2  # at least the request thread's and a worker's session
    assert statuses == [200] * 6
    assert_every_event_delivered(integration, receiver)
    assert_one_email_each(mail_dir, ["db-1@example.com", "db-2@example.com"])


def test_web_process_dying_after_commit_loses_no_event(
    team, integration, receiver, start_worker, monkeypatch
):
    from integrations import events

    start_worker()
    # The process that committed the event dies before its on-commit hook.
    monkeypatch.setattr(events, "queue_event_deliveries", lambda event_pk: None)
    publish_events(team, 1)
    monkeypatch.undo()

    wait_until(
        lambda: not undelivered_event_ids(integration, receiver),
        timeout=20,
        message="the orphaned event to reach the receiver",
    )
