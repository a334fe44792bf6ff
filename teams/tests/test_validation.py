"""Each validation rule of a team returns 400 naming the field and saves nothing."""

import pytest

from connect_site.tests.helpers import error_of
from teams.models import Team
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

ONE_CHECK = [
    ({"name": ""}, "name", "This field may not be blank."),
    ({"name": "   "}, "name", "This field may not be blank."),
    ({"name": "x" * 121}, "name", "Ensure this field has no more than 120 characters."),
    ({"name": "\u200b"}, "name", "Remove the invisible or control character U+200B."),
    (
        {"name": "\u202eevil"},
        "name",
        "Remove the invisible or control character U+202E.",
    ),
    (
        {"name": "red\u001b[31m"},
        "name",
        "Remove the invisible or control character U+001B.",
    ),
    ({"name": 42}, "name", "Not a valid string."),
    ({"name": None}, "name", "This field may not be null."),
    (
        {"description": "x" * 1001},
        "description",
        "Ensure this field has no more than 1000 characters.",
    ),
    (
        {"industry": "x" * 101},
        "industry",
        "Ensure this field has no more than 100 characters.",
    ),
    (
        {"teamSize": "11-50"},
        "teamSize",
        '"11-50" is not a valid choice; use one of: 1, 2-9, 10-50, 51-200, '
        "201-1000, 1000+.",
    ),
    (
        {"country": "MEX"},
        "country",
        "'MEX' is not an ISO 3166-1 alpha-2 country code; use one such as MX, CO or US.",
    ),
    (
        {"country": "XX"},
        "country",
        "'XX' is not an ISO 3166-1 alpha-2 country code; use one such as MX, CO or US.",
    ),
    (
        {"settings": {"currency": "PESO"}},
        "settings.currency",
        "'PESO' is not an ISO 4217 currency code; use one such as MXN or USD.",
    ),
    (
        {"settings": {"timezone": "Mexico City"}},
        "settings.timezone",
        "'Mexico City' is not an IANA time zone name; use one such as America/Mexico_City.",
    ),
    (
        {"settings": {"language": "fr"}},
        "settings.language",
        '"fr" is not a valid choice; use one of: es, en.',
    ),
    (
        {"settings": {"fiscalYear": "April"}},
        "settings.fiscalYear",
        '"April" is not a valid choice; use one of: calendar, january, '
        "february, march, april, may, june, july, august, september, october, "
        "november, december.",
    ),
    (
        {"settings": {"locale": "es"}},
        "settings.locale",
        "Unknown field. Allowed fields: currency, timezone, language, fiscalYear.",
    ),
    (
        {"settings": "es"},
        "settings",
        "Invalid data. Expected a dictionary, but got str.",
    ),
    (
        {"metadata": {f"k{i}": i for i in range(51)}},
        "metadata",
        "metadata has 51 keys; at most 50 are allowed.",
    ),
    (
        {"metadata": {"k" * 41: "v"}},
        "metadata",
        f"metadata key '{'k' * 41}' must be 1 to 40 characters long.",
    ),
    (
        {"metadata": {"nested": {"a": 1}}},
        "metadata",
        "metadata['nested'] must be a string, number, boolean or null, not an object or list.",
    ),
    (
        {"metadata": {"list": [1]}},
        "metadata",
        "metadata['list'] must be a string, number, boolean or null, not an object or list.",
    ),
    (
        {"metadata": {"long": "x" * 501}},
        "metadata",
        "metadata['long'] is 501 characters long; at most 500 are allowed.",
    ),
    (
        {"metadata": ["a"]},
        "metadata",
        "metadata must be a JSON object of keys and values.",
    ),
    (
        {"branding": {"primaryColor": "red"}},
        "branding.primaryColor",
        "'red' is not a colour in the form #RRGGBB, such as #1A2B3C.",
    ),
    (
        {"branding": {"accentColor": "#12345"}},
        "branding.accentColor",
        "'#12345' is not a colour in the form #RRGGBB, such as #1A2B3C.",
    ),
    (
        {"branding": {"logoUrl": "http://cdn.example.com/logo.png"}},
        "branding.logoUrl",
        "The URL must start with https://.",
    ),
    (
        {"branding": {"logoUrl": "not a url"}},
        "branding.logoUrl",
        "Enter a valid URL.",
    ),
    (
        {"branding": {"replyToEmail": "billing"}},
        "branding.replyToEmail",
        "Enter a valid email address.",
    ),
    (
        {"branding": {"supportEmail": "help@"}},
        "branding.supportEmail",
        "Enter a valid email address.",
    ),
    (
        {"branding": {"font": "Arial"}},
        "branding.font",
        "Unknown field. Allowed fields: displayName, logoUrl, primaryColor, "
        "accentColor, emailFromName, replyToEmail, supportEmail, footerText.",
    ),
]

