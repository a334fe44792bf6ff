import pytest

from members.models import Membership
from teams.tests.factories import TeamFactory


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner)


@pytest.fixture
def owner_member(team, owner):
    return Membership.objects.get(team=team, user=owner)


@pytest.fixture
def add_member(make_user, make_key_client):
    """Add an active member with ``role`` to ``team``; return (membership, client)."""

    def add(team, role):
        user = make_user()
        membership = Membership.objects.create(
            team=team, user=user, email=user.email, role=role, status="active"
        )
        return membership, make_key_client(user)

    return add
