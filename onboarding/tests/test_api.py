import copy

import pytest

from connect_site.api.fields import format_timestamp
from integrations.models import Event
from onboarding.models import StepCompletion, TeamStep
from onboarding.tests.data import (
    COMPLETE_STEP_REQUEST,
    INCOMPLETE_STEPS,
    VALID_STEP_DATA,
)
from onboarding.tests.factories import complete_steps
from teams.models import AuditEntry
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

ALL_STEPS = [
    "team_setup",
    "payment_integration",
    "client_setup",
    "invoice_configuration",
]


def status_url(team):
    return f"/v2/connect/teams/{team.public_id}/onboarding"


def complete_url(team):
    return f"/v2/connect/teams/{team.public_id}/onboarding/complete-step"


def completed_step(team, step_id, member):
    """Return the status entry of a completed step, read from the database."""
    row = TeamStep.objects.get(team=team, step_id=step_id)
    entry = INCOMPLETE_STEPS[step_id]
    return {
        "id": entry["id"],
        "name": entry["name"],
        "completed": True,
        "completedAt": format_timestamp(row.completed_at),
        "completedBy": member.public_id,
        "required": entry["required"],
        "description": entry["description"],
    }


def test_new_team_status_starts_at_team_setup(team, owner_client):
    response = owner_client.get(status_url(team))

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "teamId": team.public_id,
            "completed": False,
            "currentStep": "team_setup",
            "progress": 0,
            "steps": [INCOMPLETE_STEPS[step_id] for step_id in ALL_STEPS],
        },
        "message": "Onboarding status retrieved successfully",
    }


def test_complete_step_example_request_succeeds(team, owner_member, owner_client):
    response = owner_client.post(
        complete_url(team), COMPLETE_STEP_REQUEST, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "teamId": team.public_id,
            "completed": False,
            "currentStep": "team_setup",
            "progress": 25,
            "steps": [
                INCOMPLETE_STEPS["team_setup"],
                completed_step(team, "payment_integration", owner_member),
                INCOMPLETE_STEPS["client_setup"],
                INCOMPLETE_STEPS["invoice_configuration"],
            ],
        },
        "message": "Step completed successfully",
    }
    row = TeamStep.objects.get(team=team, step_id="payment_integration")
    assert row.data == COMPLETE_STEP_REQUEST["data"]
    assert row.completed_by == owner_member.user


def test_status_after_first_step_is_25_percent(team, owner, owner_member, owner_client):
    complete_steps(team, owner, "team_setup")

    response = owner_client.get(status_url(team))

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "teamId": team.public_id,
            "completed": False,
            "currentStep": "payment_integration",
            "progress": 25,
            "steps": [
                completed_step(team, "team_setup", owner_member),
                INCOMPLETE_STEPS["payment_integration"],
                INCOMPLETE_STEPS["client_setup"],
                INCOMPLETE_STEPS["invoice_configuration"],
            ],
        },
        "message": "Onboarding status retrieved successfully",
    }


def test_progress_and_completed_after_each_step(team, owner_client):
    order = [
        "team_setup",
        "payment_integration",
        "invoice_configuration",
        "client_setup",
    ]
    seen = []

    for step_id in order:
        response = owner_client.post(
            complete_url(team),
            {"step": step_id, "data": VALID_STEP_DATA[step_id]},
            format="json",
        )
        assert response.status_code == 200
        data = response.json()["data"]
        seen.append((data["progress"], data["completed"], data["currentStep"]))

    assert seen == [
        (25, False, "payment_integration"),
        (50, False, "client_setup"),
        (75, True, "client_setup"),
        (100, True, None),
    ]


def test_new_team_progress_is_zero(team, owner_client):
    data = owner_client.get(status_url(team)).json()["data"]

    assert data["progress"] == 0
    assert data["completed"] is False


