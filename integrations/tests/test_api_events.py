import pytest

from connect_site.api.fields import format_timestamp
from integrations.catalog import EVENT_TYPES
from integrations.models import Event
from integrations.tests.factories import member_add
from teams.models import AuditEntry
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dns")]

PAYMENT = {"id": "pay_123", "amount": 1500.5, "currency": "MXN"}


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner)


def events_url(team):
    return f"/v2/connect/teams/{team.public_id}/events"


def publish(client, team, body):
    return client.post(events_url(team), body, format="json")


def test_event_types_lists_catalog(owner_client):
    response = owner_client.get("/v2/connect/event-types")

    body = response.json()
    assert response.status_code == 200
    assert body["message"] == "Event types retrieved successfully"
    assert body["totalResults"] == 19
    assert body["hasMore"] is False
    assert body["next"] is None
    assert [item["type"] for item in body["data"]] == list(EVENT_TYPES)
    assert body["data"][0] == {
        "type": "team.created",
        "description": "A team was created.",
        "publishPermission": None,
    }
    assert body["data"][11] == {
        "type": "payment.completed",
        "description": "A payment was completed.",
        "publishPermission": "payments.update",
    }


def test_event_types_rejects_unknown_parameter(owner_client):
    response = owner_client.get("/v2/connect/event-types?kind=payment")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "kind": ["Unknown query parameter. Allowed: limit, offset."]
    }


def test_event_types_needs_api_key(client):
    response = client.get("/v2/connect/event-types")

    assert response.status_code == 401


def test_publish_payment_event(owner_client, team):
    response = publish(
        owner_client, team, {"type": "payment.completed", "data": PAYMENT}
    )

    event = Event.objects.get(type="payment.completed")
    assert response.status_code == 201
    assert response.json() == {
        "data": {
            "id": event.public_id,
            "type": "payment.completed",
            "teamId": team.public_id,
            "data": PAYMENT,
            "createdAt": format_timestamp(event.created_at),
        },
        "message": "Event published successfully",
    }
    assert event.public_id.startswith("evt_")
    assert AuditEntry.objects.get(action="event.published").target_id == (
        event.public_id
    )


def test_publish_queues_fan_out_after_commit(
    owner_client, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish(owner_client, team, {"type": "invoice.paid", "data": {"id": "inv_1"}})

    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("event_type", "permission"),
    [
        ("payment.created", "payments.update"),
        ("invoice.paid", "invoices.update"),
        ("client.updated", "clients.update"),
    ],
)
def test_publish_needs_prefix_permission(
    team, make_user, make_key_client, event_type, permission
):
    developer = make_user()
    member_add(team=team, user=developer, role="developer")

    response = publish(
        make_key_client(developer), team, {"type": event_type, "data": {}}
    )

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": f"This action needs the {permission} permission.",
    }
    assert not Event.objects.filter(type=event_type).exists()


def test_manager_publishes_invoice_event(team, make_user, make_key_client):
    manager = make_user()
    member_add(team=team, user=manager, role="manager")

    response = publish(
        make_key_client(manager), team, {"type": "invoice.created", "data": {}}
    )

    assert response.status_code == 201


def test_publish_rejects_connect_event_type(owner_client, team):
    response = publish(owner_client, team, {"type": "team.deleted", "data": {}})

    message = (
        "team.deleted events are written by Connect itself; publish only "
        "payment.*, invoice.* and client.* events."
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": f"Invalid type: {message}",
        "fields": {"type": [message]},
    }


def test_publish_rejects_unknown_type(owner_client, team):
    response = publish(owner_client, team, {"type": "payment.exploded", "data": {}})

    message = (
        "Unknown event type payment.exploded. Publish one of: payment.created, "
        "payment.completed, payment.failed, payment.refunded, invoice.created, "
        "invoice.paid, invoice.cancelled, client.created, client.updated."
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"type": [message]}


@pytest.mark.parametrize("data", [[1, 2], "text", None])
def test_publish_rejects_non_object_data(owner_client, team, data):
    response = publish(owner_client, team, {"type": "payment.created", "data": data})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["data"]


def test_publish_rejects_infinite_number(owner_client, team):
    response = owner_client.post(
        events_url(team),
        b'{"type": "payment.created", "data": {"amount": 1e400}}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_json",
        "message": "The request body is not valid JSON: the number 1e400 is too large.",
    }


def test_publish_rejects_unknown_field(owner_client, team):
    response = publish(
        owner_client, team, {"type": "payment.created", "data": {}, "when": "now"}
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["when"]


def test_publish_rejects_data_over_256_kb(owner_client, team):
    # {"blob":"..."} is 11 bytes plus the string: one byte over the limit.
    data = {"blob": "x" * (256 * 1024 - 10)}

    response = publish(owner_client, team, {"type": "payment.created", "data": data})

    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "data is 262145 bytes as JSON; the maximum is 262144 bytes "
        "(256 KB). Send a smaller object, for example ids instead of whole "
        "documents.",
    }
    assert not Event.objects.filter(type="payment.created").exists()


def test_publish_accepts_data_of_exactly_256_kb(owner_client, team):
    data = {"blob": "x" * (256 * 1024 - 11)}

    response = publish(owner_client, team, {"type": "payment.created", "data": data})

    assert response.status_code == 201


def test_list_events_newest_first(owner_client, team):
    publish(owner_client, team, {"type": "payment.created", "data": {"n": 1}})
    publish(owner_client, team, {"type": "payment.completed", "data": {"n": 2}})

    response = owner_client.get(events_url(team))

    body = response.json()
    assert response.status_code == 200
    assert body["message"] == "Events retrieved successfully"
    assert body["totalResults"] == 3
    assert [item["type"] for item in body["data"]] == [
        "payment.completed",
        "payment.created",
        "team.created",
    ]


def test_list_events_filters_by_type(owner_client, team):
    publish(owner_client, team, {"type": "payment.created", "data": {"n": 1}})

    response = owner_client.get(events_url(team) + "?type=payment.created")

    event = Event.objects.get(type="payment.created")
    assert response.json() == {
        "data": [
            {
                "id": event.public_id,
                "type": "payment.created",
                "teamId": team.public_id,
                "data": {"n": 1},
                "createdAt": format_timestamp(event.created_at),
            }
        ],
        "message": "Events retrieved successfully",
        "totalResults": 1,
        "hasMore": False,
        "next": None,
    }


def test_list_events_rejects_unknown_type_filter(owner_client, team):
    response = owner_client.get(events_url(team) + "?type=payment.exploded")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["type"]


def test_list_events_needs_integrations_read(team, make_user, make_key_client):
    user = make_user()
    member_add(team=team, user=user, role="user")

    response = make_key_client(user).get(events_url(team))

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "This action needs the integrations.read permission."
    )


def test_list_events_of_other_team_is_404(owner_client, make_user):
    other_team = TeamFactory(owner=make_user())

    response = owner_client.get(events_url(other_team))

    assert response.status_code == 404
