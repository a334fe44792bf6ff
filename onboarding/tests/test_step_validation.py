"""Each step's data is validated field by field through the API."""

import pytest

from onboarding.models import StepCompletion, TeamStep
from onboarding.tests.data import VALID_STEP_DATA
from teams.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

REQUIRED = "This field is required."
NULL = "This field may not be null."
NOT_STRING = "Not a valid string."
NOT_BOOLEAN = "Must be true or false (a JSON boolean)."
NOT_INTEGER = "Must be a whole number (a JSON integer)."
TEAM_SETUP_KEYS = (
    "Unknown field. Allowed fields: legalName, taxId, taxRegime, postalCode."
)
PROVIDERS = "stripe, openpay, conekta, mercadopago, paypal"


def with_changes(step_id, **changes):
    """Return the step's valid data with ``changes``; a value of ... drops the key."""
    data = dict(VALID_STEP_DATA[step_id])
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return data


CASES = [
    # team_setup
    ("team_setup", with_changes("team_setup", legalName=...), "legalName", REQUIRED),
    (
        "team_setup",
        with_changes("team_setup", legalName="  "),
        "legalName",
        "This field may not be blank.",
    ),
    ("team_setup", with_changes("team_setup", legalName=7), "legalName", NOT_STRING),
    ("team_setup", with_changes("team_setup", taxId=...), "taxId", REQUIRED),
    ("team_setup", with_changes("team_setup", taxId=None), "taxId", NULL),
    (
        "team_setup",
        with_changes("team_setup", taxId="ABC680524P74"),
        "taxId",
        "'ABC680524P74' has an invalid check digit: its last character does not "
        "match the characters before it. Check the RFC for typos.",
    ),
    (
        "team_setup",
        with_changes("team_setup", taxId="ABC681324P73"),
        "taxId",
        "'ABC681324P73' has the date 681324, which is not a real date in YYMMDD form.",
    ),
    (
        "team_setup",
        with_changes("team_setup", taxId="123456"),
        "taxId",
        "'123456' is not an RFC: use 3 letters (persona moral) or 4 letters "
        "(persona física), a date as YYMMDD and a 3-character homoclave, such as "
        "ABC680524P73.",
    ),
    (
        "team_setup",
        with_changes("team_setup", taxRegime=...),
        "taxRegime",
        "This field is required for teams in Mexico.",
    ),
    (
        "team_setup",
        with_changes("team_setup", taxRegime="609"),
        "taxRegime",
        "'609' is not a SAT c_RegimenFiscal code; use one such as 601 (General de "
        "Ley Personas Morales) or 612 (Personas Físicas con Actividades "
        "Empresariales y Profesionales).",
    ),
    ("team_setup", with_changes("team_setup", taxRegime=601), "taxRegime", NOT_STRING),
    (
        "team_setup",
        with_changes("team_setup", postalCode=...),
        "postalCode",
        "This field is required for teams in Mexico.",
    ),
    (
        "team_setup",
        with_changes("team_setup", postalCode="6600"),
        "postalCode",
        "'6600' is not a Mexican postal code; use its 5 digits, such as 06600.",
    ),
    (
        "team_setup",
        with_changes("team_setup", postalCode=6600),
        "postalCode",
        NOT_STRING,
    ),
    ("team_setup", with_changes("team_setup", rfc="X"), "rfc", TEAM_SETUP_KEYS),
    # payment_integration
    (
        "payment_integration",
        with_changes("payment_integration", paymentProvider=...),
        "paymentProvider",
        REQUIRED,
    ),
    (
        "payment_integration",
        with_changes("payment_integration", paymentProvider="square"),
        "paymentProvider",
        f"'square' is not a supported provider; use one of: {PROVIDERS}.",
    ),
    (
        "payment_integration",
        with_changes("payment_integration", webhookUrl=...),
        "webhookUrl",
        REQUIRED,
    ),
    (
        "payment_integration",
        with_changes("payment_integration", webhookUrl="http://team.example.com/hook"),
        "webhookUrl",
        "The webhook URL must start with https://.",
    ),
    (
        "payment_integration",
        with_changes("payment_integration", webhookUrl="team.example.com"),
        "webhookUrl",
        "Enter a valid URL.",
    ),
    (
        "payment_integration",
        with_changes("payment_integration", testMode=...),
        "testMode",
        REQUIRED,
    ),
    (
        "payment_integration",
        with_changes("payment_integration", testMode="false"),
        "testMode",
        NOT_BOOLEAN,
    ),
    (
        "payment_integration",
        with_changes("payment_integration", testMode=0),
        "testMode",
        NOT_BOOLEAN,
    ),
    (
        "payment_integration",
        with_changes("payment_integration", testMode=None),
        "testMode",
        NULL,
    ),
    (
        "payment_integration",
        with_changes("payment_integration", secret="x"),
        "secret",
        "Unknown field. Allowed fields: paymentProvider, webhookUrl, testMode.",
    ),
    # client_setup
    ("client_setup", {}, "clientsImported", REQUIRED),
    ("client_setup", {"clientsImported": "5"}, "clientsImported", NOT_INTEGER),
    ("client_setup", {"clientsImported": 5.0}, "clientsImported", NOT_INTEGER),
    ("client_setup", {"clientsImported": 5.5}, "clientsImported", NOT_INTEGER),
    ("client_setup", {"clientsImported": True}, "clientsImported", NOT_INTEGER),
    ("client_setup", {"clientsImported": None}, "clientsImported", NULL),
    (
        "client_setup",
        {"clientsImported": -1},
        "clientsImported",
        "Ensure this value is greater than or equal to 0.",
    ),
    (
        "client_setup",
        {"clientsImported": 1, "clients": []},
        "clients",
        "Unknown field. Allowed fields: clientsImported.",
    ),
    # invoice_configuration
    (
        "invoice_configuration",
        with_changes("invoice_configuration", series=...),
        "series",
        REQUIRED,
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", series="F1"),
        "series",
        "'F1' is not a series; use 1 to 10 letters A to Z, such as FAC.",
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", series="ABCDEFGHIJK"),
        "series",
        "Ensure this field has no more than 10 characters.",
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", folioStart=0),
        "folioStart",
        "Ensure this value is greater than or equal to 1.",
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", folioStart="1"),
        "folioStart",
        NOT_INTEGER,
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", folioStart=...),
        "folioStart",
        REQUIRED,
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", defaultPaymentForm="3"),
        "defaultPaymentForm",
        "'3' is not a SAT c_FormaPago code; use two digits such as 03 "
        "(transferencia) or 04 (tarjeta de crédito).",
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", defaultPaymentForm=3),
        "defaultPaymentForm",
        NOT_STRING,
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", defaultPaymentForm=...),
        "defaultPaymentForm",
        REQUIRED,
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", defaultCfdiUse="P01"),
        "defaultCfdiUse",
        "'P01' is not a SAT c_UsoCFDI code; use one such as G03 (gastos en "
        "general) or S01 (sin efectos fiscales).",
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", defaultCfdiUse=...),
        "defaultCfdiUse",
        REQUIRED,
    ),
    (
        "invoice_configuration",
        with_changes("invoice_configuration", template="classic"),
        "template",
        "Unknown field. Allowed fields: series, folioStart, defaultPaymentForm, "
        "defaultCfdiUse.",
    ),
]


