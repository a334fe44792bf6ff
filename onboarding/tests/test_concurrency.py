"""Concurrent completions on PostgreSQL: the checklist turns complete once."""

import threading

import pytest
from django.db import connection

from connect_site.actors import Actor
from integrations.models import Event
from onboarding.services import onboarding_step_complete
from onboarding.tests.data import VALID_STEP_DATA
from onboarding.tests.factories import complete_steps
from teams.tests.factories import TeamFactory


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_last_steps_publish_completed_once(owner):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; set DATABASE_URL")
    team = TeamFactory(owner=owner)
    complete_steps(team, owner, "team_setup")
    last_steps = ["payment_integration", "invoice_configuration"]
    barrier = threading.Barrier(len(last_steps))
    failures = []

    def complete(step_id):
        try:
            barrier.wait(timeout=10)
            onboarding_step_complete(
                actor=Actor(user=owner),
                team=team,
                step_id=step_id,
                data=VALID_STEP_DATA[step_id],
            )
        except Exception as exc:  # reported by the assert below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(s,)) for s in last_steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert Event.objects.filter(team=team, type="onboarding.completed").count() == 1
    assert (
        Event.objects.filter(team=team, type="onboarding.step_completed").count() == 3
    )
