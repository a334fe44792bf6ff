"""Run the benchmarks: ``python -m bench`` (``make bench``).

Environment variables shorten or select the run:

- ``BENCH_ONLY``: comma-separated parts to run, of ``api``, ``delivery``,
  ``load`` (default: all three, in that order).
- ``BENCH_TEAMS_SMALL`` / ``BENCH_TEAMS_LARGE``: teams listed in the two API
  measurements (default 1000 and 100000).
- ``BENCH_DURATION``: seconds of each API measurement (default 10), after
  ``BENCH_WARMUP`` seconds (default 2) whose requests are not counted.
- ``BENCH_CONCURRENCY``: client connections (default 8).
- ``BENCH_FANOUT``: integrations that receive one event (default 1000).
- ``BENCH_EVENTS``: events sent to one integration (default 10000).
- ``BENCH_DELIVERY_SECONDS``: the longest wait for one delivery measurement
  (default 60); a rate is then taken over the deliveries that arrived.
- ``BENCH_LOAD_DURATION``: seconds of the mixed load run (default 30).
- ``BENCH_KEEP_DB=1`` keeps the database afterwards for inspection.
"""

import logging
import os
import sys
import time
import warnings
from dataclasses import dataclass, field

from bench import server
from bench.report import Report

logger = logging.getLogger("bench")

PARTS = ("api", "delivery", "load")
DATABASE = "connect_bench"


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


@dataclass(frozen=True)
class Config:
    parts: tuple = PARTS
    database: str = DATABASE
    teams_small: int = 1000
    teams_large: int = 100_000
    duration: int = 10
    warmup: int = 2
    concurrency: int = 8
    fanout: int = 1000
    events: int = 10_000
    delivery_seconds: int = 60
    load_duration: int = 30
    keep_database: bool = False
    conditions: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls):
        parts = tuple(
            part.strip()
            for part in os.environ.get("BENCH_ONLY", ",".join(PARTS)).split(",")
            if part.strip()
        )
        unknown = sorted(set(parts) - set(PARTS))
        if unknown:
            raise SystemExit(
                f"BENCH_ONLY names unknown parts {', '.join(unknown)}; "
                f"use a comma-separated list of {', '.join(PARTS)}."
            )
        return cls(
            parts=parts,
            teams_small=env_int("BENCH_TEAMS_SMALL", 1000),
            teams_large=env_int("BENCH_TEAMS_LARGE", 100_000),
            duration=env_int("BENCH_DURATION", 10),
            warmup=env_int("BENCH_WARMUP", 2),
            concurrency=env_int("BENCH_CONCURRENCY", 8),
            fanout=env_int("BENCH_FANOUT", 1000),
            events=env_int("BENCH_EVENTS", 10_000),
            delivery_seconds=env_int("BENCH_DELIVERY_SECONDS", 60),
            load_duration=env_int("BENCH_LOAD_DURATION", 30),
            keep_database=os.environ.get("BENCH_KEEP_DB") == "1",
        )


def django_setup(config):
    """Point this process's Django at the benchmark database and migrate it."""
    os.environ.pop("CONNECT_ENV", None)
    os.environ.update(
        DATABASE_URL=server.database_url(config.database),
        DJANGO_SETTINGS_MODULE="connect_site.settings",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,testserver",
        REDIS_URL=server.REDIS_URL,
        CONNECT_WEBHOOK_ALLOW_LOOPBACK="1",
        CONNECT_BASE_URL=f"http://{server.HOST}:{server.WEB_PORT}",
        LOG_LEVEL="WARNING",
        CONNECT_RATE_LIMIT_READS_PER_MINUTE=str(server.RATE_LIMIT_PER_MINUTE),
        CONNECT_RATE_LIMIT_WRITES_PER_MINUTE=str(server.RATE_LIMIT_PER_MINUTE),
    )
    # With DEBUG=0 WhiteNoise warns that collectstatic has not run; the
    # benchmarks request no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from bench import seed

    seed.database_migrate()


def main():
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    config = Config.from_env()
    from bench import seed

    report = Report()
    started = time.monotonic()
    logger.info("Logs of the processes under test: %s", server.LOG_DIR)
    seed.database_recreate(config.database)
    server.redis_flush()
    failed = False
    try:
        django_setup(config)
        for part in config.parts:
            module = __import__(f"bench.{part}", fromlist=["run"])
            logger.info("Running the %s benchmark", part)
            try:
                module.run(report, config)
            except Exception as error:
                failed = True
                logger.exception("The %s benchmark failed", part)
                report.note(f"{part}: failed: {error}")
            finally:
                server.stop_all()
                # Tasks a part left queued must not run in the next part.
                server.redis_flush()
    finally:
        server.stop_all()
        report.figure("bench.total_time", time.monotonic() - started, "s")
        report.targets_check()
        report.write(
            {
                "parts": list(config.parts),
                "teamsSmall": config.teams_small,
                "teamsLarge": config.teams_large,
                "durationSeconds": config.duration,
                "concurrency": config.concurrency,
                "fanout": config.fanout,
                "events": config.events,
                "deliverySecondsLimit": config.delivery_seconds,
                "loadDurationSeconds": config.load_duration,
                "gunicorn": "2 gthread workers, 4 threads each",
            }
        )
        server.redis_flush()
        if not config.keep_database:
            from django.db import connections

            connections.close_all()
            seed.database_drop(config.database)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
