import base64
import copy

import pytest

from connect_site.api.fields import format_timestamp
from integrations.models import Integration, IntegrationStatus
from integrations.secrets import decrypt_secret
from integrations.tests.data import PAGE_INTEGRATION_REQUEST
from integrations.tests.factories import IntegrationFactory, member_add
from teams.models import AuditEntry
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dns")]


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner)


@pytest.fixture
def loopback_off(settings):
    settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = False


def integrations_url(team):
    return f"/v2/connect/teams/{team.public_id}/integrations"


def integration_url(integration):
    return f"/v2/connect/teams/{integration.team.public_id}/integrations/{integration.public_id}"


def expected_integration(integration, secret):
    return {
        "id": integration.public_id,
        "teamId": integration.team.public_id,
        "type": "webhook",
        "name": integration.name,
        "configuration": {
            "url": integration.url,
            "events": integration.events,
            "secret": secret,
        },
        "isActive": integration.is_active,
        "status": integration.status,
        "disabledReason": integration.disabled_reason or None,
        "lastDeliveryAt": None,
        "createdAt": format_timestamp(integration.created_at),
        "updatedAt": format_timestamp(integration.updated_at),
    }


def create(client, team, body):
    return client.post(integrations_url(team), body, format="json")


def test_page_request_creates_integration(owner_client, team):
    response = create(owner_client, team, PAGE_INTEGRATION_REQUEST)

    assert response.status_code == 201
    integration = Integration.objects.get()
    assert response.json() == {
        "data": expected_integration(integration, "team_webhook_secret"),
        "message": "Integration created successfully",
    }
    assert integration.public_id.startswith("intg_")
    assert integration.events == ["payment.completed", "invoice.paid"]
    assert decrypt_secret(integration.secret_encrypted) == "team_webhook_secret"
    assert "team_webhook_secret" not in integration.secret_encrypted


def test_list_filters_status_and_is_active(owner_client, team):
    IntegrationFactory(team=team, is_active=False)
    wanted = IntegrationFactory(team=team)
    disabled = IntegrationFactory(team=team)
    Integration.objects.filter(pk=disabled.pk).update(status=IntegrationStatus.DISABLED)

    response = owner_client.get(integrations_url(team) + "?status=active&isActive=true")

    assert [item["id"] for item in response.json()["data"]] == [wanted.public_id]


def test_list_rejects_bad_is_active(owner_client, team):
    response = owner_client.get(integrations_url(team) + "?isActive=yes")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"isActive": ["Use true or false."]}


def test_get_masks_secret_after_create(owner_client, team):
    created = create(owner_client, team, PAGE_INTEGRATION_REQUEST).json()["data"]

    response = owner_client.get(f"{integrations_url(team)}/{created['id']}")

    assert response.status_code == 200
    integration = Integration.objects.get()
    assert response.json() == {
        "data": expected_integration(integration, "team…"),
        "message": "Integration retrieved successfully",
    }


def test_list_masks_secret(owner_client, team):
    create(owner_client, team, PAGE_INTEGRATION_REQUEST)

    response = owner_client.get(integrations_url(team))

    integration = Integration.objects.get()
    assert response.status_code == 200
    assert response.json() == {
        "data": [expected_integration(integration, "team…")],
        "message": "Integrations retrieved successfully",
        "totalResults": 1,
        "hasMore": False,
        "next": None,
    }


def test_create_generates_whsec_secret(owner_client, team):
    body = copy.deepcopy(PAGE_INTEGRATION_REQUEST)
    del body["configuration"]["secret"]

    response = create(owner_client, team, body)

    secret = response.json()["data"]["configuration"]["secret"]
    assert response.status_code == 201
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert decrypt_secret(Integration.objects.get().secret_encrypted) == secret


