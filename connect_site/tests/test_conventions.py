"""The API's shared conventions: error envelope, request ids, health, logging."""

import logging

import pytest
from django.db import DatabaseError
from rest_framework.test import APIClient

from connect_site.tests.helpers import error_of
from teams.models import Team

pytestmark = pytest.mark.django_db


def post_raw(client, body, content_type="application/json"):
    return client.generic("POST", "/v2/connect/teams", body, content_type)


def envelope(code, message):
    return {"error": {"code": code, "message": message}, "message": message}


def test_malformed_json_answers_invalid_json(owner_client):
    response = post_raw(owner_client, b'{"name": ')

    message = "The request body is not valid JSON: Expecting value: line 1 column 10 (char 9)."
    assert response.status_code == 400
    assert error_of(response) == envelope("invalid_json", message)


def test_invalid_utf8_answers_invalid_json(owner_client):
    response = post_raw(owner_client, b'{"name": "\xff"}')

    assert response.status_code == 400
    assert error_of(response)["error"]["code"] == "invalid_json"


def test_nan_answers_invalid_json(owner_client):
    response = post_raw(owner_client, b'{"name": "A", "metadata": {"n": NaN}}')

    message = "The request body is not valid JSON: NaN is not valid JSON."
    assert response.status_code == 400
    assert error_of(response) == envelope("invalid_json", message)


def test_number_too_large_answers_invalid_json(owner_client):
    response = post_raw(owner_client, b'{"name": "A", "metadata": {"n": 1e400}}')

    message = "The request body is not valid JSON: the number 1e400 is too large."
    assert response.status_code == 400
    assert error_of(response) == envelope("invalid_json", message)
    assert not Team.objects.exists()


@pytest.mark.parametrize("body", [b"[]", b'"Alpha"', b"3", b"null"])
def test_body_not_an_object_answers_invalid_json(owner_client, body):
    response = post_raw(owner_client, body)

    message = "The request body must be a JSON object."
    assert response.status_code == 400
    assert error_of(response) == envelope("invalid_json", message)


def test_deeply_nested_body_answers_invalid_json(owner_client):
    body = b'{"metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    response = post_raw(owner_client, body)

    message = "The request body is nested too deeply; flatten it."
    assert response.status_code == 400
    assert error_of(response) == envelope("invalid_json", message)


def test_nested_body_at_the_recursion_edge_answers_400(owner_client):
    body = b'{"metadata": ' + b"[" * 990 + b"]" * 990 + b"}"

    response = post_raw(owner_client, body)

    assert response.status_code == 400


def test_nul_byte_in_string_answers_400(owner_client):
    response = post_raw(owner_client, b'{"name": "Al\\u0000pha"}')

    message = "Text must not contain the NUL character (U+0000)."
    assert response.status_code == 400
    assert error_of(response) == {
        "error": {
            "code": "validation_error",
            "message": f"Invalid name: {message}",
            "fields": {"name": [message]},
        },
        "message": f"Invalid name: {message}",
    }
    assert Team.objects.count() == 0


def test_nul_byte_in_nested_key_answers_400(owner_client):
    response = post_raw(owner_client, b'{"name": "A", "metadata": {"k\\u0000": 1}}')

    assert response.status_code == 400
    assert list(error_of(response)["error"]["fields"]) == ["metadata.k\x00"]


def test_lone_surrogate_answers_400(owner_client):
    response = post_raw(owner_client, b'{"name": "\\ud800"}')

    message = "Text must not contain unpaired surrogates such as \\ud800."
    assert response.status_code == 400
    assert error_of(response)["error"]["fields"] == {"name": [message]}


def test_body_too_large_answers_413(owner_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"name": "' + b"x" * 2048 + b'"}'

    response = post_raw(owner_client, body)

    message = "The request body is larger than 1 KB."
    assert response.status_code == 413
    assert error_of(response) == envelope("payload_too_large", message)


def test_wrong_content_type_answers_415(owner_client):
    response = post_raw(
        owner_client, b"name=Alpha", "application/x-www-form-urlencoded"
    )

    message = "Send the request body as JSON with 'Content-Type: application/json'."
    assert response.status_code == 415
    assert error_of(response) == envelope("unsupported_media_type", message)


def test_unknown_url_answers_404_envelope(owner_client):
    response = owner_client.get("/v2/connect/nothing/here")

    message = "No API endpoint matches this URL."
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response) == envelope("not_found", message)


def test_unknown_url_answers_404_to_post_without_key():
    response = APIClient().post("/v2/connect/nothing", {}, format="json")

    assert response.status_code == 404
    assert error_of(response)["error"]["code"] == "not_found"


def test_unknown_url_answers_404_with_debug_on(owner_client, settings):
    settings.DEBUG = True

    response = owner_client.get("/v2/connect/nothing")

    assert response.status_code == 404
    assert error_of(response)["error"]["code"] == "not_found"


def test_wrong_method_answers_405(owner_client):
    response = owner_client.delete("/v2/connect/teams")

    message = "Method DELETE is not allowed on this URL."
    assert response.status_code == 405
    assert error_of(response) == envelope("method_not_allowed", message)


def test_missing_key_answers_401(client):
    response = client.get("/v2/connect/teams")

    message = "Send an API key in the header 'Authorization: Bearer <key>'."
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert error_of(response) == envelope("authentication_required", message)


def test_api_answers_english_to_spanish_clients(owner_client):
    response = owner_client.post(
        "/v2/connect/teams", {}, format="json", HTTP_ACCEPT_LANGUAGE="es"
    )

    assert error_of(response)["error"]["fields"] == {
        "name": ["This field is required."]
    }
    assert response["Content-Language"] == "en"