def test_out_of_order_completion_keeps_first_step_current(team, owner_client):
    response = owner_client.post(
        complete_url(team),
        {
            "step": "invoice_configuration",
            "data": VALID_STEP_DATA["invoice_configuration"],
        },
        format="json",
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["progress"] == 25
    assert data["currentStep"] == "team_setup"
    assert data["completed"] is False
    assert [step["completed"] for step in data["steps"]] == [False, False, False, True]


def test_recompletion_keeps_first_time_and_member(
    team, owner, owner_member, add_member
):
    complete_steps(team, owner, "client_setup")
    first = TeamStep.objects.get(team=team, step_id="client_setup")
    _admin, admin_client = add_member(team, "admin")

    response = admin_client.post(
        complete_url(team),
        {"step": "client_setup", "data": {"clientsImported": 40}},
        format="json",
    )

    assert response.status_code == 200
    entry = response.json()["data"]["steps"][2]
    assert entry["completedAt"] == format_timestamp(first.completed_at)
    assert entry["completedBy"] == owner_member.public_id
    row = TeamStep.objects.get(team=team, step_id="client_setup")
    assert row.completed_at == first.completed_at
    assert row.data == {"clientsImported": 40}


def test_recompletion_adds_history_row(team, owner, add_member):
    complete_steps(team, owner, "client_setup")
    admin, admin_client = add_member(team, "admin")

    admin_client.post(
        complete_url(team),
        {"step": "client_setup", "data": {"clientsImported": 40}},
        format="json",
    )

    history = list(
        StepCompletion.objects.filter(team_step__team=team)
        .order_by("completed_at", "id")
        .values_list("completed_by_member", "source", "data")
    )
    assert history == [
        (
            owner.memberships.get(team=team).pk,
            "api",
            {"clientsImported": 12},
        ),
        (admin.pk, "api", {"clientsImported": 40}),
    ]


def test_step_outside_team_list_is_rejected(owner, owner_client):
    team = TeamFactory(
        owner=owner,
        onboarding={
            "steps": ["team_setup", "payment_integration", "invoice_configuration"]
        },
    )

    response = owner_client.post(
        complete_url(team),
        {"step": "client_setup", "data": VALID_STEP_DATA["client_setup"]},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    message = (
        "'client_setup' is not one of this team's onboarding steps; use one of: "
        "team_setup, payment_integration, invoice_configuration."
    )
    assert body == {
        "error": {
            "code": "validation_error",
            "message": f"Invalid step: {message}",
            "fields": {"step": [message]},
        },
        "message": f"Invalid step: {message}",
        "requestId": body["requestId"],
    }
    assert StepCompletion.objects.count() == 0
    assert not Event.objects.filter(type__startswith="onboarding.").exists()


def test_unknown_step_is_rejected(team, owner_client):
    response = owner_client.post(
        complete_url(team), {"step": "kyc", "data": {}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "step": [
            "'kyc' is not one of this team's onboarding steps; use one of: "
            "team_setup, payment_integration, client_setup, invoice_configuration."
        ]
    }


def test_unknown_top_level_field_is_rejected(team, owner_client):
    body = copy.deepcopy(COMPLETE_STEP_REQUEST)
    body["stepId"] = "payment_integration"

    response = owner_client.post(complete_url(team), body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "stepId": ["Unknown field. Allowed fields: step, data."]
    }


def test_missing_step_is_rejected(team, owner_client):
    response = owner_client.post(
        complete_url(team), {"data": VALID_STEP_DATA["client_setup"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"step": ["This field is required."]}


def test_data_that_is_not_an_object_is_rejected(team, owner_client):
    response = owner_client.post(
        complete_url(team), {"step": "client_setup", "data": [1]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "data": ['Expected a dictionary of items but got type "list".']
    }


def test_completion_writes_audit_entry(team, owner, owner_client):
    owner_client.post(complete_url(team), COMPLETE_STEP_REQUEST, format="json")

    entry = AuditEntry.objects.get(action="onboarding.step_completed")
    assert entry.team == team
    assert entry.actor_user == owner
    assert entry.target_type == "onboarding_step"
    assert entry.target_id == "payment_integration"
    assert entry.changes == {
        "data": COMPLETE_STEP_REQUEST["data"],
        "firstCompletion": True,
    }


def test_overlong_step_is_rejected_by_length(team, owner_client):
    response = owner_client.post(
        complete_url(team), {"step": "x" * 41, "data": {}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "step": ["Ensure this field has no more than 40 characters."]
    }


def test_null_data_is_rejected(team, owner_client):
    response = owner_client.post(
        complete_url(team), {"step": "client_setup", "data": None}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "data": ["This field may not be null."]
    }


def test_missing_data_names_required_fields(team, owner_client):
    response = owner_client.post(
        complete_url(team), {"step": "client_setup"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "data.clientsImported": ["This field is required."]
    }


def test_trailing_slash_url_completes_step(team, owner_client):
    response = owner_client.post(
        complete_url(team) + "/", COMPLETE_STEP_REQUEST, format="json"
    )

    assert response.status_code == 200
    assert response.json()["message"] == "Step completed successfully"
