"""Create the benchmark database and fill it with teams quickly.

Rows are written with ``bulk_create`` rather than through the services, so
seeding 100,000 teams takes a minute rather than an hour. Each team gets what
``team_create`` would give it: an active owner membership and the catalog's
onboarding steps in catalog order.
"""

import logging
import time

import psycopg

from bench.server import POSTGRES_URL

logger = logging.getLogger(__name__)

INDUSTRIES = ["Technology", "Retail", "Health", "Education", "Logistics"]
BATCH_SIZE = 2000


def database_recreate(name):
    """Drop the database ``name`` if it exists and create it empty."""
    if not name.startswith("connect_bench"):
        raise ValueError(f"Refusing to recreate {name!r}: not a connect_bench_* name.")
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(name):
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_migrate():
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    logger.info("Migrated in %.1fs", time.monotonic() - started)


def user_create(username):
    from django.contrib.auth.models import User

    return User.objects.create_user(
        username=username, email=f"{username}@bench.example.com", password=None
    )


def api_key_for(user, name="bench"):
    from members.services import api_key_create

    _, secret = api_key_create(user=user, name=name)
    return secret


def teams_seed(*, user, count):
    """Add ``count`` teams owned by ``user`` and return their public ids."""
    from django.db import transaction
    from django.utils import timezone

    from members.models import Membership, MembershipStatus
    from members.roles import Role
    from onboarding.catalog import CATALOG
    from onboarding.models import TeamStep
    from teams.models import Team

    started = time.monotonic()
    public_ids = []
    for first in range(0, count, BATCH_SIZE):
        size = min(BATCH_SIZE, count - first)
        now = timezone.now()
        with transaction.atomic():
            teams = Team.objects.bulk_create(
                Team(
                    name=f"Bench team {first + index}",
                    industry=INDUSTRIES[(first + index) % len(INDUSTRIES)],
                    created_by=user,
                )
                for index in range(size)
            )
            Membership.objects.bulk_create(
                Membership(
                    team=team,
                    user=user,
                    email=user.email,
                    role=Role.OWNER,
                    status=MembershipStatus.ACTIVE,
                    joined_at=now,
                )
                for team in teams
            )
            TeamStep.objects.bulk_create(
                TeamStep(
                    team=team,
                    step_id=step.id,
                    position=position,
                    required=step.required,
                )
                for team in teams
                for position, step in enumerate(CATALOG)
            )
        public_ids.extend(team.public_id for team in teams)
    logger.info("Seeded %d teams in %.1fs", count, time.monotonic() - started)
    return public_ids


def database_analyze():
    """Refresh the planner's statistics, as autovacuum would after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
