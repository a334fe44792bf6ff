"""The schema's team shapes match what the endpoints really return."""

import pytest

from teams.tests.data import CREATE_TEAM_REQUEST
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

BRANDING = {
    "displayName": "Alpha",
    "logoUrl": "https://cdn.example.com/logo.png",
    "primaryColor": "#1A2B3C",
    "accentColor": "#FFFFFF",
    "emailFromName": "Alpha Billing",
    "replyToEmail": "billing@example.com",
    "supportEmail": "help@example.com",
    "footerText": "Alpha S.A. de C.V.",
}


@pytest.fixture
def components(client):
    return client.get("/v2/connect/schema/?format=json").json()["components"]["schemas"]


def properties(components, name):
    return set(components[name]["properties"])


def test_team_component_matches_create_response(owner_client, components):
    body = {**CREATE_TEAM_REQUEST, "branding": BRANDING}

    data = owner_client.post("/v2/connect/teams", body, format="json").json()["data"]

    assert set(data) == properties(components, "Team")
    assert set(data["settings"]) == properties(components, "TeamSettings")
    assert set(data["onboarding"]) == properties(components, "TeamOnboarding")
    assert set(data["branding"]) == properties(components, "TeamBranding")
    assert set(components["Team"]["required"]) == set(data)


def test_team_summary_component_matches_list_item(owner, owner_client, components):
    TeamFactory(owner=owner)

    body = owner_client.get("/v2/connect/teams").json()

    assert set(body) == properties(components, "TeamListEnvelope")
    assert set(body["data"][0]) == properties(components, "TeamSummary")
    assert set(body["data"][0]["onboarding"]) == properties(
        components, "TeamOnboardingSummary"
    )


def test_team_write_request_lists_accepted_fields(components):
    assert properties(components, "TeamWriteRequest") == set(CREATE_TEAM_REQUEST) | {
        "branding"
    }
    assert components["TeamWriteRequest"]["required"] == ["name"]
    assert "onboarding" not in properties(components, "TeamUpdateRequest")
