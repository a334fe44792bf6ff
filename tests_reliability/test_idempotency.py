import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from connect_site.models import IdempotencyRecord
from members.services import api_key_create
from teams.models import Team

TEAM_BODY = {"name": "Development Team Alpha", "industry": "Technology"}


def post_team(client, body=None, key="key-1", **headers):
    return client.post(
        "/v2/connect/teams",
        data=json.dumps(body or TEAM_BODY),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **headers,
    )


@pytest.mark.django_db
def test_retry_replays_first_response(owner_client):
    first = post_team(owner_client)

    second = post_team(owner_client)

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Team.objects.count() == 1


@pytest.mark.django_db
def test_retry_gets_new_request_id(owner_client):
    first = post_team(owner_client)

    second = post_team(owner_client)

    assert second["X-Request-Id"] != first["X-Request-Id"]


@pytest.mark.django_db
def test_same_key_other_body_is_409(owner_client):
    post_team(owner_client)

    response = post_team(owner_client, {"name": "Another team"})

    assert response.status_code == 409
    body = response.json()
    assert body == {
        "error": {
            "code": "idempotency_key_reused",
            "message": "This Idempotency-Key was already used with a different "
            "request. Send a new key for a new request.",
        },
        "message": "This Idempotency-Key was already used with a different "
        "request. Send a new key for a new request.",
        "requestId": response["X-Request-Id"],
    }
    assert Team.objects.count() == 1


@pytest.mark.django_db
def test_same_key_other_path_is_409(owner_client):
    created = post_team(owner_client).json()["data"]

    response = owner_client.post(
        f"/v2/connect/teams/{created['id']}/onboarding/links",
        data=json.dumps(TEAM_BODY),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.django_db
def test_keys_are_scoped_per_api_key(owner, make_key_client):
    first_client = make_key_client(owner)
    second_client = make_key_client(owner)

    first = post_team(first_client)
    second = post_team(second_client)

    assert first.status_code == 201
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert first.json()["data"]["id"] != second.json()["data"]["id"]
    assert Team.objects.count() == 2


@pytest.mark.django_db
def test_validation_error_is_stored_and_replayed(owner_client):
    first = post_team(owner_client, {"name": ""})

    second = post_team(owner_client, {"name": ""})

    assert first.status_code == 400
    assert second.status_code == 400
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_server_error_is_not_stored(owner_client, monkeypatch):
    from teams import services

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "team_create", broken)
    failed = post_team(owner_client)
    monkeypatch.undo()

    retried = post_team(owner_client)

    assert failed.status_code == 500
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Team.objects.count() == 1


@pytest.mark.django_db
def test_key_longer_than_255_is_400(owner_client):
    response = post_team(owner_client, key="k" * 256)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "Idempotency-Key must be at most 255 characters.",
        "fields": {
            "Idempotency-Key": ["Idempotency-Key must be at most 255 characters."]
        },
    }
    assert Team.objects.count() == 0


@pytest.mark.django_db
def test_key_of_255_characters_is_accepted(owner_client):
    first = post_team(owner_client, key="k" * 255)

    second = post_team(owner_client, key="k" * 255)

    assert first.status_code == 201
    assert second["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_blank_key_is_400(owner_client):
    response = post_team(owner_client, key="   ")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Idempotency-Key must not be empty."


@pytest.mark.django_db
def test_post_without_key_is_not_stored(owner_client):
    owner_client.post(
        "/v2/connect/teams", data=TEAM_BODY, format="json"
    )  # no Idempotency-Key

    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_invalid_api_key_gets_401_and_nothing_stored():
    client = Client(HTTP_AUTHORIZATION="Bearer ck_live_unknown")

    response = post_team(client)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_expired_record_runs_request_again(owner_client):
    post_team(owner_client)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = post_team(owner_client, {"name": "Created after expiry"})

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Team.objects.count() == 2


@pytest.mark.django_db
def test_in_progress_record_is_409_conflict(owner_client):
    post_team(owner_client)
    IdempotencyRecord.objects.update(response_status=None, response_body=None)

    response = post_team(owner_client)

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "A request with this Idempotency-Key is in progress. Retry "
        "after it has finished to get its response.",
    }


@pytest.mark.django_db
def test_abandoned_in_progress_record_is_taken_over(owner_client, settings):
    post_team(owner_client)
    IdempotencyRecord.objects.update(
        response_status=None,
        response_body=None,
        locked_at=timezone.now()
        - timedelta(seconds=settings.CONNECT_IDEMPOTENCY_LOCK_SECONDS + 1),
    )

    response = post_team(owner_client)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Team.objects.count() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent PostgreSQL sessions"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_run_once(owner, monkeypatch):
    from teams import services

    _api_key, secret = api_key_create(user=owner, name="race key")
    real_create = services.team_create
    inside = threading.Event()
    release = threading.Event()

    def slow_create(**kwargs):
        inside.set()
        release.wait(10)
        return real_create(**kwargs)

    monkeypatch.setattr(services, "team_create", slow_create)
    responses = {}

    def first_request():
        responses["first"] = post_team(Client(HTTP_AUTHORIZATION=f"Bearer {secret}"))
        connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    assert inside.wait(10)
    responses["second"] = post_team(Client(HTTP_AUTHORIZATION=f"Bearer {secret}"))
    release.set()
    thread.join(15)
    replay = post_team(Client(HTTP_AUTHORIZATION=f"Bearer {secret}"))

    assert responses["first"].status_code == 201
    assert responses["second"].status_code == 409
    assert responses["second"].json()["error"]["code"] == "conflict"
    assert replay.status_code == 201
    assert replay.content == responses["first"].content
    assert Team.objects.count() == 1


@pytest.mark.django_db
def test_purge_deletes_only_expired_records(owner_client):
    from connect_site.tasks import purge_idempotency_records

    post_team(owner_client, key="old")
    post_team(owner_client, {"name": "Recent"}, key="recent")
    IdempotencyRecord.objects.filter(idempotency_key="old").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    purge_idempotency_records()

    assert list(
        IdempotencyRecord.objects.values_list("idempotency_key", flat=True)
    ) == ["recent"]


@pytest.mark.django_db
def test_stored_response_is_encrypted_at_rest(owner_client):
    post_team(owner_client, {"name": "Secretive team name"})

    stored = bytes(IdempotencyRecord.objects.get().response_body)

    assert b"Secretive team name" not in stored
    assert stored.startswith(b"gAAAA")  # a Fernet token


@pytest.mark.django_db
def test_unreadable_stored_response_is_409(owner_client, settings):
    post_team(owner_client)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40

    response = post_team(owner_client)

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "The stored response for this Idempotency-Key can no longer be "
        "read. Send the request with a new Idempotency-Key.",
    }
    assert Team.objects.count() == 1
