import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(client):
    response = client.get("/v2/connect/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi(openapi):
    validate_schema(openapi)

    assert openapi["openapi"].startswith("3.")
    assert openapi["info"]["title"] == "Connect API"


def test_schema_lists_team_operations(openapi):
    paths = openapi["paths"]

    assert set(paths["/v2/connect/teams"]) >= {"get", "post"}
    assert set(paths["/v2/connect/teams/{team_id}"]) >= {
        "get",
        "put",
        "patch",
        "delete",
    }
    assert "/v2/connect/teams/" not in paths


def test_schema_declares_bearer_security(openapi):
    schemes = openapi["components"]["securitySchemes"]
    operation = openapi["paths"]["/v2/connect/teams"]["get"]

    assert schemes["ApiKeyAuth"]["type"] == "http"
    assert schemes["ApiKeyAuth"]["scheme"] == "bearer"
    assert operation["security"] == [{"ApiKeyAuth": []}]


def test_schema_describes_error_envelope(openapi):
    schemas = openapi["components"]["schemas"]
    operation = openapi["paths"]["/v2/connect/teams"]["post"]

    assert set(schemas["ErrorEnvelope"]["properties"]) == {
        "error",
        "message",
        "requestId",
    }
    assert set(schemas["Error"]["properties"]) == {"code", "message", "fields"}
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }


def test_schema_describes_list_query_parameters(openapi):
    operation = openapi["paths"]["/v2/connect/teams"]["get"]

    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {
        "asOf",
        "limit",
        "offset",
        "status",
        "industry",
        "country",
        "onboarded",
        "search",
    }


def test_docs_page_renders(client):
    response = client.get("/v2/connect/docs/")

    assert response.status_code == 200
    assert "/v2/connect/schema/" in response.content.decode()


def test_docs_page_loads_redoc_from_own_static_files(client):
    script = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"

    page = client.get("/v2/connect/docs/").content.decode()

    assert f'src="/static/{script}"' in page
    assert "cdn." not in page
    assert "https://" not in page
    assert finders.find(script) is not None


def test_schema_generates_without_warnings(tmp_path):
    GENERATOR_STATS.reset()

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")
