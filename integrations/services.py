"""Every write to integrations, deliveries and API-published events."""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connect_site.api import errors
from connect_site.api.fields import format_timestamp
from integrations import catalog
from integrations.events import event_write
from integrations.models import (
    Delivery,
    DeliveryStatus,
    Integration,
    IntegrationStatus,
)
from integrations.secrets import (
    decrypt_secret,
    encrypt_secret,
    generate_secret,
    secret_format_error,
)
from integrations.ssrf import validate_webhook_url
from teams.audit import audit_record

logger = logging.getLogger(__name__)

WEBHOOK_TYPE = "webhook"
# Largest ``data`` of an API-published event, as compact JSON in UTF-8.
EVENT_DATA_MAX_BYTES = 256 * 1024
DISABLED_REASON_MAX_LENGTH = 200


def _invalid(field, message):
    return errors.ValidationFailed(
        f"Invalid {field}: {message}", fields={field: [message]}
    )


def integration_events_clean(events):
    """Return ``events`` if it is a usable subscription list, else raise."""
    message = catalog.events_error(events)
    if message:
        raise _invalid("configuration.events", message)
    return list(events)


def integration_secret_clean(secret):
    message = secret_format_error(secret)
    if message:
        raise _invalid("configuration.secret", message)
    return secret


def integration_type_clean(integration_type):
    if integration_type != WEBHOOK_TYPE:
        raise _invalid("type", 'The only integration type is "webhook".')
    return integration_type


def integration_name_clean(name):
    name = (name or "").strip()
    if not name:
        raise _invalid("name", "The name must not be blank.")
    if len(name) > 120:
        raise _invalid("name", "The name must have at most 120 characters.")
    return name


def integration_create(*, actor, team, data):
    """Create a webhook integration and return it with its plain secret.

    ``data`` has the API's shape. Without ``configuration.secret`` a
    ``whsec_`` secret is generated. The plain secret is returned so that the
    caller can show it once; only its encrypted form is stored.
    """
    configuration = data["configuration"]
    integration_type = integration_type_clean(data.get("type", WEBHOOK_TYPE))
    name = integration_name_clean(data["name"])
    url = validate_webhook_url(configuration["url"])
    events = integration_events_clean(configuration["events"])
    secret = configuration.get("secret")
    secret = generate_secret() if secret is None else integration_secret_clean(secret)

    integration = Integration(
        team=team,
        type=integration_type,
        name=name,
        url=url,
        events=events,
        secret_encrypted=encrypt_secret(secret),
        is_active=data.get("isActive", True),
    )
    with transaction.atomic():
        integration.save()
        audit_record(
            actor=actor,
            team=team,
            action="integration.created",
            target_type="integration",
            target_id=integration.public_id,
            changes={
                "name": name,
                "url": url,
                "events": events,
                "isActive": integration.is_active,
            },
        )
    return integration, secret


def _lock(integration):
    locked = (
        Integration.objects.select_for_update()
        .filter(pk=integration.pk, deleted_at__isnull=True)
        .first()
    )
    if locked is None:
        raise errors.NotFound("No integration with this id was found.")
    return locked


def _rotate(integration, new_secret, now):
    """Keep the current secret signing for the grace period, then store the new one."""
    integration.previous_secret_encrypted = integration.secret_encrypted
    integration.previous_secret_expires_at = now + timedelta(
        seconds=settings.CONNECT_SECRET_GRACE_SECONDS
    )
    integration.secret_encrypted = encrypt_secret(new_secret)


def _clear_disabled(integration):
    integration.status = IntegrationStatus.ACTIVE
    integration.disabled_reason = ""
    integration.disabled_at = None
    integration.disabled_notice_sent_at = None
    integration.failing_since = None


def integration_update(*, actor, integration, data):
    """Apply a PUT or PATCH: only the given fields change.

    ``configuration.secret``, when given and different from the current
    secret, rotates the secret like ``integration_rotate_secret`` does: the
    old secret keeps signing for CONNECT_SECRET_GRACE_SECONDS. ``isActive``
    set to true on a disabled integration re-enables it.
    """
    configuration = data.get("configuration", {})
    # Every value is checked before the row is locked: the URL check may wait
    # on DNS, and the delivery engine locks the same row to claim deliveries.
    if "type" in data:
        integration_type_clean(data["type"])
    cleaned = {}
    if "name" in data:
        cleaned["name"] = integration_name_clean(data["name"])
    if "url" in configuration:
        cleaned["url"] = validate_webhook_url(configuration["url"])
    if "events" in configuration:
        cleaned["events"] = integration_events_clean(configuration["events"])
    secret = configuration.get("secret")
    if secret is not None:
        integration_secret_clean(secret)

    changes = {}
    now = timezone.now()
    with transaction.atomic():
        integration = _lock(integration)
        for name, value in cleaned.items():
            if value != getattr(integration, name):
                changes[name] = value
            setattr(integration, name, value)
        if secret is not None and secret != decrypt_secret(
            integration.secret_encrypted
        ):
            _rotate(integration, secret, now)
            changes["secret"] = "rotated"
        if "isActive" in data:
            is_active = data["isActive"]
            if is_active != integration.is_active:
                changes["isActive"] = is_active
            integration.is_active = is_active
            if is_active and integration.status == IntegrationStatus.DISABLED:
                _clear_disabled(integration)
                changes["status"] = IntegrationStatus.ACTIVE.value
        integration.save()
        if changes:
            audit_record(
                actor=actor,
                team=integration.team,
                action="integration.updated",
                target_type="integration",
                target_id=integration.public_id,
                changes=changes,
            )
    return integration