@pytest.mark.parametrize(("step_id", "data", "field", "message"), CASES)
def test_invalid_step_data_is_rejected(
    team, owner_client, step_id, data, field, message
):
    response = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/onboarding/complete-step",
        {"step": step_id, "data": data},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body == {
        "error": {
            "code": "validation_error",
            "message": f"Invalid data.{field}: {message}",
            "fields": {f"data.{field}": [message]},
        },
        "message": f"Invalid data.{field}: {message}",
        "requestId": body["requestId"],
    }
    step = TeamStep.objects.get(team=team, step_id=step_id)
    assert step.completed_at is None
    assert step.data == {}
    assert StepCompletion.objects.count() == 0


def test_several_invalid_fields_are_all_named(team, owner_client):
    response = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/onboarding/complete-step",
        {"step": "payment_integration", "data": {}},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == (
        "Invalid fields: data.paymentProvider, data.webhookUrl, data.testMode. "
        "See error.fields for each one."
    )
    assert error["fields"] == {
        "data.paymentProvider": [REQUIRED],
        "data.webhookUrl": [REQUIRED],
        "data.testMode": [REQUIRED],
    }


@pytest.mark.parametrize(
    ("step_id", "data", "stored"),
    [
        (
            "team_setup",
            {
                "legalName": "Desarrollos Alfa SA de CV",
                "taxId": " abc680524p73 ",
                "taxRegime": "601",
                "postalCode": "06600",
            },
            {
                "legalName": "Desarrollos Alfa SA de CV",
                "taxId": "ABC680524P73",
                "taxRegime": "601",
                "postalCode": "06600",
            },
        ),
        (
            "team_setup",
            {
                "legalName": "Público en general",
                "taxId": "XAXX010101000",
                "taxRegime": "616",
                "postalCode": "01000",
            },
            {
                "legalName": "Público en general",
                "taxId": "XAXX010101000",
                "taxRegime": "616",
                "postalCode": "01000",
            },
        ),
        ("client_setup", {"clientsImported": 0}, {"clientsImported": 0}),
        (
            "invoice_configuration",
            {
                "series": "fac",
                "folioStart": 1000,
                "defaultPaymentForm": "99",
                "defaultCfdiUse": "cp01",
            },
            {
                "series": "FAC",
                "folioStart": 1000,
                "defaultPaymentForm": "99",
                "defaultCfdiUse": "CP01",
            },
        ),
        (
            "payment_integration",
            {
                "paymentProvider": "mercadopago",
                "webhookUrl": "https://hooks.example.mx/mp",
                "testMode": True,
            },
            {
                "paymentProvider": "mercadopago",
                "webhookUrl": "https://hooks.example.mx/mp",
                "testMode": True,
            },
        ),
    ],
)
def test_valid_step_data_is_stored_normalized(
    team, owner_client, step_id, data, stored
):
    response = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/onboarding/complete-step",
        {"step": step_id, "data": data},
        format="json",
    )

    assert response.status_code == 200
    assert TeamStep.objects.get(team=team, step_id=step_id).data == stored