def test_caller_request_id_is_echoed(owner_client):
    response = owner_client.get(
        "/v2/connect/nothing", HTTP_X_REQUEST_ID="client-1234-abcd"
    )

    assert response["X-Request-Id"] == "client-1234-abcd"
    assert response.json()["requestId"] == "client-1234-abcd"


def test_odd_caller_request_id_is_replaced(owner_client):
    response = owner_client.get("/v2/connect/nothing", HTTP_X_REQUEST_ID="a b\nc")

    assert response["X-Request-Id"].startswith("req_")


def test_success_carries_request_id(owner_client):
    response = owner_client.get("/v2/connect/teams")

    assert response["X-Request-Id"].startswith("req_")


def test_unexpected_error_answers_500_with_request_id(
    owner_client, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("teams.services.team_create", broken)
    owner_client.raise_request_exception = False

    response = owner_client.post("/v2/connect/teams", {"name": "A"}, format="json")

    message = "An unexpected error occurred. Quote the request id when reporting it."
    assert response.status_code == 500
    assert error_of(response) == envelope("server_error", message)
    assert "secret detail" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "connect_site.api.exceptions"]
    assert logged[0].getMessage() == (
        f"Unhandled error in TeamListView, request_id={response['X-Request-Id']}"
    )
    assert logged[0].exc_info[1].args == ("secret detail",)


def test_healthz_answers_200(client, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_healthz_answers_503_when_database_fails(client, monkeypatch, settings):
    settings.REDIS_URL = ""

    def failing():
        raise DatabaseError("connection refused")

    monkeypatch.setattr("connect_site.health.check_database", failing)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable"},
    }


def test_each_request_logs_one_line(owner_client, caplog):
    caplog.set_level(logging.INFO, logger="connect.requests")

    response = owner_client.get("/v2/connect/teams?limit=5")

    records = [r for r in caplog.records if r.name == "connect.requests"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert message.startswith(
        f"request_id={response['X-Request-Id']} method=GET "
        "path=/v2/connect/teams status=200 duration_ms="
    )
    assert float(message.rsplit("=", 1)[1]) >= 0
    assert records[0].request_id == response["X-Request-Id"]


@pytest.mark.parametrize(
    "path", ["/v2/connect/teams/team_%00", "/v2/connect/teams/team_%00/members"]
)
def test_nul_byte_in_path_answers_404(owner_client, path):
    response = owner_client.get(path)

    assert response.status_code == 404
    assert error_of(response) == envelope(
        "not_found", "No API endpoint matches this URL."
    )


def test_log_line_escapes_control_characters_in_path(owner_client, caplog):
    caplog.set_level(logging.INFO, logger="connect.requests")

    owner_client.get("/v2/connect/teams%0Aforged=1")

    records = [r for r in caplog.records if r.name == "connect.requests"]
    message = records[0].getMessage()
    assert "\n" not in message
    assert "path=/v2/connect/teams\\x0aforged=1 status=404" in message


def test_trailing_slash_post_creates_team(owner_client):
    response = owner_client.post("/v2/connect/teams/", {"name": "A"}, format="json")

    assert response.status_code == 201
    assert Team.objects.get().name == "A"


def test_trailing_slash_keeps_method_checks(owner_client):
    response = owner_client.delete("/v2/connect/teams/")

    assert response.status_code == 405
    assert error_of(response)["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path", ["/v2/connect/nothing/", "/v2/connect/teams//", "/v2/connect/"]
)
def test_trailing_slash_of_unknown_url_answers_404(owner_client, path):
    response = owner_client.get(path)

    assert response.status_code == 404
    assert error_of(response) == envelope(
        "not_found", "No API endpoint matches this URL."
    )


def test_schema_answers_without_trailing_slash(client):
    response = client.get("/v2/connect/schema?format=json")

    assert response.status_code == 200
    assert "/v2/connect/teams" in response.json()["paths"]


def test_healthz_answers_503_when_redis_is_down(client, settings):
    # Nothing listens on port 1 of the loopback address.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable"},
    }


def test_body_shorter_than_content_length_is_rejected():
    from io import BytesIO
    from types import SimpleNamespace

    from connect_site.api import errors
    from connect_site.api.parsers import StrictJSONParser

    request = SimpleNamespace(META={"CONTENT_LENGTH": "1000"})
    body = BytesIO(b'{"name": "cut short"}')

    with pytest.raises(errors.InvalidJson) as raised:
        StrictJSONParser().parse(body, parser_context={"request": request})

    assert raised.value.message == (
        "The request body ended after 21 of the 1000 bytes its Content-Length "
        "declares; send the whole body."
    )


def test_declared_length_over_limit_answers_413_before_reading(owner_client):
    response = owner_client.generic(
        "POST",
        "/v2/connect/teams",
        b'{"name": "A"}',
        "application/json",
        CONTENT_LENGTH=str(10 * 1024 * 1024),
    )

    assert response.status_code == 413
    assert error_of(response)["error"]["code"] == "payload_too_large"
    assert not Team.objects.exists()


@pytest.mark.parametrize("path", ["/v2/foo", "/v2/", "/v2/connectx", "/v2/connect"])
def test_unknown_v2_path_answers_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["error"]["code"] == "not_found"


def test_accept_header_for_html_still_answers_json(owner_client):
    response = owner_client.get("/v2/connect/teams", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_format_query_parameter_is_unknown(owner_client):
    response = owner_client.get("/v2/connect/teams?format=api")

    assert response.status_code == 400
    assert list(error_of(response)["error"]["fields"]) == ["format"]


def test_schema_still_serves_json_on_request(client):
    response = client.get("/v2/connect/schema/?format=json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Connect API"
