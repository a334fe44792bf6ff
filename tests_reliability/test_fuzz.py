"""Fuzz the API with Schemathesis against its own OpenAPI schema.

Every operation in ``/v2/connect/schema/`` gets generated requests, sent
in-process through the WSGI application with a real API key, and every
response must be free of 5xx and match the schema. The run is derandomized
(the same cases on every run) and bounded: ``CONNECT_FUZZ_EXAMPLES`` cases
per operation, 10 by default, so the normal suite stays short. Set it to
a few hundred for a long run, for example::

    CONNECT_FUZZ_EXAMPLES=300 pytest tests_reliability/test_fuzz.py
"""

import os
import zlib

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from members.services import api_key_create
from teams.tests.factories import TeamFactory

FUZZ_EXAMPLES = int(os.environ.get("CONNECT_FUZZ_EXAMPLES", "10"))


@pytest.fixture
def fuzz_world(db, make_user, settings):
    """A team, a full key for its owner, and limits that fuzzing cannot hit."""
    settings.CONNECT_RATE_LIMIT_READS_PER_MINUTE = 0
    settings.CONNECT_RATE_LIMIT_WRITES_PER_MINUTE = 0
    cache.clear()
    # Django's own test client does the same: the WSGI handler would
    # otherwise close the test's connection, which runs its transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    owner = make_user("fuzz-owner@example.com")
    team = TeamFactory(owner=owner, name="Fuzzed team")
    _api_key, secret = api_key_create(user=owner, name="fuzz")
    yield {"team_id": team.public_id, "secret": secret}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def fuzz_operations(*, secret, team_id, generation_mode, labels=None):
    """Run generated cases for every operation and return the failures.

    Failures are collected rather than raised so that one run reports every
    failing operation, each with a curl command that repeats its request.
    """
    schema = schemathesis.openapi.from_wsgi(
        "/v2/connect/schema/", get_wsgi_application()
    )
    headers = {"Authorization": f"Bearer {secret}"}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    if labels is not None:
        operations = [op for op in operations if op.label in labels]
    assert operations, "the schema lists no operations"

    for operation in operations:
        failures.extend(fuzz_operation(operation, headers, team_id, generation_mode))
    return failures


def fuzz_operation(operation, headers, team_id, generation_mode):
    """Return a description of the first failure Hypothesis finds, shrunk.

    The description is Schemathesis's report: the failed checks, the
    response and a curl command that repeats the request.
    """

    @given(case=operation.as_strategy(generation_mode=generation_mode))
    @settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        address_real_team(case, team_id)
        response = case.call(headers=headers)
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance]
        )

    try:
        run()
    except (AssertionError, FailureGroup) as exc:
        return [f"{operation.label}: {exc}"]
    return []


def address_real_team(case, team_id):
    # Half of the cases address the real team, so that request bodies reach
    # validation and the services, not only the team lookup's 404. A DELETE
    # of the team itself keeps its random id, so the team survives the run.
    path_parameters = case.path_parameters or {}
    if "team_id" not in path_parameters:
        return
    is_team_delete = case.method.upper() == "DELETE" and set(path_parameters) == {
        "team_id"
    }
    # crc32, not hash(): string hashes change with PYTHONHASHSEED between runs.
    if not is_team_delete and zlib.crc32(repr(case.body).encode()) % 2 == 0:
        path_parameters["team_id"] = team_id


def test_valid_requests_get_no_5xx_and_match_schema(fuzz_world):
    failures = fuzz_operations(
        secret=fuzz_world["secret"],
        team_id=fuzz_world["team_id"],
        generation_mode=GenerationMode.POSITIVE,
    )

    assert failures == []


def test_invalid_requests_get_no_5xx_and_match_schema(fuzz_world):
    failures = fuzz_operations(
        secret=fuzz_world["secret"],
        team_id=fuzz_world["team_id"],
        generation_mode=GenerationMode.NEGATIVE,
    )

    assert failures == []


def test_fuzzer_reports_server_error(fuzz_world, monkeypatch):
    from teams.api import views

    def broken(self, request):
        raise RuntimeError("deliberate failure")

    monkeypatch.setattr(views.TeamListView, "get", broken)

    failures = fuzz_operations(
        secret=fuzz_world["secret"],
        team_id=fuzz_world["team_id"],
        generation_mode=GenerationMode.POSITIVE,
        labels={"GET /v2/connect/teams"},
    )

    assert len(failures) == 1
    assert failures[0].startswith("GET /v2/connect/teams: ")
    assert "Server error" in failures[0]
    assert "curl -X GET" in failures[0]
    assert "/v2/connect/teams" in failures[0]
