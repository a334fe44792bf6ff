import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from connect_site.tests.helpers import error_of, validation_error
from members.roles import Role
from members.services import api_key_create
from onboarding.models import TeamStep
from teams.list_cache import generation_key
from teams.models import Team, TeamStatus
from teams.tests.data import CREATE_TEAM_REQUEST, CREATE_TEAM_RESPONSE_DATA
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HOST = "http://127.0.0.1:8000"
BASE = f"{HOST}/v2/connect/teams"


def complete_steps(team, *step_ids):
    TeamStep.objects.filter(team=team, step_id__in=step_ids).update(
        completed_at=timezone.now()
    )


def ids_of(response):
    return [team["id"] for team in response.json()["data"]]


# Create


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
    assert list(body) == ["data", "message"]


def test_create_makes_caller_the_owner(owner, owner_client):
    response = owner_client.post("/v2/connect/teams", {"name": "Solo"}, format="json")

    team = Team.objects.get(public_id=response.json()["data"]["id"])
    membership = team.memberships.get()
    assert membership.user == owner
    assert membership.role == Role.OWNER
    assert membership.status == "active"


def test_create_with_name_only_applies_defaults(owner_client):
    response = owner_client.post(
        "/v2/connect/teams", {"name": "  Beta  "}, format="json"
    )

    data = response.json()["data"]
    assert response.status_code == 201
    assert data["name"] == "Beta"
    assert data["description"] is None
    assert data["industry"] is None
    assert data["teamSize"] is None
    assert data["country"] == "MX"
    assert data["settings"] == {
        "currency": "MXN",
        "timezone": "America/Mexico_City",
        "language": "es",
        "fiscalYear": "calendar",
    }
    assert data["onboarding"]["steps"] == [
        "team_setup",
        "payment_integration",
        "client_setup",
        "invoice_configuration",
    ]
    assert data["metadata"] == {}


def test_create_defaults_currency_from_country(owner_client):
    response = owner_client.post(
        "/v2/connect/teams", {"name": "Bogotá", "country": "CO"}, format="json"
    )

    assert response.json()["data"]["settings"]["currency"] == "COP"


