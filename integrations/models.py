from django.db import models

from connect_site.ids import new_delivery_id, new_event_id, new_integration_id


class Event(models.Model):
    """Something that happened to a team, written in the transaction that caused it.

    ``body`` contains the exact bytes that every delivery of the event sends
    and signs. It is serialized once, when the event is written, and never
    re-encoded.
    """

    public_id = models.CharField(
        max_length=40, unique=True, default=new_event_id, editable=False
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="events"
    )
    type = models.CharField(max_length=60)
    data = models.JSONField()
    body = models.BinaryField()
    created_at = models.DateTimeField()
    # Set once the event's deliveries exist; the sweep fans out events left
    # without it by a process that died after committing them.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["team", "-created_at", "-id"], name="event_team_newest_first"
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(fanned_out_at__isnull=True),
                name="event_awaiting_fan_out",
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.public_id}"


class IntegrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"


class Integration(models.Model):
    """A team's webhook endpoint and the event types it receives."""

    public_id = models.CharField(
        max_length=40, unique=True, default=new_integration_id, editable=False
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="integrations"
    )
    type = models.CharField(max_length=20, default="webhook")
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=2000)
    # Catalog event types, or ["*"] for every type.
    events = models.JSONField(default=list)
    # Fernet-encrypted secrets; see integrations.secrets.
    secret_encrypted = models.TextField()
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10,
        choices=IntegrationStatus.choices,
        default=IntegrationStatus.ACTIVE,
    )
    disabled_reason = models.CharField(max_length=200, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Set by the email task once the owners were emailed about disabled_at, so a
    # retried task never emails twice for one disabling.
    disabled_notice_sent_at = models.DateTimeField(null=True, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failed deliveries; None after a success.
    failing_since = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.public_id})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # retries exhausted, or the integration was disabled


class Delivery(models.Model):
    """One event on its way to one integration; the database is the source of truth.

    Every attempt rewrites its row twice (claim and outcome). Both updates
    change indexed columns, so PostgreSQL writes a new entry to every index,
    or to a partial one when the row meets its condition. So this table has
    no index that another one covers: the composite indexes below serve the
    foreign keys, and public_id is unique through a constraint, which, unlike
    ``unique=True``, adds no second index for LIKE lookups on PostgreSQL.
    """

    public_id = models.CharField(max_length=40, default=new_delivery_id, editable=False)
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    integration = models.ForeignKey(
        Integration,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    # When the next attempt is due; the periodic sweep re-queues overdue rows.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker holds the delivery; an expired lease means the worker died.
    locked_until = models.DateTimeField(null=True, blank=True)
    # The claim that holds the lease; deliveries leased together share it.
    lease_id = models.UUIDField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "integration"],
                name="one_delivery_per_event_per_integration",
            ),
            models.UniqueConstraint(
                fields=["public_id"], name="delivery_public_id_unique"
            ),
        ]
        indexes = [
            # The sweep looks for due pending deliveries; finished ones,
            # nearly all rows, stay out of this index.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending_due",
            ),
            models.Index(
                fields=["integration", "-created_at", "-id"],
                name="delivery_integration_newest",
            ),
            # The concurrency cap counts an integration's live leases on every
            # claim; leases are cleared after each attempt, so this stays small.
            models.Index(
                fields=["integration", "locked_until"],
                condition=models.Q(locked_until__isnull=False),
                name="delivery_leased",
            ),
            # An integration's failed deliveries, the ones people look for,
            # without walking all of its succeeded ones.
            models.Index(
                fields=["integration", "-created_at", "-id"],
                condition=models.Q(status="failed"),
                name="delivery_failed_newest",
            ),
        ]

    def __str__(self):
        return f"{self.public_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP attempt of a delivery: what was sent back, or what went wrong."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempts"
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # The first 4 KB of the receiver's response body.
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self):
        return f"attempt of {self.delivery_id} at {self.attempted_at}"
