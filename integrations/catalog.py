"""The event types that integrations subscribe to, and who may publish which."""

ALL_EVENTS = "*"

# Catalog order is the order of GET /v2/connect/event-types.
EVENT_TYPES = {
    "team.created": "A team was created.",
    "team.updated": "A team's fields, settings, metadata or branding changed.",
    "team.deleted": "A team was deleted.",
    "onboarding.step_completed": "An onboarding step was completed.",
    "onboarding.completed": "Every required onboarding step is completed.",
    "member.invited": "A person was invited to join a team.",
    "member.joined": "An invited person accepted and became a member.",
    "member.updated": "A member's role or permissions changed.",
    "member.removed": "A member was removed or an invitation was revoked.",
    "integration.test": "A test event sent to one integration on request.",
    "payment.created": "A payment was created.",
    "payment.completed": "A payment was completed.",
    "payment.failed": "A payment failed.",
    "payment.refunded": "A payment was refunded.",
    "invoice.created": "An invoice was created.",
    "invoice.paid": "An invoice was paid.",
    "invoice.cancelled": "An invoice was cancelled.",
    "client.created": "A client was created.",
    "client.updated": "A client was updated.",
}

# Event types that the API accepts from callers, by prefix, with the
# permission that publishing them needs. Other types are written only by
# Connect itself, as a side effect of the change they describe.
PUBLISHABLE_PREFIXES = {
    "payment.": "payments.update",
    "invoice.": "invoices.update",
    "client.": "clients.update",
}


def publish_permission(event_type):
    """Return the permission needed to publish ``event_type``, or None if closed."""
    for prefix, permission in PUBLISHABLE_PREFIXES.items():
        if event_type.startswith(prefix):
            return permission
    return None


def publishable_event_types():
    return [name for name in EVENT_TYPES if publish_permission(name) is not None]


def is_subscribed(events, event_type):
    """Tell whether an integration's ``events`` list includes ``event_type``."""
    return ALL_EVENTS in events or event_type in events


def events_error(events):
    """Return why an integration's ``events`` list is unusable, or None if fine."""
    if not events:
        return 'List at least one event type, or ["*"] for every type.'
    unknown = [
        name for name in events if name != ALL_EVENTS and name not in EVENT_TYPES
    ]
    if unknown:
        return (
            f"Unknown event type {unknown[0]}. Use types from "
            'GET /v2/connect/event-types, or ["*"] for every type.'
        )
    if len(set(events)) != len(events):
        duplicate = next(name for name in events if events.count(name) > 1)
        return f"The event type {duplicate} is listed twice; list each type once."
    if ALL_EVENTS in events and len(events) > 1:
        return '"*" already includes every type; send ["*"] alone.'
    return None