def test_create_stores_lower_case_country_upper_case(owner_client):
    response = owner_client.post(
        "/v2/connect/teams", {"name": "Norte", "country": "mx"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["country"] == "MX"


def test_create_accepts_optional_step_left_out(owner_client):
    steps = ["team_setup", "payment_integration", "invoice_configuration"]

    response = owner_client.post(
        "/v2/connect/teams",
        {"name": "Lean", "onboarding": {"steps": steps}},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["onboarding"] == {
        "completed": False,
        "currentStep": "team_setup",
        "progress": 0,
        "steps": steps,
    }


def test_create_stores_branding(owner_client):
    branding = {
        "displayName": "Alpha",
        "logoUrl": "https://cdn.example.com/logo.png",
        "primaryColor": "#1a2b3c",
        "accentColor": "#FFFFFF",
        "emailFromName": "Alpha Billing",
        "replyToEmail": "billing@example.com",
        "supportEmail": "help@example.com",
        "footerText": "Alpha S.A. de C.V.",
    }

    response = owner_client.post(
        "/v2/connect/teams", {"name": "Alpha", "branding": branding}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["branding"] == {
        **branding,
        "primaryColor": "#1A2B3C",
    }


# List


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
    assert TIMESTAMP.match(body["data"][0]["createdAt"])


def test_list_shows_progress_of_completed_steps(owner, owner_client):
    team = TeamFactory(owner=owner)
    complete_steps(team, "team_setup")

    response = owner_client.get("/v2/connect/teams")

    assert response.json()["data"][0]["onboarding"] == {
        "completed": False,
        "progress": 25,
    }


def test_list_is_newest_first(owner, owner_client):
    first = TeamFactory(owner=owner)
    second = TeamFactory(owner=owner)
    third = TeamFactory(owner=owner)

    response = owner_client.get("/v2/connect/teams")

    assert ids_of(response) == [third.public_id, second.public_id, first.public_id]


def test_list_breaks_created_at_ties_by_id(owner, owner_client):
    teams = [TeamFactory(owner=owner) for _ in range(3)]
    Team.objects.update(created_at=timezone.now())

    response = owner_client.get("/v2/connect/teams")

    assert ids_of(response) == [team.public_id for team in reversed(teams)]


def test_list_pages_with_limit_offset_and_next(owner, owner_client):
    teams = [TeamFactory(owner=owner, industry="Retail") for _ in range(5)]
    newest_first = [team.public_id for team in reversed(teams)]
    as_of = newest_first[0]

    first = owner_client.get("/v2/connect/teams?limit=2&industry=retail")
    second = owner_client.get(first.json()["next"].removeprefix(HOST))
    last = owner_client.get(second.json()["next"].removeprefix(HOST))

    assert ids_of(first) == newest_first[0:2]
    assert first.json()["totalResults"] == 5
    assert first.json()["hasMore"] is True
    assert first.json()["next"] == (
        f"{BASE}?asOf={as_of}&industry=retail&limit=2&offset=2"
    )
    assert ids_of(second) == newest_first[2:4]
    assert second.json()["next"] == (
        f"{BASE}?asOf={as_of}&industry=retail&limit=2&offset=4"
    )
    assert ids_of(last) == newest_first[4:5]
    assert last.json()["hasMore"] is False
    assert last.json()["next"] is None


def test_list_pages_ignore_teams_created_meanwhile(owner, owner_client):
    teams = [TeamFactory(owner=owner) for _ in range(4)]
    newest_first = [team.public_id for team in reversed(teams)]

    first = owner_client.get("/v2/connect/teams?limit=2")
    TeamFactory(owner=owner)
    TeamFactory(owner=owner)
    second = owner_client.get(first.json()["next"].removeprefix(HOST))

    assert ids_of(first) == newest_first[0:2]
    assert ids_of(second) == newest_first[2:4]
    assert second.json()["totalResults"] == 4


def test_list_rejects_as_of_of_another_users_team(owner_client, make_user):
    other = TeamFactory(owner=make_user())

    response = owner_client.get(f"/v2/connect/teams?asOf={other.public_id}")

    message = (
        "asOf must be an id from this list, as given in a next URL. "
        "Start again from the first page."
    )
    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid asOf: {message}", {"asOf": [message]}
    )


def test_list_next_ignores_forged_host_header(owner, owner_client):
    TeamFactory(owner=owner)
    newest = TeamFactory(owner=owner)

    response = owner_client.get("/v2/connect/teams?limit=1", HTTP_HOST="localhost")

    assert response.json()["next"] == (
        f"{BASE}?asOf={newest.public_id}&limit=1&offset=1"
    )


def test_list_offset_past_the_end_is_empty(owner, owner_client):
    TeamFactory(owner=owner)

    response = owner_client.get("/v2/connect/teams?offset=5")

    assert response.json() == {
        "data": [],
        "message": "Teams retrieved successfully",
        "totalResults": 1,
        "hasMore": False,
        "next": None,
    }


def test_list_shows_only_callers_teams(owner, owner_client, make_user):
    mine = TeamFactory(owner=owner)
    TeamFactory(owner=make_user())

    response = owner_client.get("/v2/connect/teams")

    assert ids_of(response) == [mine.public_id]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=suspended", ["suspended"]),
        ("status=active", ["retail", "tech"]),
        ("industry=TECHNOLOGY", ["tech"]),
        ("industry=retail", ["retail"]),
        ("country=co", ["retail"]),
        ("country=MX", ["suspended", "tech"]),
        ("onboarded=true", ["tech"]),
        ("onboarded=false", ["retail", "suspended"]),
        ("search=TAIL", ["retail"]),
        ("search=nothing", []),
    ],
)
def test_list_filter(owner, owner_client, query, expected):
    tech = TeamFactory(owner=owner, name="Tech", industry="Technology")
    retail = TeamFactory(owner=owner, name="Retail", industry="Retail", country="CO")
    suspended = TeamFactory(owner=owner, name="Suspended", industry="Food")
    Team.objects.filter(pk=suspended.pk).update(status=TeamStatus.SUSPENDED)
    complete_steps(tech, "team_setup", "payment_integration", "invoice_configuration")
    names = {tech.public_id: "tech", retail.public_id: "retail"}
    names[suspended.public_id] = "suspended"

    response = owner_client.get(f"/v2/connect/teams?{query}")

    assert response.status_code == 200
    assert sorted(names[team_id] for team_id in ids_of(response)) == expected
    assert response.json()["totalResults"] == len(expected)


def test_list_onboarded_ignores_optional_steps(owner, owner_client):
    team = TeamFactory(owner=owner)
    complete_steps(team, "team_setup", "payment_integration", "invoice_configuration")

    response = owner_client.get("/v2/connect/teams?onboarded=true")

    assert response.json()["data"][0]["onboarding"] == {
        "completed": True,
        "progress": 75,
    }


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("limit=0", "limit", "limit must be from 1 to 100; got 0."),
        ("limit=101", "limit", "limit must be from 1 to 100; got 101."),
        ("limit=abc", "limit", "limit must be a whole number from 1 to 100."),
        ("limit=-1", "limit", "limit must be a whole number from 1 to 100."),
        ("offset=-1", "offset", "offset must be a whole number from 0."),
        ("offset=1.5", "offset", "offset must be a whole number from 0."),
        (
            "status=bogus",
            "status",
            "Use one of: active, suspended.",
        ),
        ("onboarded=maybe", "onboarded", "Use true or false."),
        (
            "country=ZZ",
            "country",
            "'ZZ' is not an ISO 3166-1 alpha-2 country code; use one such as MX, CO or US.",
        ),
        ("search=%00", "search", "Text must not contain the NUL character (U+0000)."),
        ("limit=1&limit=2", "limit", "Give this query parameter once."),
    ],
)
def test_list_rejects_bad_query_parameter(owner_client, query, name, message):
    response = owner_client.get(f"/v2/connect/teams?{query}")

    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid {name}: {message}", {name: [message]}
    )


