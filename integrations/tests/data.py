"""Request bodies exactly as the product page shows them."""

# POST /v2/connect/teams/{teamId}/integrations, as the page shows it.
PAGE_INTEGRATION_REQUEST = {
    "type": "webhook",
    "name": "Team Payment Notifications",
    "configuration": {
        "url": "https://team.example.com/webhooks/payments",
        "events": ["payment.completed", "invoice.paid"],
        "secret": "team_webhook_secret",
    },
    "isActive": True,
}
