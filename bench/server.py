"""Start and stop the processes under test: gunicorn, Celery, the receiver.

Every process starts in its own session and is stopped, with its children, when
the benchmark ends, also when it fails or is interrupted.
"""

import atexit
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
# The benchmark's own ports, inside 8120-8139.
WEB_PORT = 8120
RECEIVER_PORT = 8121
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"
)
LOG_DIR = Path(tempfile.mkdtemp(prefix="connect-bench-"))

RATE_LIMIT_PER_MINUTE = 1_000_000_000

_running = []


def redis_flush():
    """Empty the benchmark's own Redis database, queued tasks included."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def database_url(name):
    return f"{POSTGRES_URL}/{name}"


def service_env(database, *, redis=True):
    """Return the environment of a web server or worker under test."""
    env = dict(os.environ)
    env.pop("CONNECT_ENV", None)
    env.update(
        DATABASE_URL=database_url(database),
        DEBUG="0",
        ALLOWED_HOSTS=HOST,
        CONNECT_BENCH="1",
        CONNECT_BASE_URL=f"http://{HOST}:{WEB_PORT}",
        CONNECT_WEBHOOK_ALLOW_LOOPBACK="1",
        LOG_LEVEL="WARNING",
        # Invitation emails of the load run stay in the worker's memory.
        EMAIL_URL="memorymail://",
        PYTHONPATH=str(ROOT),
        # The limits stay on, so each request still pays for its counter in
        # Redis, but are set too high for the benchmark's traffic to reach.
        CONNECT_RATE_LIMIT_READS_PER_MINUTE=str(RATE_LIMIT_PER_MINUTE),
        CONNECT_RATE_LIMIT_WRITES_PER_MINUTE=str(RATE_LIMIT_PER_MINUTE),
    )
    if redis:
        env["REDIS_URL"] = REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    return env


class Managed:
    """A child process in its own session, with its output in a log file."""

    def __init__(self, name, command, env):
        self.name = name
        self.log_path = LOG_DIR / f"{name}.log"
        self.log_file = self.log_path.open("wb")
        logger.info("Starting %s: %s", name, " ".join(command))
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _running.append(self)

    @property
    def pid(self):
        return self.process.pid

    def is_running(self):
        return self.process.poll() is None

    def log_tail(self, lines=20):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout=15):
        if self in _running:
            _running.remove(self)
        if self.is_running():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in %ss; killing it", self.name, timeout)
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        self.log_file.close()


def stop_all():
    for managed in list(reversed(_running)):
        managed.stop()


def _stop_on_signal(signum, frame):
    stop_all()
    sys.exit(128 + signum)


atexit.register(stop_all)
signal.signal(signal.SIGTERM, _stop_on_signal)


def start_gunicorn(env, *, workers=2, threads=4, port=WEB_PORT):
    """Serve the project with gunicorn's threaded workers and wait until it responds."""
    command = [
        str(BIN / "gunicorn"),
        "connect_site.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    server = Managed("gunicorn", command, env)
    wait_for_http(server, f"http://{HOST}:{port}/healthz")
    return server


def start_celery_worker(env, *, pool="threads", concurrency=8):
    command = [
        str(BIN / "celery"),
        "-A",
        "connect_site",
        "worker",
        "-Q",
        "connect",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    worker = Managed("celery", command, env)
    time.sleep(1)
    if not worker.is_running():
        raise RuntimeError(f"The Celery worker exited:\n{worker.log_tail()}")
    return worker


def wait_for_http(managed, url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not managed.is_running():
            raise RuntimeError(f"{managed.name} exited:\n{managed.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{managed.name} did not respond to {url} in {timeout}s:\n{managed.log_tail()}"
    )


def process_tree(pid):
    """Return ``pid`` and the ids of all its descendants, read from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in brackets and may contain spaces, so the fields are read after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def peak_rss_mb(pid):
    """Return the peak resident set size (VmHWM) of one process in MB, or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def worker_peak_rss_mb(managed):
    """Return the largest peak RSS among the process and its descendants.

    For gunicorn that is the busiest worker; for a Celery worker with the
    threads pool there is a single process.
    """
    peaks = [peak_rss_mb(pid) for pid in process_tree(managed.pid)]
    peaks = [peak for peak in peaks if peak is not None]
    return max(peaks) if peaks else None


def start_receiver(port=RECEIVER_PORT):
    """Start bench.receiver, the webhook endpoint of the delivery benchmark."""
    command = [sys.executable, "-m", "bench.receiver", str(port)]
    receiver = Managed("receiver", command, dict(os.environ, PYTHONPATH=str(ROOT)))
    wait_for_http(receiver, f"http://{HOST}:{port}/_count")
    return receiver
