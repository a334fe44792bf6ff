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