def test_create_writes_audit_entry_without_secret(owner_client, team):
    create(owner_client, team, PAGE_INTEGRATION_REQUEST)

    entry = AuditEntry.objects.get(action="integration.created")
    assert entry.target_id == Integration.objects.get().public_id
    assert entry.changes == {
        "name": "Team Payment Notifications",
        "url": "https://team.example.com/webhooks/payments",
        "events": ["payment.completed", "invoice.paid"],
        "isActive": True,
    }


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (
            "short_secret",
            "A secret must have at least 16 characters, or be a whsec_ secret.",
        ),
        (
            "whsec_" + base64.b64encode(b"x" * 23).decode(),
            "A whsec_ secret must encode 24 to 64 bytes; this one encodes 23.",
        ),
        (
            "whsec_" + base64.b64encode(b"x" * 65).decode(),
            "A whsec_ secret must encode 24 to 64 bytes; this one encodes 65.",
        ),
        ("whsec_not base64!!", "A whsec_ secret must be followed by standard base64."),
    ],
)
def test_create_rejects_bad_secret(owner_client, team, secret, message):
    body = copy.deepcopy(PAGE_INTEGRATION_REQUEST)
    body["configuration"]["secret"] = secret

    response = create(owner_client, team, body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": f"Invalid configuration.secret: {message}",
        "fields": {"configuration.secret": [message]},
    }
    assert Integration.objects.count() == 0


@pytest.mark.parametrize("size", [24, 64])
def test_create_accepts_whsec_secret_at_bounds(owner_client, team, size):
    body = copy.deepcopy(PAGE_INTEGRATION_REQUEST)
    secret = "whsec_" + base64.b64encode(b"k" * size).decode()
    body["configuration"]["secret"] = secret

    response = create(owner_client, team, body)

    assert response.status_code == 201
    assert response.json()["data"]["configuration"]["secret"] == secret


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([], 'List at least one event type, or ["*"] for every type.'),
        (
            ["payment.completed", "payment.exploded"],
            "Unknown event type payment.exploded. Use types from GET "
            '/v2/connect/event-types, or ["*"] for every type.',
        ),
        (
            ["invoice.paid", "invoice.paid"],
            "The event type invoice.paid is listed twice; list each type once.",
        ),
        (["*", "invoice.paid"], '"*" already includes every type; send ["*"] alone.'),
    ],
)
def test_create_rejects_bad_events(owner_client, team, events, message):
    body = copy.deepcopy(PAGE_INTEGRATION_REQUEST)
    body["configuration"]["events"] = events

    response = create(owner_client, team, body)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"configuration.events": [message]}
    assert Integration.objects.count() == 0


def test_create_accepts_all_events(owner_client, team):
    body = copy.deepcopy(PAGE_INTEGRATION_REQUEST)
    body["configuration"]["events"] = ["*"]

    response = create(owner_client, team, body)

    assert response.status_code == 201
    assert response.json()["data"]["configuration"]["events"] == ["*"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"type": "email"}, "type", 'The only integration type is "webhook".'),
        ({"name": ""}, "name", "This field may not be blank."),
        (
            {"name": "n" * 121},
            "name",
            "Ensure this field has no more than 120 characters.",
        ),
        ({"isActive": "yes"}, "isActive", "Must be true or false."),
        ({"colour": "red"}, "colour", None),
    ],
)
def test_create_rejects_bad_fields(owner_client, team, change, field, message):
    body = {**copy.deepcopy(PAGE_INTEGRATION_REQUEST), **change}

    response = create(owner_client, team, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["fields"]) == [field]
    if message:
        assert response.json()["error"]["fields"][field] == [message]


