import pytest
from django.utils import timezone

from members.models import ApiKey
from members.services import api_key_create
from teams.models import AuditEntry, Team, TeamStatus
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

TEAMS_URL = "/admin/teams/team/"
AUDIT_URL = "/admin/teams/auditentry/"
KEYS_URL = "/admin/members/apikey/"


def run_action(admin_client, url, action, objects):
    return admin_client.post(
        url,
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )


@pytest.mark.parametrize("url", [TEAMS_URL, AUDIT_URL, KEYS_URL])
def test_changelist_opens_for_staff(admin_client, owner, url):
    team = TeamFactory(owner=owner)
    api_key_create(user=owner, name="deploy", team=team)

    response = admin_client.get(url)

    assert response.status_code == 200


def test_change_pages_open_for_staff(admin_client, owner):
    team = TeamFactory(owner=owner, metadata={"tier": "gold"})
    api_key, _secret = api_key_create(user=owner, name="deploy")
    entry = AuditEntry.objects.get(team=team)

    team_page = admin_client.get(f"{TEAMS_URL}{team.pk}/change/")
    entry_page = admin_client.get(f"{AUDIT_URL}{entry.pk}/change/")
    key_page = admin_client.get(f"{KEYS_URL}{api_key.pk}/change/")

    assert team_page.status_code == 200
    assert "gold" in team_page.content.decode()
    assert entry_page.status_code == 200
    assert key_page.status_code == 200


def test_team_search_by_name_and_public_id(admin_client, owner):
    alpha = TeamFactory(owner=owner, name="Alpha Foods")
    beta = TeamFactory(owner=owner, name="Beta Retail")

    by_name = admin_client.get(TEAMS_URL, {"q": "alpha"})
    by_id = admin_client.get(TEAMS_URL, {"q": beta.public_id})

    assert list(by_name.context["cl"].queryset) == [alpha]
    assert list(by_id.context["cl"].queryset) == [beta]


def test_team_search_by_member_email(admin_client, owner, make_user):
    mine = TeamFactory(owner=owner)
    TeamFactory(owner=make_user("other@example.com"))

    response = admin_client.get(TEAMS_URL, {"q": "OWNER@example.com"})

    assert list(response.context["cl"].queryset) == [mine]


def test_team_list_shows_deleted_teams_and_filters_them(admin_client, owner):
    kept = TeamFactory(owner=owner)
    deleted = TeamFactory(owner=owner)
    Team.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())

    everything = admin_client.get(TEAMS_URL)
    only_deleted = admin_client.get(TEAMS_URL, {"deleted": "yes"})
    not_deleted = admin_client.get(TEAMS_URL, {"deleted": "no"})

    assert set(everything.context["cl"].queryset) == {kept, deleted}
    assert list(only_deleted.context["cl"].queryset) == [deleted]
    assert list(not_deleted.context["cl"].queryset) == [kept]


def test_team_filters_by_status_and_country(admin_client, owner):
    mexican = TeamFactory(owner=owner, country="MX")
    colombian = TeamFactory(owner=owner, country="CO")
    Team.objects.filter(pk=colombian.pk).update(status=TeamStatus.SUSPENDED)

    by_country = admin_client.get(TEAMS_URL, {"country": "MX"})
    by_status = admin_client.get(TEAMS_URL, {"status__exact": "suspended"})

    assert list(by_country.context["cl"].queryset) == [mexican]
    assert list(by_status.context["cl"].queryset) == [colombian]


def test_suspend_action_suspends_and_audits(admin_client, admin_user, owner):
    team = TeamFactory(owner=owner)

    response = run_action(admin_client, TEAMS_URL, "suspend", [team])

    assert response.status_code == 200
    assert "Suspended 1 team(s)." in response.content.decode()
    team.refresh_from_db()
    assert team.status == TeamStatus.SUSPENDED
    entry = AuditEntry.objects.get(action="team.suspended")
    assert entry.team == team
    assert entry.actor_user == admin_user
    assert entry.source == "admin"


def test_reactivate_action_reactivates_and_audits(admin_client, owner):
    team = TeamFactory(owner=owner)
    Team.objects.filter(pk=team.pk).update(status=TeamStatus.SUSPENDED)

    run_action(admin_client, TEAMS_URL, "reactivate", [team])

    team.refresh_from_db()
    assert team.status == TeamStatus.ACTIVE
    assert AuditEntry.objects.filter(action="team.reactivated", team=team).exists()


def test_restore_action_brings_team_back_to_api(admin_client, owner, owner_client):
    team = TeamFactory(owner=owner)
    owner_client.delete(f"/v2/connect/teams/{team.public_id}")

    response = run_action(admin_client, TEAMS_URL, "restore", [team])

    assert "Restored 1 team(s)." in response.content.decode()
    team.refresh_from_db()
    assert team.deleted_at is None
    assert owner_client.get(f"/v2/connect/teams/{team.public_id}").status_code == 200
    entry = AuditEntry.objects.get(action="team.restored")
    assert entry.source == "admin"


def test_team_change_page_saves_nothing(admin_client, owner):
    team = TeamFactory(owner=owner, name="Alpha")

    response = admin_client.post(f"{TEAMS_URL}{team.pk}/change/", {"name": "Hacked"})

    assert response.status_code == 403
    team.refresh_from_db()
    assert team.name == "Alpha"


def test_audit_search_and_filter(admin_client, owner, make_user):
    team = TeamFactory(owner=owner)
    other = TeamFactory(owner=make_user("other@example.com"))

    by_team = admin_client.get(AUDIT_URL, {"q": team.public_id})
    by_email = admin_client.get(AUDIT_URL, {"q": "other@example"})
    by_source = admin_client.get(AUDIT_URL, {"source": "admin"})

    assert [entry.team for entry in by_team.context["cl"].queryset] == [team]
    assert [entry.team for entry in by_email.context["cl"].queryset] == [other]
    assert list(by_source.context["cl"].queryset) == []


def test_api_key_pages_never_show_digest(admin_client, owner):
    api_key, secret = api_key_create(user=owner, name="deploy")

    pages = [
        admin_client.get(KEYS_URL).content.decode(),
        admin_client.get(f"{KEYS_URL}{api_key.pk}/change/").content.decode(),
    ]

    for page in pages:
        assert api_key.key_digest not in page
        assert secret not in page
        assert api_key.prefix in page


def test_api_key_search_by_user_email(admin_client, owner, make_user):
    mine, _secret = api_key_create(user=owner, name="deploy")
    api_key_create(user=make_user(), name="other")

    response = admin_client.get(KEYS_URL, {"q": "owner@example.com"})

    assert list(response.context["cl"].queryset) == [mine]


def test_api_key_has_no_add_page(admin_client):
    response = admin_client.get(f"{KEYS_URL}add/")

    assert response.status_code == 403


def test_revoke_action_revokes_key_and_audits(admin_client, owner, make_client):
    team = TeamFactory(owner=owner)
    api_key, secret = api_key_create(user=owner, name="deploy", team=team)

    response = run_action(admin_client, KEYS_URL, "revoke", [api_key])

    assert "Revoked 1 API key(s)." in response.content.decode()
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None
    assert make_client(secret).get("/v2/connect/teams").status_code == 401
    entry = AuditEntry.objects.get(action="api_key.revoked")
    assert entry.target_id == api_key.public_id
    assert entry.team == team
    assert entry.source == "admin"
