import pytest

from connect_site.actors import Actor
from integrations.models import Event
from teams import services
from teams.models import AuditEntry, Team, TeamStatus
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    return Actor(user=make_user("staff@example.com", is_staff=True), source="admin")


def test_team_create_publishes_team_created(owner):
    team = TeamFactory(owner=owner, name="Alpha")

    event = Event.objects.get(team=team)
    assert event.type == "team.created"
    assert event.data["id"] == team.public_id
    assert event.data["name"] == "Alpha"


def test_set_status_suspends_and_publishes_update(owner, staff):
    team = TeamFactory(owner=owner)

    services.team_set_status(actor=staff, team=team, status="suspended")

    team.refresh_from_db()
    assert team.status == TeamStatus.SUSPENDED
    event = Event.objects.get(team=team, type="team.updated")
    assert event.data == {
        "id": team.public_id,
        "changes": {"status": "suspended"},
    }
    entry = AuditEntry.objects.get(action="team.suspended")
    assert entry.changes == {"status": "suspended"}
    assert entry.actor_email == "staff@example.com"


def test_set_status_to_current_status_changes_nothing(owner, staff):
    team = TeamFactory(owner=owner)

    services.team_set_status(actor=staff, team=team, status="active")

    assert not Event.objects.filter(type="team.updated").exists()
    assert not AuditEntry.objects.filter(action="team.reactivated").exists()


def test_set_status_rejects_unknown_status(owner, staff):
    team = TeamFactory(owner=owner)

    with pytest.raises(ValueError, match="closed"):
        services.team_set_status(actor=staff, team=team, status="closed")

    assert Team.objects.get(pk=team.pk).status == TeamStatus.ACTIVE


def test_delete_publishes_team_deleted_and_audits(owner):
    team = TeamFactory(owner=owner)

    services.team_delete(actor=Actor(user=owner), team=team)

    assert Event.objects.filter(team=team, type="team.deleted").count() == 1
    assert AuditEntry.objects.filter(team=team, action="team.deleted").count() == 1


def test_restore_of_visible_team_changes_nothing(owner, staff):
    team = TeamFactory(owner=owner)

    services.team_restore(actor=staff, team=team)

    assert not AuditEntry.objects.filter(action="team.restored").exists()


def test_update_publishes_only_changed_fields(owner):
    team = TeamFactory(owner=owner, name="Alpha", industry="Retail")

    services.team_update(
        actor=Actor(user=owner),
        team=team,
        data={"name": "Alpha", "industry": "Food", "settings": {"language": "en"}},
    )

    event = Event.objects.get(team=team, type="team.updated")
    assert event.data == {
        "id": team.public_id,
        "changes": {"industry": "Food", "settings.language": "en"},
    }
