import re

import pytest

from teams.models import Team
from teams.tests.data import CREATE_TEAM_REQUEST, CREATE_TEAM_RESPONSE_DATA
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_create_answers_the_page_response(owner_client):
    response = owner_client.post(
        "/v2/connect/teams", CREATE_TEAM_REQUEST, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Team created successfully"
    data = body["data"]
    assert re.match(r"^team_[A-Za-z0-9]{24}$", data.pop("id"))
    assert TIMESTAMP.match(data.pop("createdAt"))
    assert TIMESTAMP.match(data.pop("updatedAt"))
    assert data.pop("branding") == {}
    assert data == CREATE_TEAM_RESPONSE_DATA


def test_list_answers_the_summary_shape(owner, owner_client):
    team = TeamFactory(owner=owner, name="Alpha", description="First")

    response = owner_client.get("/v2/connect/teams")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "data": [
            {
                "id": team.public_id,
                "name": "Alpha",
                "description": "First",
                "industry": "Technology",
                "status": "active",
                "country": "MX",
                "onboarding": {"completed": False, "progress": 0},
                "createdAt": body["data"][0]["createdAt"],
            }
        ],
        "message": "Teams retrieved successfully",
        "totalResults": 1,
        "hasMore": False,
        "next": None,
    }


def test_other_users_team_answers_404(owner, make_user, make_key_client):
    team = TeamFactory(owner=owner)
    stranger_client = make_key_client(make_user())

    response = stranger_client.get(f"/v2/connect/teams/{team.public_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_delete_hides_team_and_keeps_row(owner, owner_client):
    team = TeamFactory(owner=owner)

    response = owner_client.delete(f"/v2/connect/teams/{team.public_id}")

    assert response.status_code == 200
    assert owner_client.get(f"/v2/connect/teams/{team.public_id}").status_code == 404
    assert owner_client.get("/v2/connect/teams").json()["totalResults"] == 0
    assert Team.objects.get(pk=team.pk).deleted_at is not None