def _stop_pending(deliveries):
    """Fail pending deliveries so that no worker or sweep sends them any more.

    The rows are locked in primary key order first, the order in which the
    delivery engine locks them, so the two do not deadlock on them.
    """
    pending = deliveries.filter(status=DeliveryStatus.PENDING)
    pks = list(
        pending.select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return Delivery.objects.filter(pk__in=pks).update(
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
        updated_at=timezone.now(),
    )


def integration_delete(*, actor, integration):
    """Hide the integration and stop its pending deliveries; rows are kept."""
    now = timezone.now()
    with transaction.atomic():
        integration = _lock(integration)
        integration.deleted_at = now
        integration.is_active = False
        integration.save(update_fields=["deleted_at", "is_active", "updated_at"])
        stopped = _stop_pending(Delivery.objects.filter(integration=integration))
        audit_record(
            actor=actor,
            team=integration.team,
            action="integration.deleted",
            target_type="integration",
            target_id=integration.public_id,
            changes={"stoppedDeliveries": stopped},
        )
    return integration


def integration_rotate_secret(*, actor, integration, secret=None):
    """Replace the secret and return ``(integration, plain new secret)``.

    The previous secret keeps signing, next to the new one, for
    CONNECT_SECRET_GRACE_SECONDS, so receivers can switch without losing
    deliveries. Rotating again within the grace period ends the older
    secret's grace at once.
    """
    new_secret = generate_secret() if secret is None else secret
    integration_secret_clean(new_secret)
    with transaction.atomic():
        integration = _lock(integration)
        _rotate(integration, new_secret, timezone.now())
        integration.save()
        audit_record(
            actor=actor,
            team=integration.team,
            action="integration.secret_rotated",
            target_type="integration",
            target_id=integration.public_id,
            changes={
                "previousSecretExpiresAt": format_timestamp(
                    integration.previous_secret_expires_at
                )
            },
        )
    return integration, new_secret


def integration_require_receiving(integration):
    """Raise Conflict unless deliveries to ``integration`` would be sent."""
    if integration.status == IntegrationStatus.DISABLED:
        reason = integration.disabled_reason.rstrip(". ") or "deliveries kept failing"
        raise errors.Conflict(
            f"This integration is disabled ({reason}). Fix the endpoint, then "
            "re-enable it with isActive: true."
        )
    if not integration.is_active:
        raise errors.Conflict(
            "This integration is inactive; set isActive to true to send to it."
        )


def integration_send_test(*, actor, integration):
    """Send an ``integration.test`` event to this integration only.

    Returns the delivery. The delivery row is written in this transaction
    and queued after commit; other integrations never see the event, even
    those subscribed to "*".
    """
    from integrations.delivery import deliver_to_integration

    integration_require_receiving(integration)
    with transaction.atomic():
        integration = _lock(integration)
        event = event_write(
            team=integration.team,
            event_type="integration.test",
            data={
                "integrationId": integration.public_id,
                "message": "This is a test event sent from Connect.",
            },
            fan_out=False,
        )
        delivery = deliver_to_integration(
            event_pk=event.pk, integration_pk=integration.pk
        )
        audit_record(
            actor=actor,
            team=integration.team,
            action="integration.tested",
            target_type="integration",
            target_id=integration.public_id,
            changes={"eventId": event.public_id, "deliveryId": delivery.public_id},
        )
    return delivery


def integration_disable(*, integration, reason, actor=None):
    """Disable a failing integration, fail its pending deliveries, tell its owners.

    The delivery engine calls it when deliveries keep failing or an endpoint
    returns 410 Gone. Disabling an already disabled integration changes
    nothing and sends no second email.
    """
    from integrations.emails import integration_disabled_email_send

    now = timezone.now()
    with transaction.atomic():
        integration = _lock(integration)
        if integration.status == IntegrationStatus.DISABLED:
            return integration
        integration.status = IntegrationStatus.DISABLED
        integration.disabled_reason = reason[:DISABLED_REASON_MAX_LENGTH]
        integration.disabled_at = now
        integration.disabled_notice_sent_at = None
        integration.save()
        stopped = _stop_pending(Delivery.objects.filter(integration=integration))
        audit_record(
            actor=actor,
            team=integration.team,
            action="integration.disabled",
            target_type="integration",
            target_id=integration.public_id,
            changes={"reason": integration.disabled_reason, "stopped": stopped},
        )
        integration_pk = integration.pk
        transaction.on_commit(
            lambda: integration_disabled_email_send.delay(integration_pk)
        )
    logger.warning(
        "Integration %s disabled: %s",
        integration.public_id,
        integration.disabled_reason,
        extra={"integration_id": integration.public_id},
    )
    return integration


def integration_reenable(*, actor, integration):
    """Clear a disabled status so that new events are delivered again.

    Failed deliveries stay failed; ``deliveries_recover`` re-sends them.
    """
    with transaction.atomic():
        integration = _lock(integration)
        was_disabled = integration.status == IntegrationStatus.DISABLED
        _clear_disabled(integration)
        integration.is_active = True
        integration.save()
        if was_disabled:
            audit_record(
                actor=actor,
                team=integration.team,
                action="integration.reenabled",
                target_type="integration",
                target_id=integration.public_id,
            )
    return integration


def integration_recover(*, actor, integration, since):
    """Re-send every failed delivery of ``integration`` created since ``since``.

    Returns how many deliveries were queued.
    """
    from integrations.delivery import deliveries_recover

    integration_require_receiving(integration)
    if since > timezone.now():
        raise _invalid("since", "since is in the future; use a past time.")
    with transaction.atomic():
        queued = deliveries_recover(integration=integration, since=since)
        audit_record(
            actor=actor,
            team=integration.team,
            action="integration.recovered",
            target_type="integration",
            target_id=integration.public_id,
            changes={"since": format_timestamp(since), "queued": queued},
        )
    return queued


def delivery_retry_now(*, actor, delivery):
    """Send ``delivery`` again now; raise Conflict if it cannot be sent."""
    from integrations.delivery import delivery_retry

    if delivery.integration.deleted_at is not None:
        raise errors.NotFound("No delivery with this id was found.")
    integration_require_receiving(delivery.integration)
    with transaction.atomic():
        delivery = delivery_retry(delivery=delivery)
        audit_record(
            actor=actor,
            team=delivery.integration.team,
            action="delivery.retried",
            target_type="delivery",
            target_id=delivery.public_id,
        )
    return delivery


def integrations_stop_for_team(*, team):
    """Stop a deleted team's pending deliveries; returns how many were stopped.

    Integrations keep their ``isActive`` value, so restoring the team brings
    them back as they were. The delivery engine already sends nothing for a
    deleted team, and failing the pending rows keeps the sweep from picking
    them up again.
    """
    with transaction.atomic():
        return _stop_pending(Delivery.objects.filter(integration__team=team))


def event_publish_from_api(*, actor, team, event_type, data):
    """Publish a ``payment.*``, ``invoice.*`` or ``client.*`` event for ``team``.

    Checks that the type is in the catalog and open to callers, that the
    caller has the permission for its prefix, and that ``data`` is at most
    256 KB as compact JSON.
    """
    from integrations.events import event_publish
    from members.access import team_access

    if event_type not in catalog.EVENT_TYPES:
        raise _invalid(
            "type",
            f"Unknown event type {event_type}. Publish one of: "
            + ", ".join(catalog.publishable_event_types())
            + ".",
        )
    permission = catalog.publish_permission(event_type)
    if permission is None:
        raise _invalid(
            "type",
            f"{event_type} events are written by Connect itself; publish only "
            "payment.*, invoice.* and client.* events.",
        )
    team_access(actor=actor, team_id=team.public_id, permission=permission)
    if not isinstance(data, dict):
        raise _invalid("data", "data must be a JSON object.")
    try:
        serialized = json.dumps(
            data, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        # A number such as 1e400 parses as infinity, which JSON and
        # PostgreSQL's jsonb cannot hold.
        raise _invalid(
            "data", "data contains a number too large for JSON, such as 1e400."
        ) from None
    size = len(serialized.encode())
    if size > EVENT_DATA_MAX_BYTES:
        raise errors.PayloadTooLarge(
            f"data is {size} bytes as JSON; the maximum is {EVENT_DATA_MAX_BYTES} "
            "bytes (256 KB). Send a smaller object, for example ids instead of "
            "whole documents."
        )

    with transaction.atomic():
        event = event_publish(team=team, event_type=event_type, data=data)
        audit_record(
            actor=actor,
            team=team,
            action="event.published",
            target_type="event",
            target_id=event.public_id,
            changes={"type": event_type},
        )
    return event
