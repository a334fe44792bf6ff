"""Fixtures shared by every app's tests."""

import ipaddress
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from connect_site.tests.helpers import use_celery_broker
from members.services import api_key_create

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def is_loopback_address(address):
    if not isinstance(address, tuple):
        return True  # a Unix socket path
    try:
        return ipaddress.ip_address(address[0]).is_loopback
    except ValueError:
        return address[0] == "localhost"


def fenced_connect(sock, address):
    if not is_loopback_address(address):
        raise ConnectionRefusedError(
            f"Tests may only connect to loopback, not {address!r}."
        )
    return _real_connect(sock, address)


def fenced_connect_ex(sock, address):
    if not is_loopback_address(address):
        raise ConnectionRefusedError(
            f"Tests may only connect to loopback, not {address!r}."
        )
    return _real_connect_ex(sock, address)


@pytest.fixture(autouse=True, scope="session")
def network_fenced_to_loopback():
    """Refuse every connection that would leave the machine."""
    socket.socket.connect = fenced_connect
    socket.socket.connect_ex = fenced_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture
def make_user(django_user_model):
    counter = iter(range(1, 10_000))

    def make(email=None, **fields):
        email = email or f"user{next(counter)}@example.com"
        return django_user_model.objects.create_user(
            username=email.lower(), email=email, **fields
        )

    return make


@pytest.fixture
def make_client():
    """Return an APIClient that sends ``Authorization: Bearer <secret>``."""

    def make(secret):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def make_key_client(make_client):
    """Create a key for ``user`` and return a client that uses it."""

    def make(user, **key_fields):
        _api_key, secret = api_key_create(user=user, name="test key", **key_fields)
        return make_client(secret)

    return make


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com")


@pytest.fixture
def owner_client(owner, make_key_client):
    return make_key_client(owner)


class CeleryWorkerProcess:
    """A Celery worker subprocess and where its log goes."""

    def __init__(self, process, log_path, env):
        self.process = process
        self.log_path = log_path
        self.env = env

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            # SIGTERM starts Celery's warm shutdown, which lets the current
            # task finish.
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache.

    Counts, rate-limit counters and sign-in throttles are keyed by ids, and
    a rolled-back test database hands the same ids out again.
    """
    from django.conf import settings
    from django.core.cache import cache

    if settings.REDIS_URL:
        # Only this project's keys: the Redis database may hold a broker's
        # queues or a developer's own data.
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{cache.key_prefix}:*", count=1000):
            client.delete(key)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def celery_tasks_run_in_process():
    """Run queued tasks in-process, also when REDIS_URL names a real broker.

    A test that needs a real worker starts one with ``celery_worker_process``,
    which turns this off again for that test.
    """
    from connect_site.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def worker_database_url(connection):
    settings_dict = connection.settings_dict
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    credentials = ""
    if user:
        credentials = quote(user, safe="")
        if password:
            credentials += ":" + quote(password, safe="")
        credentials += "@"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Return ``start(extra_env=None, queues="connect", redis_url=None)``.

    ``start`` runs ``celery -A connect_site worker --pool=solo`` as a
    subprocess against the test database and a Redis broker, waits until the
    worker logs that it is ready, and points this process's Celery app at the
    same broker with eager execution off. ``redis_url`` defaults to
    REDIS_URL; without it or without PostgreSQL the test is skipped. Use a
    Redis database of your own: the queue is purged before the worker starts. Rows must be committed
    to be seen, hence ``transactional_db``. Workers stop at teardown, before
    the database is flushed.
    """
    from django.db import connection

    from connect_site.celery import app

    workers = []
    previous_broker = None

    def start(extra_env=None, queues="connect", redis_url=None, timeout=60):
        nonlocal previous_broker
        redis_url = redis_url or os.environ.get("REDIS_URL")
        if connection.vendor != "postgresql" or not redis_url:
            # An in-memory SQLite test database cannot be shared with another
            # process, and the worker needs a broker.
            pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL for a worker")
        if previous_broker is None:
            previous_broker = use_celery_broker(app, redis_url, always_eager=False)
            app.control.purge()

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "connect_site.settings",
            "DATABASE_URL": worker_database_url(connection),
            "REDIS_URL": redis_url,
            "CONN_MAX_AGE": "0",
            **(extra_env or {}),
        }
        log_path = tmp_path / f"celery-worker-{len(workers)}.log"
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery),
            "-A",
            "connect_site",
            "worker",
            "-Q",
            queues,
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"pytest-{os.getpid()}-{len(workers)}@%h",
        ]
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command,
                cwd=Path(__file__).resolve().parent,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        worker = CeleryWorkerProcess(process, log_path, env)
        workers.append(worker)

        deadline = time.monotonic() + timeout
        while " ready." not in worker.log():
            if process.poll() is not None:
                pytest.fail(f"The Celery worker exited early:\n{worker.log()[-3000:]}")
            if time.monotonic() > deadline:
                worker.stop()
                pytest.fail(
                    f"The Celery worker was not ready after {timeout} s:\n"
                    f"{worker.log()[-3000:]}"
                )
            time.sleep(0.2)
        return worker

    yield start

    for worker in workers:
        worker.stop()
    if previous_broker is not None:
        use_celery_broker(app, *previous_broker)