@pytest.mark.usefixtures("loopback_off")
@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/",
        "https://127.0.0.1/",
        "https://2852039166/latest/meta-data",
        "https://[::ffff:10.0.0.1]/",
    ],
)
def test_create_rejects_forbidden_url(owner_client, team, url):
    body = copy.deepcopy(PAGE_INTEGRATION_REQUEST)
    body["configuration"]["url"] = url

    response = create(owner_client, team, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["configuration.url"]
    assert "private, loopback, link-local" in error["fields"]["configuration.url"][0]
    assert Integration.objects.count() == 0


@pytest.mark.usefixtures("loopback_off")
def test_create_rejects_metadata_url_message(owner_client, team):
    body = copy.deepcopy(PAGE_INTEGRATION_REQUEST)
    body["configuration"]["url"] = "https://169.254.169.254/"

    response = create(owner_client, team, body)

    message = (
        "The host 169.254.169.254 is or resolves to 169.254.169.254, a private, "
        "loopback, link-local or otherwise reserved address; use a public address."
    )
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": f"Invalid configuration.url: {message}",
        "fields": {"configuration.url": [message]},
    }


def test_create_rejects_http_url(owner_client, team):
    body = copy.deepcopy(PAGE_INTEGRATION_REQUEST)
    body["configuration"]["url"] = "http://team.example.com/webhooks"

    response = create(owner_client, team, body)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "configuration.url": ["Use https; plain http is not accepted for webhooks."]
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 201),
        ("admin", 201),
        ("developer", 201),
        ("manager", 403),
        ("user", 403),
    ],
)
def test_create_permission_by_role(team, make_user, make_key_client, role, status):
    user = make_user()
    member_add(team=team, user=user, role=role)

    response = create(make_key_client(user), team, PAGE_INTEGRATION_REQUEST)

    assert response.status_code == status
    if status == 403:
        assert response.json()["error"] == {
            "code": "permission_denied",
            "message": "This action needs the integrations.create permission.",
        }


def test_manager_reads_but_cannot_update(team, make_user, make_key_client):
    integration = IntegrationFactory(team=team)
    manager = make_user()
    member_add(team=team, user=manager, role="manager")
    client = make_key_client(manager)

    read = client.get(integration_url(integration))
    update = client.put(integration_url(integration), {"name": "New"}, format="json")

    assert read.status_code == 200
    assert update.status_code == 403
    assert update.json()["error"]["message"] == (
        "This action needs the integrations.update permission."
    )


def test_user_cannot_list(team, make_user, make_key_client):
    user = make_user()
    member_add(team=team, user=user, role="user")

    response = make_key_client(user).get(integrations_url(team))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_other_team_integration_is_404(owner_client, team, make_user):
    other_team = TeamFactory(owner=make_user())
    integration = IntegrationFactory(team=other_team)

    response = owner_client.get(f"{integrations_url(team)}/{integration.public_id}")

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "No integration with this id was found.",
    }


def test_non_member_gets_404_for_team(team, make_user, make_key_client):
    response = make_key_client(make_user()).get(integrations_url(team))

    assert response.status_code == 404


def test_update_changes_given_fields_only(owner_client, team):
    integration = IntegrationFactory(team=team, secret="team_webhook_secret")

    response = owner_client.put(
        integration_url(integration),
        {"name": "Renamed", "configuration": {"events": ["*"]}},
        format="json",
    )

    integration.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "data": expected_integration(integration, "team…"),
        "message": "Integration updated successfully",
    }
    assert integration.name == "Renamed"
    assert integration.events == ["*"]
    assert integration.url == "https://team.example.com/webhooks/payments"
    assert AuditEntry.objects.get(action="integration.updated").changes == {
        "name": "Renamed",
        "events": ["*"],
    }


def test_patch_is_same_as_put(owner_client, team):
    integration = IntegrationFactory(team=team)

    response = owner_client.patch(
        integration_url(integration), {"isActive": False}, format="json"
    )

    integration.refresh_from_db()
    assert response.status_code == 200
    assert integration.is_active is False