def test_team_outside_mexico_accepts_any_tax_id(owner, owner_client):
    team = TeamFactory(owner=owner, country="CO")

    response = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/onboarding/complete-step",
        {
            "step": "team_setup",
            "data": {"legalName": "Andes SAS", "taxId": "900.123.456-7"},
        },
        format="json",
    )

    assert response.status_code == 200
    step = TeamStep.objects.get(team=team, step_id="team_setup")
    assert step.data == {"legalName": "Andes SAS", "taxId": "900.123.456-7"}


def test_team_outside_mexico_checks_postal_code_shape(owner, owner_client):
    team = TeamFactory(owner=owner, country="CO")

    response = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/onboarding/complete-step",
        {
            "step": "team_setup",
            "data": {
                "legalName": "Andes SAS",
                "taxId": "9001234567",
                "postalCode": "#",
            },
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "data.postalCode": [
            "'#' is not a postal code; use 3 to 12 letters, digits, spaces or hyphens."
        ]
    }


def test_mexican_team_setup_names_every_missing_field(team, owner_client):
    response = owner_client.post(
        f"/v2/connect/teams/{team.public_id}/onboarding/complete-step",
        {"step": "team_setup", "data": {"taxId": "ABC680524P74"}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "data.legalName": [REQUIRED],
        "data.taxId": [
            "'ABC680524P74' has an invalid check digit: its last character does "
            "not match the characters before it. Check the RFC for typos."
        ],
        "data.taxRegime": ["This field is required for teams in Mexico."],
        "data.postalCode": ["This field is required for teams in Mexico."],
    }
