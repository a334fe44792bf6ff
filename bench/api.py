"""Throughput of the Teams API beside a bare Django view, at 1k and 100k teams."""

import json
import logging
import subprocess
import sys
import time

from bench import seed, server
from teams.api.schema import CREATE_EXAMPLE_REQUEST

logger = logging.getLogger(__name__)

# The documented create example, with every field a team accepts.
CREATE_BODY = CREATE_EXAMPLE_REQUEST

LIST_PATH = "/v2/connect/teams?limit=20"
BARE_LIST_PATH = "/bench/teams?limit=20"


def load_run(config, requests, *, duration=None, concurrency=None):
    """Run bench.loadgen in a second process and return its figures."""
    spec = {
        "host": server.HOST,
        "port": server.WEB_PORT,
        "duration": duration or config.duration,
        "warmup": config.warmup,
        "concurrency": concurrency or config.concurrency,
        "requests": requests,
    }
    completed = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=server.ROOT,
        check=True,
        timeout=spec["duration"] + spec["warmup"] + 120,
    )
    result = json.loads(completed.stdout)
    if result.get("firstError"):
        logger.warning(
            "A load generator request failed: %s (all failures are counted as "
            "connection errors)",
            result["firstError"],
        )
    return result


def bearer(secret, **extra):
    return {"Authorization": f"Bearer {secret}", **extra}


def unexpected_count(figures, expected_status):
    return (
        sum(
            count
            for status, count in figures["statuses"].items()
            if status != str(expected_status)
        )
        + figures["connectionErrors"]
    )


def report_throughput(report, name, figures, expected_status=200):
    report.figure(f"{name}_rps", figures["perSecond"], "req/s")
    report.figure(f"{name}_p50", figures["p50Ms"], "ms")
    report.figure(f"{name}_p99", figures["p99Ms"], "ms")
    unexpected = unexpected_count(figures, expected_status)
    if unexpected:
        report.figure(f"{name}_unexpected_responses", unexpected, "responses")
        report.note(f"{name}: statuses {figures['statuses']}")


def list_and_bare(report, config, secret, label):
    """Measure the API list and the bare view over the same rows; return both rates."""
    listed = load_run(
        config,
        [
            {
                "name": "list",
                "method": "GET",
                "path": LIST_PATH,
                "headers": bearer(secret),
            }
        ],
    )["requests"]["list"]
    report_throughput(report, f"api.list_{label}", listed)
    bare = load_run(
        config,
        [
            {
                "name": "bare",
                "method": "GET",
                "path": BARE_LIST_PATH,
                "headers": bearer(secret),
            }
        ],
    )["requests"]["bare"]
    report_throughput(report, f"api.bare_list_{label}", bare)
    if bare["perSecond"]:
        report.figure(
            f"api.list_vs_bare_{label}_ratio",
            listed["perSecond"] / bare["perSecond"],
            "ratio",
        )
    return listed["perSecond"], bare["perSecond"]


def measure_create(report, config, secret):
    """Measure POST /v2/connect/teams with the create example's body."""
    request = {
        "name": "create",
        "method": "POST",
        "path": "/v2/connect/teams",
        "headers": bearer(secret, **{"Content-Type": "application/json"}),
        "body": json.dumps(CREATE_BODY),
    }
    created = load_run(config, [request])["requests"]["create"]
    report_throughput(report, "api.create", created, expected_status=201)


def captured_list_queries(secret, limit):
    """Run one list request in-process and return the SQL it executed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    # A first request writes the key's last use, which later requests skip
    # for a minute, so it is left out of the count.
    client.get("/v2/connect/teams?limit=1")
    with CaptureQueriesContext(connection) as context:
        response = client.get(f"/v2/connect/teams?limit={limit}")
    if response.status_code != 200:
        raise RuntimeError(
            f"GET /v2/connect/teams?limit={limit} returned {response.status_code}: "
            f"{response.content[:500]!r}"
        )
    return [query["sql"] for query in context.captured_queries]


def report_query_counts(report, secret):
    for limit in (1, 100):
        queries = captured_list_queries(secret, limit)
        report.figure(f"api.list_queries_limit_{limit}", len(queries), "queries")


def explain_list(report, secret, label):
    """EXPLAIN ANALYZE the count and page queries of one list request."""
    from django.db import connection

    plans = {}
    for sql in captured_list_queries(secret, 20):
        if '"teams_team"' not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        kind = "count" if sql.lstrip().upper().startswith("SELECT COUNT(") else "page"
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        plans[kind] = {"sql": sql, "plan": plan}
        execution = next(
            (line for line in plan if line.startswith("Execution Time")), ""
        )
        if execution:
            milliseconds = float(execution.split(":")[1].split()[0])
            report.figure(f"api.list_{kind}_query_{label}", milliseconds, "ms")
    report.detail(f"explain_list_{label}", plans)


def count_label(count):
    """Spell a row count for figure names: 1000 is "1k", 100000 is "100k"."""
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


def run(report, config):
    from django.db import connection

    owner = seed.user_create("bench-owner")
    creator = seed.user_create("bench-creator")
    owner_secret = seed.api_key_for(owner)
    creator_secret = seed.api_key_for(creator)
    seed.teams_seed(user=owner, count=config.teams_small)
    seed.database_analyze()
    report_query_counts(report, owner_secret)
    small, large = count_label(config.teams_small), count_label(config.teams_large)
    explain_list(report, owner_secret, small)
    connection.close()

    web = server.start_gunicorn(server.service_env(config.database))
    try:
        small_rate, _ = list_and_bare(report, config, owner_secret, small)
        measure_create(report, config, creator_secret)

        if config.teams_large > config.teams_small:
            started = time.monotonic()
            seed.teams_seed(user=owner, count=config.teams_large - config.teams_small)
            seed.database_analyze()
            report.figure(f"api.seed_{large}_time", time.monotonic() - started, "s")
            connection.close()
            large_rate, _ = list_and_bare(report, config, owner_secret, large)
            if small_rate:
                report.figure(
                    f"api.list_{large}_vs_{small}_ratio",
                    large_rate / small_rate,
                    "ratio",
                )
            explain_list(report, owner_secret, large)
            connection.close()
        report.figure("api.web_worker_peak_rss", server.worker_peak_rss_mb(web), "MB")
    finally:
        web.stop()