@pytest.mark.usefixtures("loopback_off")
def test_update_rejects_forbidden_url(owner_client, team):
    integration = IntegrationFactory(team=team)

    response = owner_client.put(
        integration_url(integration),
        {"configuration": {"url": "https://0xA9FEA9FE/"}},
        format="json",
    )

    integration.refresh_from_db()
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["configuration.url"]
    assert integration.url == "https://team.example.com/webhooks/payments"


def test_update_with_new_secret_rotates(owner_client, team, settings):
    settings.CONNECT_SECRET_GRACE_SECONDS = 3600
    integration = IntegrationFactory(team=team, secret="team_webhook_secret")

    response = owner_client.put(
        integration_url(integration),
        {"configuration": {"secret": "another_long_secret"}},
        format="json",
    )

    integration.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["data"]["configuration"]["secret"] == "anot…"
    assert decrypt_secret(integration.secret_encrypted) == "another_long_secret"
    assert (
        decrypt_secret(integration.previous_secret_encrypted) == "team_webhook_secret"
    )
    assert (
        integration.previous_secret_expires_at - integration.updated_at
    ).total_seconds() == pytest.approx(3600, abs=5)


def test_update_with_same_secret_keeps_it(owner_client, team):
    integration = IntegrationFactory(team=team, secret="team_webhook_secret")

    response = owner_client.put(
        integration_url(integration), PAGE_INTEGRATION_REQUEST, format="json"
    )

    integration.refresh_from_db()
    assert response.status_code == 200
    assert integration.previous_secret_encrypted == ""
    assert integration.previous_secret_expires_at is None


def test_update_is_active_reenables_disabled(owner_client, team):
    integration = IntegrationFactory(team=team)
    Integration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.DISABLED, disabled_reason="410 Gone"
    )

    response = owner_client.put(
        integration_url(integration), {"isActive": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "active"
    assert response.json()["data"]["disabledReason"] is None


def test_rotate_returns_new_full_secret(owner_client, team):
    integration = IntegrationFactory(team=team, secret="team_webhook_secret")

    response = owner_client.post(f"{integration_url(integration)}/rotate-secret")

    integration.refresh_from_db()
    new_secret = decrypt_secret(integration.secret_encrypted)
    assert response.status_code == 200
    assert response.json() == {
        "data": expected_integration(integration, new_secret),
        "message": "Integration secret rotated successfully",
    }
    assert new_secret.startswith("whsec_")
    assert (
        decrypt_secret(integration.previous_secret_encrypted) == "team_webhook_secret"
    )
    assert (
        owner_client.get(integration_url(integration)).json()["data"]["configuration"][
            "secret"
        ]
        == new_secret[:10] + "…"
    )


def test_rotate_accepts_given_secret(owner_client, team):
    integration = IntegrationFactory(team=team)

    response = owner_client.post(
        f"{integration_url(integration)}/rotate-secret",
        {"secret": "my_own_rotated_secret"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["configuration"]["secret"] == (
        "my_own_rotated_secret"
    )


def test_rotate_rejects_short_secret(owner_client, team):
    integration = IntegrationFactory(team=team)

    response = owner_client.post(
        f"{integration_url(integration)}/rotate-secret",
        {"secret": "short"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "secret": ["A secret must have at least 16 characters, or be a whsec_ secret."]
    }


def test_delete_hides_integration(owner_client, team):
    integration = IntegrationFactory(team=team)

    response = owner_client.delete(integration_url(integration))

    assert response.status_code == 200
    assert response.json() == {
        "data": {"id": integration.public_id, "deleted": True},
        "message": "Integration deleted successfully",
    }
    assert owner_client.get(integration_url(integration)).status_code == 404
    assert owner_client.get(integrations_url(team)).json()["totalResults"] == 0
    integration.refresh_from_db()
    assert integration.deleted_at is not None
    assert integration.is_active is False


def test_delete_twice_is_404(owner_client, team):
    integration = IntegrationFactory(team=team)
    owner_client.delete(integration_url(integration))

    response = owner_client.delete(integration_url(integration))

    assert response.status_code == 404