def test_list_rejects_unknown_query_parameter(owner_client):
    response = owner_client.get("/v2/connect/teams?sort=name")

    allowed = "asOf, country, industry, limit, offset, onboarded, search, status"
    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Unknown query parameter sort. Allowed: {allowed}.",
        {"sort": [f"Unknown query parameter. Allowed: {allowed}."]},
    )


def test_list_query_count_does_not_grow_with_limit(
    owner, owner_client, django_assert_num_queries
):
    for _ in range(3):
        TeamFactory(owner=owner)
    owner_client.get("/v2/connect/teams")  # writes the key's last use once
    cache.delete(generation_key(owner.pk))

    # One query authenticates the key, one counts and one reads the page.
    with django_assert_num_queries(3):
        one = owner_client.get("/v2/connect/teams?limit=1")
    cache.delete(generation_key(owner.pk))
    with django_assert_num_queries(3):
        hundred = owner_client.get("/v2/connect/teams?limit=100")

    assert len(one.json()["data"]) == 1
    assert len(hundred.json()["data"]) == 3


def test_list_count_is_cached_until_a_team_changes(
    owner, owner_client, django_assert_num_queries
):
    team = TeamFactory(owner=owner)
    owner_client.get("/v2/connect/teams")

    # The count is cached: the key and the page are the only queries.
    with django_assert_num_queries(2):
        cached = owner_client.get("/v2/connect/teams")
    TeamFactory(owner=owner)
    after_create = owner_client.get("/v2/connect/teams")
    retail_before = owner_client.get("/v2/connect/teams?industry=retail")
    owner_client.patch(
        f"/v2/connect/teams/{team.public_id}", {"industry": "Retail"}, format="json"
    )
    retail_after = owner_client.get("/v2/connect/teams?industry=retail")

    assert cached.json()["totalResults"] == 1
    assert after_create.json()["totalResults"] == 2
    assert retail_before.json()["totalResults"] == 0
    assert retail_after.json()["totalResults"] == 1