CREATE_ONLY = [
    (
        {"onboarding": {"steps": ["team_setup", "payroll"]}},
        "onboarding.steps",
        "Unknown step 'payroll'. Known steps: team_setup, payment_integration, "
        "client_setup, invoice_configuration.",
    ),
    (
        {
            "onboarding": {
                "steps": [
                    "team_setup",
                    "team_setup",
                    "payment_integration",
                    "invoice_configuration",
                ]
            }
        },
        "onboarding.steps",
        "Step 'team_setup' is listed more than once.",
    ),
    (
        {"onboarding": {"steps": ["team_setup", "payment_integration"]}},
        "onboarding.steps",
        "Required step 'invoice_configuration' is missing; required steps: "
        "team_setup, payment_integration, invoice_configuration.",
    ),
    (
        {"onboarding": {"steps": []}},
        "onboarding.steps",
        "This list may not be empty.",
    ),
    (
        {"onboarding": {"completed": True}},
        "onboarding.completed",
        "A new team starts with onboarding not completed; complete its steps "
        "through POST /v2/connect/teams/{teamId}/onboarding/complete-step.",
    ),
    (
        {"teamsize": "1"},
        "teamsize",
        "Unknown field. Allowed fields: name, description, industry, teamSize, "
        "country, settings, onboarding, metadata, branding.",
    ),
]


def expected_error(field, message):
    return {
        "error": {
            "code": "validation_error",
            "message": f"Invalid {field}: {message}",
            "fields": {field: [message]},
        },
        "message": f"Invalid {field}: {message}",
    }


@pytest.mark.parametrize(("fields", "field", "message"), ONE_CHECK + CREATE_ONLY)
def test_create_rejects(owner_client, fields, field, message):
    body = {"name": "Alpha", **fields}

    response = owner_client.post("/v2/connect/teams", body, format="json")

    assert response.status_code == 400
    assert error_of(response) == expected_error(field, message)
    assert Team.objects.count() == 0


@pytest.mark.parametrize(("fields", "field", "message"), ONE_CHECK)
def test_update_rejects(owner, owner_client, fields, field, message):
    team = TeamFactory(owner=owner, name="Unchanged")
    before = Team.objects.values().get(pk=team.pk)

    response = owner_client.put(
        f"/v2/connect/teams/{team.public_id}", fields, format="json"
    )

    assert response.status_code == 400
    assert error_of(response) == expected_error(field, message)
    assert Team.objects.values().get(pk=team.pk) == before


def test_create_requires_name(owner_client):
    response = owner_client.post("/v2/connect/teams", {}, format="json")

    assert response.status_code == 400
    assert error_of(response) == expected_error("name", "This field is required.")


def test_create_names_every_invalid_field(owner_client):
    body = {"name": "", "country": "XX"}

    response = owner_client.post("/v2/connect/teams", body, format="json")

    message = "Invalid fields: name, country. See error.fields for each one."
    assert response.status_code == 400
    assert error_of(response) == {
        "error": {
            "code": "validation_error",
            "message": message,
            "fields": {
                "name": ["This field may not be blank."],
                "country": [
                    "'XX' is not an ISO 3166-1 alpha-2 country code; use one such as MX, CO or US."
                ],
            },
        },
        "message": message,
    }


@pytest.mark.parametrize(
    ("fiscal_year", "timezone", "currency"),
    [("april", "America/Bogota", "usd"), ("calendar", "UTC", "MXN")],
)
def test_create_accepts_valid_settings(owner_client, fiscal_year, timezone, currency):
    settings = {"fiscalYear": fiscal_year, "timezone": timezone, "currency": currency}

    response = owner_client.post(
        "/v2/connect/teams", {"name": "Alpha", "settings": settings}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["settings"] == {
        "currency": currency.upper(),
        "timezone": timezone,
        "language": "es",
        "fiscalYear": fiscal_year,
    }


def test_create_accepts_metadata_at_the_limits(owner_client):
    metadata = {f"{i:02d}" + "k" * 38: "x" * 500 for i in range(50)}
    metadata["00" + "k" * 38] = None

    response = owner_client.post(
        "/v2/connect/teams", {"name": "Alpha", "metadata": metadata}, format="json"
    )

    assert response.status_code == 201
    assert len(response.json()["data"]["metadata"]) == 49


def test_error_message_cuts_long_value(owner_client):
    body = {"name": "Alpha", "country": "X" * 1000}

    response = owner_client.post("/v2/connect/teams", body, format="json")

    message = (
        f"'{'X' * 40}…' is not an ISO 3166-1 alpha-2 country code; "
        "use one such as MX, CO or US."
    )
    assert response.status_code == 400
    assert error_of(response) == expected_error("country", message)
