"""A mixed load against gunicorn and one Celery worker for a bounded time.

Reads and writes of teams, member invitations and event publishing, weighted
roughly as a platform's traffic might be. Each team has one integration that
points at bench.receiver, so published events also become deliveries. A
request kind whose endpoint does not exist yet is left out with a note.
"""

import json
import logging

from bench import seed, server
from bench.api import CREATE_BODY, bearer, load_run
from bench.delivery import SECRET, receiver_url

logger = logging.getLogger(__name__)

LOAD_TEAMS = 20
JSON_HEADERS = {"Content-Type": "application/json"}


def endpoint_exists(path):
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name != "api-not-found"


def integrations_create(team_ids):
    from integrations.models import Integration
    from integrations.secrets import encrypt_secret
    from teams.models import Team

    secret_encrypted = encrypt_secret(SECRET)
    Integration.objects.bulk_create(
        Integration(
            team=team,
            name="Bench load hook",
            url=receiver_url(f"/hooks/load/{team.public_id}"),
            events=["*"],
            secret_encrypted=secret_encrypted,
        )
        for team in Team.objects.filter(public_id__in=team_ids)
    )


def request_kinds(secret, team_ids):
    headers = bearer(secret)
    write_headers = bearer(secret, **JSON_HEADERS)
    team_path = "/v2/connect/teams/{team}"
    kinds = [
        ("list_teams", 4, "GET", "/v2/connect/teams?limit=20", headers, None),
        ("get_team", 3, "GET", team_path, headers, None),
        (
            "create_team",
            1,
            "POST",
            "/v2/connect/teams",
            write_headers,
            json.dumps(CREATE_BODY),
        ),
        (
            "update_team",
            1,
            "PATCH",
            team_path,
            write_headers,
            json.dumps({"description": "Updated by the load run {unique}"}),
        ),
        (
            "invite_member",
            1,
            "POST",
            team_path + "/members",
            write_headers,
            json.dumps({"email": "invitee-{unique}@bench.example.com", "role": "user"}),
        ),
        (
            "publish_event",
            2,
            "POST",
            team_path + "/events",
            write_headers,
            json.dumps(
                {
                    "type": "payment.completed",
                    "data": {"paymentId": "pay_{unique}", "amount": 250.0},
                }
            ),
        ),
    ]
    return [
        {
            "name": name,
            "weight": weight,
            "method": method,
            "path": path,
            "headers": request_headers,
            "body": body,
            "teams": team_ids,
        }
        for name, weight, method, path, request_headers, body in kinds
    ]


def run(report, config):
    from django.db import connection

    user = seed.user_create("bench-load")
    secret = seed.api_key_for(user)
    team_ids = seed.teams_seed(user=user, count=LOAD_TEAMS)
    integrations_create(team_ids)
    connection.close()

    kinds = []
    for kind in request_kinds(secret, team_ids):
        sample_path = kind["path"].replace("{team}", team_ids[0]).split("?")[0]
        if endpoint_exists(sample_path):
            kinds.append(kind)
        else:
            report.note(f"load: skipped {kind['name']}: {sample_path} does not exist")

    env = server.service_env(config.database)
    receiver = server.start_receiver()
    web = server.start_gunicorn(env)
    worker = server.start_celery_worker(env, pool="threads", concurrency=4)
    try:
        result = load_run(config, kinds, duration=config.load_duration)
        total = result["total"]
        report.figure("load.rps", total["perSecond"], "req/s")
        report.figure("load.p50", total["p50Ms"], "ms")
        report.figure("load.p99", total["p99Ms"], "ms")
        server_errors = client_errors = connection_errors = 0
        for name, figures in result["requests"].items():
            report.figure(f"load.{name}_rps", figures["perSecond"], "req/s")
            report.figure(f"load.{name}_p99", figures["p99Ms"], "ms")
            connection_errors += figures["connectionErrors"]
            for status, count in figures["statuses"].items():
                if status.startswith("5"):
                    server_errors += count
                elif status.startswith("4"):
                    client_errors += count
                    report.note(f"load: {name} got {count} responses {status}")
        report.figure("load.server_errors", server_errors, "responses")
        report.figure("load.client_errors", client_errors, "responses")
        report.figure("load.connection_errors", connection_errors, "requests")
        report.figure("load.web_worker_peak_rss", server.worker_peak_rss_mb(web), "MB")
        report.figure(
            "load.celery_worker_peak_rss", server.worker_peak_rss_mb(worker), "MB"
        )
        if server_errors:
            logger.warning("5xx responses; see %s", web.log_path)
    finally:
        worker.stop()
        web.stop()
        receiver.stop()
