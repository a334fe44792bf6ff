import pytest

from members.models import Membership
from teams.tests.factories import TeamFactory


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner, name="Acme")


@pytest.fixture
def owner_membership(team, owner):
    return Membership.objects.get(team=team, user=owner)


@pytest.fixture
def members_url(team):
    return f"/v2/connect/teams/{team.public_id}/members"


@pytest.fixture(autouse=True)
def celery_tasks_run_in_process():
    """Run queued tasks in-process, also when REDIS_URL names a real broker.

    Tests that need a real worker use ``celery_worker_process``, which turns
    this off again.
    """
    from connect_site.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
