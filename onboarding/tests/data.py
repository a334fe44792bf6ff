"""The documented example bodies of the onboarding API and valid step data."""

# The documented complete-step example request.
COMPLETE_STEP_REQUEST = {
    "step": "payment_integration",
    "data": {
        "paymentProvider": "stripe",
        "webhookUrl": "https://team.example.com/webhooks/gigstack",
        "testMode": False,
    },
}

# ABC680524P73 is a persona moral RFC whose check digit follows the SAT's
# modulo-11 rule (test_rfc checks the rule itself).
TEAM_SETUP_DATA = {
    "legalName": "Desarrollos Alfa SA de CV",
    "taxId": "ABC680524P73",
    "taxRegime": "601",
    "postalCode": "06600",
}
PAYMENT_INTEGRATION_DATA = COMPLETE_STEP_REQUEST["data"]
CLIENT_SETUP_DATA = {"clientsImported": 12}
INVOICE_CONFIGURATION_DATA = {
    "series": "FAC",
    "folioStart": 1,
    "defaultPaymentForm": "03",
    "defaultCfdiUse": "G03",
}

VALID_STEP_DATA = {
    "team_setup": TEAM_SETUP_DATA,
    "payment_integration": PAYMENT_INTEGRATION_DATA,
    "client_setup": CLIENT_SETUP_DATA,
    "invoice_configuration": INVOICE_CONFIGURATION_DATA,
}

# The documented onboarding status of each step before it is completed, with
# exactly the documented keys. A completed step adds completedAt and
# completedBy, and keeps required and description.
INCOMPLETE_STEPS = {
    "team_setup": {
        "id": "team_setup",
        "name": "Team Setup",
        "completed": False,
        "required": True,
        "description": "Enter your legal name, tax id and fiscal details",
    },
    "payment_integration": {
        "id": "payment_integration",
        "name": "Payment Integration",
        "completed": False,
        "required": True,
        "description": "Set up payment processing for your team",
    },
    "client_setup": {
        "id": "client_setup",
        "name": "Client Setup",
        "completed": False,
        "required": False,
        "description": "Add your first clients",
    },
    "invoice_configuration": {
        "id": "invoice_configuration",
        "name": "Invoice Configuration",
        "completed": False,
        "required": True,
        "description": "Configure invoice templates and settings",
    },
}
