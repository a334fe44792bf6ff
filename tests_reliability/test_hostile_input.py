"""Hostile request bodies on every write endpoint must get a clear 4xx.

The endpoints come from the URL resolver and address the caller's own
objects, so each body reaches parsing and validation rather than a 404.
"""

import json

import pytest
from django.test import Client

from connect_site.models import IdempotencyRecord
from members.models import Membership
from members.services import api_key_create
from teams.models import AuditEntry
from teams.tests.factories import TeamFactory
from tests_reliability.endpoints import api_endpoints

WRITE_ENDPOINTS = [
    endpoint
    for endpoint in api_endpoints()
    if endpoint.method in {"post", "put", "patch"}
]
HOSTILE_BODIES = {
    "invalid_json": (b'{"name": ', "application/json"),
    "json_array": (b"[1, 2, 3]", "application/json"),
    "json_string": (b'"team"', "application/json"),
    "json_null": (b"null", "application/json"),
    "invalid_utf8": (b'{"name": "\xff\xfe"}', "application/json"),
    "nul_byte": (b'{"name": "a\\u0000b"}', "application/json"),
    "deep_nesting": (
        b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "application/json",
    ),
    "huge_number": (b'{"name": 1e999999}', "application/json"),
    "form_encoded": (b"name=team", "application/x-www-form-urlencoded"),
    "too_large": (
        json.dumps({"name": "x" * (600 * 1024)}).encode(),
        "application/json",
    ),
}


@pytest.fixture
def own_world(make_user):
    owner = make_user("hostile-owner@example.com")
    team = TeamFactory(owner=owner, name="Own team")
    _api_key, secret = api_key_create(user=owner, name="hostile")
    ids = {
        "team_id": team.public_id,
        "member_id": Membership.objects.get(team=team).public_id,
        "integration_id": "intg_unknown0000000000000000",
        "delivery_id": "dlv_unknown00000000000000000",
        "event_id": "evt_unknown00000000000000000",
    }
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), ids


@pytest.mark.django_db
@pytest.mark.parametrize("body_name", sorted(HOSTILE_BODIES))
@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS, ids=str)
def test_hostile_body_gets_4xx_envelope(own_world, endpoint, body_name):
    client, ids = own_world
    body, content_type = HOSTILE_BODIES[body_name]
    audit_count = AuditEntry.objects.count()

    response = getattr(client, endpoint.method)(
        endpoint.path(ids),
        data=body,
        content_type=content_type,
        HTTP_IDEMPOTENCY_KEY=f"hostile-{body_name}",
    )

    assert 400 <= response.status_code < 500, (
        f"{endpoint} with {body_name}: {response.status_code}"
    )
    payload = json.loads(response.content)
    assert payload["error"]["code"]
    assert payload["message"] == payload["error"]["message"]
    assert payload["requestId"] == response["X-Request-Id"]
    assert AuditEntry.objects.count() == audit_count


@pytest.mark.django_db
def test_too_large_body_with_idempotency_key_is_413_and_not_stored(own_world):
    client, _ids = own_world
    body, content_type = HOSTILE_BODIES["too_large"]

    response = client.post(
        "/v2/connect/teams",
        data=body,
        content_type=content_type,
        HTTP_IDEMPOTENCY_KEY="large",
    )

    assert response.status_code == 413
    assert json.loads(response.content)["error"]["code"] == "payload_too_large"
    assert IdempotencyRecord.objects.count() == 0