def test_list_answers_with_trailing_slash(owner, owner_client):
    team = TeamFactory(owner=owner)

    response = owner_client.get("/v2/connect/teams/")

    assert response.status_code == 200
    assert ids_of(response) == [team.public_id]


# Get


def test_get_answers_the_full_shape(owner, owner_client):
    team = TeamFactory(owner=owner, name="Alpha", metadata={"tier": "gold"})
    complete_steps(team, "team_setup")

    response = owner_client.get(f"/v2/connect/teams/{team.public_id}")

    assert response.status_code == 200
    body = response.json()
    team.refresh_from_db()
    assert body == {
        "data": {
            "id": team.public_id,
            "name": "Alpha",
            "description": None,
            "industry": "Technology",
            "teamSize": None,
            "country": "MX",
            "status": "active",
            "settings": {
                "currency": "MXN",
                "timezone": "America/Mexico_City",
                "language": "es",
                "fiscalYear": "calendar",
            },
            "onboarding": {
                "completed": False,
                "currentStep": "payment_integration",
                "progress": 25,
                "steps": [
                    "team_setup",
                    "payment_integration",
                    "client_setup",
                    "invoice_configuration",
                ],
            },
            "metadata": {"tier": "gold"},
            "branding": {},
            "createdAt": body["data"]["createdAt"],
            "updatedAt": body["data"]["updatedAt"],
        },
        "message": "Team retrieved successfully",
    }


def test_get_answers_with_trailing_slash(owner, owner_client):
    team = TeamFactory(owner=owner)

    response = owner_client.get(f"/v2/connect/teams/{team.public_id}/")

    assert response.status_code == 200
    assert response.json()["data"]["id"] == team.public_id


def test_get_unknown_team_answers_404(owner_client):
    response = owner_client.get("/v2/connect/teams/team_doesnotexist")

    assert response.status_code == 404
    assert error_of(response) == {
        "error": {"code": "not_found", "message": "No team with this id was found."},
        "message": "No team with this id was found.",
    }


def test_get_id_with_nul_byte_answers_404(owner_client):
    response = owner_client.get("/v2/connect/teams/team_%00")

    assert response.status_code == 404
    assert error_of(response)["error"]["code"] == "not_found"


def test_other_users_team_answers_404(owner, make_user, make_key_client):
    team = TeamFactory(owner=owner)
    stranger_client = make_key_client(make_user())

    response = stranger_client.get(f"/v2/connect/teams/{team.public_id}")

    assert response.status_code == 404
    assert error_of(response)["error"]["code"] == "not_found"


# Update


def test_put_replaces_only_given_flat_fields(owner, owner_client):
    team = TeamFactory(owner=owner, name="Alpha", description="Old", teamSize="1")

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}",
        {"description": "New", "industry": None},
        format="json",
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert response.json()["message"] == "Team updated successfully"
    assert data["name"] == "Alpha"
    assert data["description"] == "New"
    assert data["industry"] is None
    assert data["teamSize"] == "1"


def test_put_merges_settings_key_by_key(owner, owner_client):
    team = TeamFactory(owner=owner)

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}",
        {"settings": {"language": "en", "fiscalYear": "april"}},
        format="json",
    )

    assert response.json()["data"]["settings"] == {
        "currency": "MXN",
        "timezone": "America/Mexico_City",
        "language": "en",
        "fiscalYear": "april",
    }


