"""JSON shapes of integrations, deliveries and events."""

from connect_site.api.fields import format_timestamp
from integrations.secrets import decrypt_secret, mask_secret


def masked_secret(integration):
    try:
        return mask_secret(decrypt_secret(integration.secret_encrypted))
    except ValueError:
        # SECRET_KEY changed since the secret was stored; rotating fixes it.
        return None


def integration_data(integration, *, plain_secret=None):
    """Return the integration's shape; the secret is masked unless given in plain."""
    return {
        "id": integration.public_id,
        "teamId": integration.team.public_id,
        "type": integration.type,
        "name": integration.name,
        "configuration": {
            "url": integration.url,
            "events": list(integration.events),
            "secret": plain_secret
            if plain_secret is not None
            else masked_secret(integration),
        },
        "isActive": integration.is_active,
        "status": integration.status,
        "disabledReason": integration.disabled_reason or None,
        "lastDeliveryAt": format_timestamp(integration.last_delivery_at),
        "createdAt": format_timestamp(integration.created_at),
        "updatedAt": format_timestamp(integration.updated_at),
    }


def attempt_data(attempt):
    return {
        "attemptedAt": format_timestamp(attempt.attempted_at),
        "statusCode": attempt.status_code,
        "durationMs": attempt.duration_ms,
        "responseBody": attempt.response_body,
        "error": attempt.error or None,
    }


def delivery_data(delivery, *, with_attempts=False):
    """Return the delivery's shape; the detail view adds its attempts."""
    data = {
        "id": delivery.public_id,
        "eventId": delivery.event.public_id,
        "eventType": delivery.event.type,
        "integrationId": delivery.integration.public_id,
        "status": delivery.status,
        "attemptCount": delivery.attempt_count,
        "nextAttemptAt": format_timestamp(delivery.next_attempt_at),
        "lastAttemptAt": format_timestamp(delivery.last_attempt_at),
        "lastStatusCode": delivery.last_status_code,
        "succeededAt": format_timestamp(delivery.succeeded_at),
        "createdAt": format_timestamp(delivery.created_at),
    }
    if with_attempts:
        data["attempts"] = [
            attempt_data(attempt) for attempt in delivery.attempts.all()
        ]
    return data


def event_data(event, team):
    return {
        "id": event.public_id,
        "type": event.type,
        "teamId": team.public_id,
        "data": event.data,
        "createdAt": format_timestamp(event.created_at),
    }
