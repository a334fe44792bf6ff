"""Create the benchmark database and fill it with teams quickly.

Rows are written with one ``INSERT ... SELECT`` per table rather than through
the services, which would take one transaction and several queries per team;
the API benchmark reports the seeding time as ``api.seed_<n>_time``. Each team gets what
``team_create`` would give it: an active owner membership and the catalog's
onboarding steps in catalog order.
"""

import logging
import time

import psycopg

from bench.server import POSTGRES_URL

logger = logging.getLogger(__name__)

INDUSTRIES = ["Technology", "Retail", "Health", "Education", "Logistics"]


def database_recreate(name):
    """Drop the database ``name`` if it exists and create it empty."""
    if not name.startswith("connect_bench"):
        raise ValueError(
            f"Invalid benchmark database name {name!r}: it must start with "
            "connect_bench, so that no other database is dropped."
        )
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


def insert_select(model, *, expressions, source):
    """Insert one ``model`` row per row of ``source`` with ``INSERT ... SELECT``.

    ``expressions`` maps field names to SQL expressions over ``source``. Every
    other field gets its model default, as with ``bulk_create``, so a field
    added later with a default needs no change here. ``auto_now`` and
    ``auto_now_add`` fields get now().
    Returns the number of rows inserted.
    """
    from django.db import connection

    columns, selects, params = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(connection.ops.quote_name(model_field.column))
        if model_field.name in expressions:
            selects.append(expressions[model_field.name])
        elif getattr(model_field, "auto_now", False) or getattr(
            model_field, "auto_now_add", False
        ):
            selects.append("now()")
        else:
            # What bulk_create would store: the default, "" for text, or None.
            selects.append("%s")
            params.append(
                model_field.get_db_prep_save(model_field.get_default(), connection)
            )
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
        f"({', '.join(columns)}) SELECT {', '.join(selects)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def random_public_id(prefix, seed_expression):
    # 24 hexadecimal characters carry 96 random bits, the contract's minimum.
    return f"'{prefix}_' || substr(md5(random()::text || {seed_expression}), 1, 24)"


def teams_seed(*, user, count):
    """Add ``count`` teams owned by ``user`` and return their public ids.

    Teams are created 1 ms apart, the newest last, so that the list's order
    by creation time is well defined.
    """
    from django.db import transaction

    from members.models import Membership
    from onboarding.catalog import CATALOG
    from onboarding.models import TeamStep
    from teams.models import Team

    started = time.monotonic()
    industries = ", ".join(f"'{industry}'" for industry in INDUSTRIES)
    steps = ", ".join(
        f"({position}, '{step.id}', {'true' if step.required else 'false'})"
        for position, step in enumerate(CATALOG)
    )
    with transaction.atomic():
        last_team_pk = Team.objects.order_by("-pk").values_list("pk", flat=True).first()
        insert_select(
            Team,
            expressions={
                "public_id": random_public_id("team", "g::text"),
                "name": "'Bench team ' || g",
                "industry": f"(ARRAY[{industries}])[1 + g %% {len(INDUSTRIES)}]",
                "created_by": str(user.pk),
                "created_at": f"now() - ({count} - g) * interval '1 millisecond'",
            },
            source=f"generate_series(1, {count}) AS g",
        )
        new_teams = (
            f"teams_team AS t WHERE t.id > {last_team_pk or 0} "
            f"AND t.created_by_id = {user.pk}"
        )
        insert_select(
            Membership,
            expressions={
                "public_id": random_public_id("mbr", "t.id::text"),
                "team": "t.id",
                "user": str(user.pk),
                "email": f"'{user.email}'",
                "role": "'owner'",
                "status": "'active'",
                "joined_at": "now()",
            },
            source=new_teams,
        )
        insert_select(
            TeamStep,
            expressions={
                "team": "t.id",
                "position": "s.position",
                "step_id": "s.step_id",
                "required": "s.required",
            },
            source=f"(VALUES {steps}) AS s(position, step_id, required) "
            f"CROSS JOIN {new_teams}",
        )
        public_ids = list(
            Team.objects.filter(pk__gt=last_team_pk or 0, created_by=user).values_list(
                "public_id", flat=True
            )
        )
    logger.info("Seeded %d teams in %.1fs", count, time.monotonic() - started)
    return public_ids


def database_analyze():
    """Refresh the planner's statistics, as autovacuum would after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