def test_put_merges_branding_key_by_key(owner, owner_client):
    team = TeamFactory(
        owner=owner, branding={"displayName": "Alpha", "primaryColor": "#000000"}
    )

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}",
        {"branding": {"primaryColor": "#ffffff", "footerText": "Gracias"}},
        format="json",
    )

    assert response.json()["data"]["branding"] == {
        "displayName": "Alpha",
        "primaryColor": "#FFFFFF",
        "footerText": "Gracias",
    }


def test_put_removes_metadata_key_set_to_null(owner, owner_client):
    team = TeamFactory(owner=owner, metadata={"keep": "yes", "drop": "no"})

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}",
        {"metadata": {"drop": None, "added": 3}},
        format="json",
    )

    assert response.json()["data"]["metadata"] == {"keep": "yes", "added": 3}
    team.refresh_from_db()
    assert team.metadata == {"keep": "yes", "added": 3}


def test_patch_is_the_same_merge_as_put(owner, owner_client):
    team = TeamFactory(owner=owner, metadata={"keep": "yes"})

    response = owner_client.patch(
        f"/v2/connect/teams/{team.public_id}",
        {"name": "Renamed", "metadata": {"more": True}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Renamed"
    assert response.json()["data"]["metadata"] == {"keep": "yes", "more": True}


def test_put_writes_audit_entry_of_changes(owner, owner_client):
    team = TeamFactory(owner=owner, name="Alpha")

    owner_client.put(
        f"/v2/connect/teams/{team.public_id}", {"name": "Beta"}, format="json"
    )

    entry = team.audit_entries.get(action="team.updated")
    assert entry.changes == {"name": "Beta"}
    assert entry.actor_email == "owner@example.com"
    assert entry.source == "api"


def test_put_without_changes_keeps_updated_at(owner, owner_client):
    team = TeamFactory(owner=owner, name="Alpha")

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}", {"name": "Alpha"}, format="json"
    )

    assert response.json()["data"]["updatedAt"] == response.json()["data"]["createdAt"]
    assert not team.audit_entries.filter(action="team.updated").exists()


def test_put_rejects_unknown_field(owner, owner_client):
    team = TeamFactory(owner=owner)

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}", {"teamsize": "1"}, format="json"
    )

    message = (
        "Unknown field. Allowed fields: name, description, industry, teamSize, "
        "country, settings, metadata, branding."
    )
    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid teamsize: {message}", {"teamsize": [message]}
    )


def test_put_rejects_onboarding(owner, owner_client):
    team = TeamFactory(owner=owner)

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}",
        {"onboarding": {"steps": ["team_setup"]}},
        format="json",
    )

    assert response.status_code == 400
    assert list(error_of(response)["error"]["fields"]) == ["onboarding"]


def test_put_rejects_metadata_past_50_keys_after_merge(owner, owner_client):
    team = TeamFactory(owner=owner, metadata={f"old{i}": i for i in range(30)})

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}",
        {"metadata": {f"new{i}": i for i in range(30)}},
        format="json",
    )

    message = (
        "metadata would have 60 keys after this update; at most 50 are allowed. "
        "Set unused keys to null to remove them."
    )
    assert response.status_code == 400
    assert error_of(response) == validation_error(
        f"Invalid metadata: {message}", {"metadata": [message]}
    )
    team.refresh_from_db()
    assert len(team.metadata) == 30


def test_put_rejects_blank_name(owner, owner_client):
    team = TeamFactory(owner=owner, name="Alpha")

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}", {"name": "   "}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["error"]["fields"] == {
        "name": ["This field may not be blank."]
    }
    team.refresh_from_db()
    assert team.name == "Alpha"


# Delete


