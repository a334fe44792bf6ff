"""Who may read and complete onboarding, and the events a completion publishes."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connect_site.api.fields import format_timestamp
from integrations.models import Event
from onboarding.models import TeamStep
from onboarding.tests.data import COMPLETE_STEP_REQUEST, VALID_STEP_DATA
from onboarding.tests.factories import complete_steps
from teams.list_cache import generation_key
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def status_url(team):
    return f"/v2/connect/teams/{team.public_id}/onboarding"


def complete_url(team):
    return f"/v2/connect/teams/{team.public_id}/onboarding/complete-step"


def links_url(team):
    return f"/v2/connect/teams/{team.public_id}/onboarding/links"


def test_member_with_user_role_can_read_status(team, add_member):
    _member, client = add_member(team, "user")

    response = client.get(status_url(team))

    assert response.status_code == 200
    assert response.json()["data"]["teamId"] == team.public_id


def test_member_with_user_role_cannot_complete_step(team, add_member):
    _member, client = add_member(team, "user")

    response = client.post(complete_url(team), COMPLETE_STEP_REQUEST, format="json")

    assert response.status_code == 403
    body = response.json()
    assert body == {
        "error": {
            "code": "permission_denied",
            "message": "This action needs the team.update permission.",
        },
        "message": "This action needs the team.update permission.",
        "requestId": body["requestId"],
    }
    assert TeamStep.objects.filter(team=team, completed_at__isnull=False).count() == 0


def test_member_with_user_role_cannot_create_link(team, add_member):
    _member, client = add_member(team, "user")

    response = client.post(
        links_url(team), {"returnUrl": "https://app.example.com/done"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_admin_member_can_complete_step(team, add_member):
    member, client = add_member(team, "admin")

    response = client.post(complete_url(team), COMPLETE_STEP_REQUEST, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["steps"][1]["completedBy"] == member.public_id


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", status_url, None),
        ("post", complete_url, COMPLETE_STEP_REQUEST),
        ("post", links_url, {"returnUrl": "https://app.example.com/done"}),
    ],
)
def test_non_member_gets_404(team, make_user, make_key_client, method, url, body):
    stranger = make_key_client(make_user())

    response = getattr(stranger, method)(url(team), body, format="json")

    assert response.status_code == 404
    body = response.json()
    assert body == {
        "error": {"code": "not_found", "message": "No team with this id was found."},
        "message": "No team with this id was found.",
        "requestId": body["requestId"],
    }


def test_deleted_team_status_answers_404(team, owner_client):
    owner_client.delete(f"/v2/connect/teams/{team.public_id}")

    response = owner_client.get(status_url(team))

    assert response.status_code == 404


def test_key_limited_to_other_team_gets_404(owner, team, make_key_client):
    other = TeamFactory(owner=owner)
    client = make_key_client(owner, team=other)

    response = client.post(complete_url(team), COMPLETE_STEP_REQUEST, format="json")

    assert response.status_code == 404


def test_key_without_team_update_cannot_complete(owner, team, make_key_client):
    client = make_key_client(owner, permissions=["team.read"])

    response = client.post(complete_url(team), COMPLETE_STEP_REQUEST, format="json")

    assert response.status_code == 403


def test_step_completed_event_has_contract_data(team, owner_client):
    owner_client.post(complete_url(team), COMPLETE_STEP_REQUEST, format="json")

    event = Event.objects.get(type="onboarding.step_completed")
    step = TeamStep.objects.get(team=team, step_id="payment_integration")
    assert event.team == team
    assert event.data == {
        "teamId": team.public_id,
        "step": "payment_integration",
        "completedAt": format_timestamp(step.completed_at),
        "progress": 25,
    }


def test_completed_event_is_published_once(team, owner, owner_client):
    complete_steps(team, owner, "team_setup", "payment_integration")

    for step_id in ["invoice_configuration", "invoice_configuration", "client_setup"]:
        response = owner_client.post(
            complete_url(team),
            {"step": step_id, "data": VALID_STEP_DATA[step_id]},
            format="json",
        )
        assert response.status_code == 200

    types = list(
        Event.objects.filter(team=team, type__startswith="onboarding.")
        .order_by("created_at", "id")
        .values_list("type", flat=True)
    )
    assert types == [
        "onboarding.step_completed",
        "onboarding.step_completed",
        "onboarding.step_completed",
        "onboarding.completed",
        "onboarding.step_completed",
        "onboarding.step_completed",
    ]
    completed = Event.objects.get(type="onboarding.completed")
    assert completed.data == {
        "teamId": team.public_id,
        "completedAt": completed.data["completedAt"],
        "progress": 75,
    }


def test_failed_completion_publishes_nothing(team, owner_client):
    response = owner_client.post(
        complete_url(team),
        {"step": "client_setup", "data": {"clientsImported": "many"}},
        format="json",
    )

    assert response.status_code == 400
    assert not Event.objects.filter(type__startswith="onboarding.").exists()


def test_team_get_and_list_match_onboarding_status(team, owner, owner_client):
    complete_steps(team, owner, "payment_integration", "team_setup")

    status = owner_client.get(status_url(team)).json()["data"]
    detail = owner_client.get(f"/v2/connect/teams/{team.public_id}").json()["data"]
    listed = owner_client.get("/v2/connect/teams").json()["data"][0]

    assert status["progress"] == 50
    assert status["currentStep"] == "client_setup"
    assert detail["onboarding"] == {
        "completed": status["completed"],
        "currentStep": status["currentStep"],
        "progress": status["progress"],
        "steps": [step["id"] for step in status["steps"]],
    }
    assert listed["onboarding"] == {
        "completed": status["completed"],
        "progress": status["progress"],
    }


def test_team_list_shows_completed_onboarding(team, owner, owner_client):
    complete_steps(team, owner, "team_setup", "payment_integration")
    complete_steps(team, owner, "invoice_configuration")

    listed = owner_client.get("/v2/connect/teams").json()["data"][0]
    onboarded = owner_client.get("/v2/connect/teams?onboarded=true").json()

    assert listed["onboarding"] == {"completed": True, "progress": 75}
    assert [row["id"] for row in onboarded["data"]] == [team.public_id]


def test_team_list_queries_do_not_grow_with_teams(
    team, owner, owner_client, django_assert_num_queries
):
    complete_steps(team, owner, "team_setup")
    owner_client.get("/v2/connect/teams")  # records the key's last use
    # Both measured requests count the teams, rather than one reading the cache.
    cache.delete(generation_key(owner.pk))
    with CaptureQueriesContext(connection) as one_team:
        owner_client.get("/v2/connect/teams")
    for index in range(4):
        other = TeamFactory(owner=owner)
        complete_steps(other, owner, *["team_setup", "client_setup"][: index % 3])
    cache.delete(generation_key(owner.pk))

    with django_assert_num_queries(len(one_team.captured_queries)):
        response = owner_client.get("/v2/connect/teams")

    assert response.json()["totalResults"] == 5


def test_status_queries_do_not_grow_with_completed_steps(
    team, owner, owner_client, django_assert_num_queries
):
    owner_client.get(status_url(team))  # records the key's last use
    with CaptureQueriesContext(connection) as no_step_done:
        owner_client.get(status_url(team))
    complete_steps(team, owner, "team_setup", "payment_integration", "client_setup")

    with django_assert_num_queries(len(no_step_done.captured_queries)):
        response = owner_client.get(status_url(team))

    assert response.json()["data"]["progress"] == 75
