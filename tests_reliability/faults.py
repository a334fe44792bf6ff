"""Processes that the fault tests start, kill and restart.

Everything here runs on loopback and on resources of this suite only: a
Redis server of its own on port 6390 (never the shared one on 6379), Celery
workers pointed at the pytest database, and connections of that database.
PostgreSQL itself is never restarted, because other test runs share it;
``database_connections_terminate`` ends every other session of the test
database instead, which is what clients see when the server restarts.
"""

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[1]
CELERY = PROJECT_DIR / ".venv" / "bin" / "celery"
FAULT_REDIS_PORT = 6390


def wait_until(condition, *, timeout, interval=0.2, message="condition"):
    """Poll ``condition`` until it returns a true value, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {message}.")
        time.sleep(interval)


class RedisServer:
    """A throw-away redis-server on 127.0.0.1 without persistence."""

    def __init__(self, port=FAULT_REDIS_PORT):
        self.port = port
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.is_up, timeout=10, message=f"Redis on port {self.port}")
        return self

    def is_up(self):
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() == "PONG"

    def stop(self):
        """Stop the server at once; what it held is lost, as after a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, down_seconds=0.0):
        self.stop()
        time.sleep(down_seconds)
        return self.start()


def database_url():
    settings_dict = connection.settings_dict
    credentials = ""
    if settings_dict.get("USER"):
        credentials = quote(settings_dict["USER"], safe="")
        if settings_dict.get("PASSWORD"):
            credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
        credentials += "@"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


class Worker:
    """A ``celery worker --beat`` subprocess in its own process group."""

    def __init__(self, *, broker_url, env_overrides):
        self.work_dir = Path(tempfile.mkdtemp(prefix="rel-worker-"))
        self.log_path = self.work_dir / "worker.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "connect_site.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "CONN_MAX_AGE": "0",
            **env_overrides,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "connect_site",
                    "worker",
                    "--beat",
                    f"--schedule={self.work_dir / 'beat-schedule'}",
                    "-Q",
                    "connect",
                    "--pool=prefork",
                    "--concurrency=2",
                    "--loglevel=INFO",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    f"--hostname=rel-{os.getpid()}-{time.monotonic_ns()}@%h",
                ],
                cwd=PROJECT_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until(
                lambda: " ready." in self.log_text() or self.process.poll() is not None,
                timeout=60,
                message="the Celery worker to be ready",
            )
        except AssertionError:
            self.kill()
            raise
        if self.process.poll() is not None:
            raise AssertionError(f"The Celery worker exited:\n{self.log_text()}")

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def kill(self):
        """SIGKILL the worker, its pool children and beat, as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def database_connections_terminate():
    """End every other session of the test database and return how many.

    The test's own session survives so that it can keep checking results.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(cursor.fetchall())


def emails_sent_to(mail_dir, address):
    """Count the emails to ``address`` that the file email backend wrote."""
    count = 0
    for path in Path(mail_dir).glob("*"):
        text = path.read_text(errors="replace")
        count += text.count(f"\nTo: {address}\n")
    return count