def test_delete_hides_team_and_keeps_row(owner, owner_client):
    team = TeamFactory(owner=owner)

    response = owner_client.delete(f"/v2/connect/teams/{team.public_id}")

    assert response.status_code == 200
    assert response.json() == {
        "data": {"id": team.public_id, "deleted": True},
        "message": "Team deleted successfully",
    }
    assert owner_client.get(f"/v2/connect/teams/{team.public_id}").status_code == 404
    assert owner_client.get("/v2/connect/teams").json()["totalResults"] == 0
    assert Team.objects.get(pk=team.pk).deleted_at is not None


def test_delete_with_body_fields_changes_nothing(owner, owner_client):
    team = TeamFactory(owner=owner)

    response = owner_client.delete(
        f"/v2/connect/teams/{team.public_id}", {"force": True}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["force"]
    assert Team.objects.get(pk=team.pk).deleted_at is None


def test_deleted_team_rejects_update_and_second_delete(owner, owner_client):
    team = TeamFactory(owner=owner)
    owner_client.delete(f"/v2/connect/teams/{team.public_id}")

    put = owner_client.put(
        f"/v2/connect/teams/{team.public_id}", {"name": "Back"}, format="json"
    )
    delete = owner_client.delete(f"/v2/connect/teams/{team.public_id}")

    assert put.status_code == 404
    assert delete.status_code == 404


# Access through keys


def test_team_limited_key_sees_only_its_team(owner, make_key_client):
    team_a = TeamFactory(owner=owner)
    team_b = TeamFactory(owner=owner)
    client = make_key_client(owner, team=team_a)

    listed = client.get("/v2/connect/teams")
    other = client.get(f"/v2/connect/teams/{team_b.public_id}")
    own = client.get(f"/v2/connect/teams/{team_a.public_id}")

    assert ids_of(listed) == [team_a.public_id]
    assert other.status_code == 404
    assert error_of(other)["error"]["code"] == "not_found"
    assert own.status_code == 200


def test_team_limited_key_cannot_create_teams(owner, make_key_client):
    team = TeamFactory(owner=owner)
    client = make_key_client(owner, team=team)

    response = client.post("/v2/connect/teams", {"name": "New"}, format="json")

    message = "A key limited to one team cannot create teams; use a full key."
    assert response.status_code == 403
    assert error_of(response) == {
        "error": {"code": "permission_denied", "message": message},
        "message": message,
    }
    assert Team.objects.count() == 1


def test_read_only_key_gets_403_on_put(owner, make_key_client):
    team = TeamFactory(owner=owner, name="Alpha")
    client = make_key_client(owner, permissions=["team.read"])

    read = client.get(f"/v2/connect/teams/{team.public_id}")
    response = client.put(
        f"/v2/connect/teams/{team.public_id}", {"name": "Beta"}, format="json"
    )

    message = "This action needs the team.update permission."
    assert read.status_code == 200
    assert response.status_code == 403
    assert error_of(response) == {
        "error": {"code": "permission_denied", "message": message},
        "message": message,
    }
    team.refresh_from_db()
    assert team.name == "Alpha"


def test_admin_member_cannot_delete_team(owner, make_user, make_key_client):
    team = TeamFactory(owner=owner)
    admin_user = make_user()
    team.memberships.create(
        user=admin_user, email=admin_user.email, role=Role.ADMIN, status="active"
    )
    client = make_key_client(admin_user)

    response = client.delete(f"/v2/connect/teams/{team.public_id}")

    assert response.status_code == 403
    assert error_of(response)["error"]["code"] == "permission_denied"
    assert Team.objects.get(pk=team.pk).deleted_at is None


def test_key_of_removed_member_answers_404(owner, make_user, make_client):
    team = TeamFactory(owner=owner)
    member = make_user()
    membership = team.memberships.create(
        user=member, email=member.email, role=Role.ADMIN, status="active"
    )
    _key, secret = api_key_create(user=member, name="limited", team=team)
    membership.status = "removed"
    membership.save()

    response = make_client(secret).get(f"/v2/connect/teams/{team.public_id}")

    assert response.status_code == 404
