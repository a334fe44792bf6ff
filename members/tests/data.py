"""The member invitation of the API reference page, as its request body."""

INVITE_MEMBER_REQUEST = {
    "email": "user@example.com",
    "role": "admin",
    "permissions": [
        "payments.create",
        "payments.read",
        "invoices.create",
        "invoices.read",
        "clients.create",
        "clients.read",
    ],
    "inviteMessage": (
        "Welcome to our team! You've been invited to join our GigStack workspace."
    ),
}

ALL_PERMISSIONS_IN_ORDER = [
    "team.read",
    "team.update",
    "team.delete",
    "members.read",
    "members.invite",
    "members.update",
    "members.remove",
    "payments.create",
    "payments.read",
    "payments.update",
    "invoices.create",
    "invoices.read",
    "invoices.update",
    "clients.create",
    "clients.read",
    "clients.update",
    "integrations.read",
    "integrations.create",
    "integrations.update",
]
