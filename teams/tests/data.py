"""The example team of the API reference page, as its request and response."""

CREATE_TEAM_REQUEST = {
    "name": "Development Team Alpha",
    "description": "Main development team for Project Alpha",
    "industry": "Technology",
    "teamSize": "10-50",
    "country": "MX",
    "settings": {
        "currency": "MXN",
        "timezone": "America/Mexico_City",
        "language": "es",
        "fiscalYear": "calendar",
    },
    "onboarding": {
        "completed": False,
        "steps": [
            "team_setup",
            "payment_integration",
            "client_setup",
            "invoice_configuration",
        ],
    },
    "metadata": {
        "parentOrganization": "org_123",
        "department": "Engineering",
        "costCenter": "DEV001",
    },
}

# The page's response, less the generated id and times.
CREATE_TEAM_RESPONSE_DATA = {
    "name": "Development Team Alpha",
    "description": "Main development team for Project Alpha",
    "industry": "Technology",
    "teamSize": "10-50",
    "country": "MX",
    "status": "active",
    "settings": {
        "currency": "MXN",
        "timezone": "America/Mexico_City",
        "language": "es",
        "fiscalYear": "calendar",
    },
    "onboarding": {
        "completed": False,
        "currentStep": "team_setup",
        "progress": 0,
        "steps": [
            "team_setup",
            "payment_integration",
            "client_setup",
            "invoice_configuration",
        ],
    },
    "metadata": {
        "parentOrganization": "org_123",
        "department": "Engineering",
        "costCenter": "DEV001",
    },
}
