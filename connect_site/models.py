from django.db import models


class IdempotencyRecord(models.Model):
    """The stored outcome of one POST sent with an ``Idempotency-Key`` header.

    The row is inserted, and committed, before the request runs: the unique
    constraint on (key digest, idempotency key) is what stops two concurrent
    requests with one key from both running. ``response_status`` stays null
    while the first request is in progress.
    """

    api_key_digest = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=255)
    # SHA-256 of the method, path and body, so a reused key is detected.
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_location = models.CharField(max_length=2000, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    locked_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key_digest", "idempotency_key"],
                name="one_idempotency_record_per_key_and_api_key",
            )
        ]

    def __str__(self):
        return f"{self.idempotency_key} ({self.response_status or 'in progress'})"

    @property
    def is_complete(self):
        return self.response_status is not None
