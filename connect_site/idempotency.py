"""Replay the stored response of a POST retried with the same Idempotency-Key.

The middleware handles every POST under the API path that carries an
``Idempotency-Key`` header and a valid API key:

1. It inserts an IdempotencyRecord for (API key digest, Idempotency-Key) in
   its own committed transaction. The unique constraint makes the insert the
   lock: a concurrent request with the same key fails to insert and gets
   ``409 conflict`` at once instead of running twice.
2. It runs the request.
3. It stores the status, content type, ``Location`` and body bytes. Responses
   with status 500 and above are not stored: the record is deleted so that a
   retry runs the request again. A 429 is not stored either, because it only
   means "not now". Every other 4xx is stored and replayed, as Stripe does,
   because the same body would fail the same way again.

A retry with the same key and the same method, path and body gets the stored
status and body with ``Idempotent-Replayed: true``; the same key with another
request is a ``409 idempotency_key_reused``. Records expire after
``CONNECT_IDEMPOTENCY_TTL_SECONDS`` (24 h). An in-progress record older than
``CONNECT_IDEMPOTENCY_LOCK_SECONDS`` is taken over, so a process killed in
the middle of a request does not block its key for a day.
"""

import base64
import hashlib
import logging
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect_site.api import errors
from connect_site.models import IdempotencyRecord
from connect_site.request_id import current_request_id

logger = logging.getLogger(__name__)

API_PREFIX = "/v2/connect/"
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Statuses that are returned but never stored, so a retry runs again.
UNSTORED_STATUSES = {429}


class IdempotencyKeyReused(errors.Conflict):
    code = "idempotency_key_reused"
    default_detail = _(
        "This Idempotency-Key was already used with a different request. "
        "Send a new key for a new request."
    )


def bearer_key_digest(request):
    """Return the SHA-256 digest of an active API key sent as a Bearer token.

    Returns None for a missing, malformed, unknown or revoked key: such a
    request runs without idempotency and the view returns its 401.
    """
    from members.keys import digest_api_key
    from members.models import ApiKey

    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    try:
        parts[1].encode("ascii")
    except UnicodeEncodeError:
        return None
    digest = digest_api_key(parts[1])
    exists = ApiKey.objects.filter(key_digest=digest, revoked_at__isnull=True).exists()
    return digest if exists else None


def request_fingerprint(request, body):
    hasher = hashlib.sha256()
    hasher.update(request.method.encode())
    hasher.update(b"\n")
    hasher.update(request.get_full_path().encode())
    hasher.update(b"\n")
    hasher.update(body)
    return hasher.hexdigest()


def error_response(error, *, fields=None):
    body = {"error": {"code": error.code, "message": error.message}}
    if fields is not None:
        body["error"]["fields"] = fields
    body["message"] = error.message
    body["requestId"] = current_request_id()
    return JsonResponse(body, status=error.status_code)


def invalid_key_message(idempotency_key):
    if len(idempotency_key) > MAX_KEY_LENGTH:
        return f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters."
    if not idempotency_key.strip():
        return "Idempotency-Key must not be empty."
    if not all(" " <= char <= "~" for char in idempotency_key):
        return "Idempotency-Key must contain only printable ASCII characters."
    return None


def _fernet():
    # Stored responses can contain secrets shown once (a new integration's
    # webhook secret), so they are encrypted at rest with a key derived from
    # SECRET_KEY, under a label of their own.
    digest = hashlib.sha256(
        b"connect.idempotency-responses:" + settings.SECRET_KEY.encode()
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_body(body):
    return _fernet().encrypt(bytes(body))


def decrypt_body(stored):
    """Return the stored body, or None when this SECRET_KEY cannot read it."""
    try:
        return _fernet().decrypt(bytes(stored or b""))
    except InvalidToken:
        return None


def replay(record):
    body = decrypt_body(record.response_body)
    if body is None:
        logger.warning(
            "Stored idempotent response %s cannot be decrypted; SECRET_KEY changed",
            record.pk,
        )
        return error_response(
            errors.Conflict(
                "The stored response for this Idempotency-Key can no longer be "
                "read. Send the request with a new Idempotency-Key."
            )
        )
    response = HttpResponse(
        body,
        status=record.response_status,
        content_type=record.response_content_type or "application/json",
    )
    if record.response_location:
        response["Location"] = record.response_location
    response["Idempotent-Replayed"] = "true"
    return response


def claim(*, api_key_digest, idempotency_key, fingerprint):
    """Insert the in-progress record, or return the existing one.

    Returns ``(record, claimed)``. The insert commits at once, outside any
    transaction of the request, so that a concurrent request finds it.
    """
    now = timezone.now()
    fields = {
        "request_fingerprint": fingerprint,
        "locked_at": now,
        "expires_at": now + timedelta(seconds=settings.CONNECT_IDEMPOTENCY_TTL_SECONDS),
    }
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                api_key_digest=api_key_digest,
                idempotency_key=idempotency_key,
                **fields,
            )
        return record, True
    except IntegrityError:
        pass

    existing = IdempotencyRecord.objects.filter(
        api_key_digest=api_key_digest, idempotency_key=idempotency_key
    ).first()
    if existing is None:
        # The first request failed with a 5xx and deleted the record between
        # the insert and this read, so the caller may simply retry.
        return None, False
    stale_lock = now - timedelta(seconds=settings.CONNECT_IDEMPOTENCY_LOCK_SECONDS)
    is_expired = existing.expires_at <= now
    is_abandoned = not existing.is_complete and existing.locked_at <= stale_lock
    if is_expired or (is_abandoned and existing.request_fingerprint == fingerprint):
        # Take the record over with a conditional update, so that only one of
        # several concurrent retries wins it.
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, locked_at=existing.locked_at
        ).update(
            response_status=None,
            response_content_type="",
            response_location="",
            response_body=None,
            **fields,
        )
        if taken:
            existing.refresh_from_db()
            return existing, True
        existing.refresh_from_db()
    return existing, False


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        idempotency_key = request.headers.get(HEADER)
        if (
            request.method != "POST"
            or idempotency_key is None
            or not request.path.startswith(API_PREFIX)
        ):
            return self.get_response(request)

        message = invalid_key_message(idempotency_key)
        if message is not None:
            return error_response(
                errors.ValidationFailed(message), fields={HEADER: [message]}
            )
        api_key_digest = bearer_key_digest(request)
        if api_key_digest is None:
            return self.get_response(request)
        try:
            body = request.body
        except RequestDataTooBig:
            # The view returns 413, so there is nothing worth storing.
            return self.get_response(request)

        fingerprint = request_fingerprint(request, body)
        record, claimed = claim(
            api_key_digest=api_key_digest,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )
        if not claimed:
            return self.answer_existing(record, fingerprint)
        return self.run_and_store(request, record)

    def answer_existing(self, record, fingerprint):
        if record is not None and record.request_fingerprint != fingerprint:
            return error_response(IdempotencyKeyReused())
        if record is None or not record.is_complete:
            return error_response(
                errors.Conflict(
                    "A request with this Idempotency-Key is in progress. Retry "
                    "after it has finished to get its response."
                )
            )
        return replay(record)

    def run_and_store(self, request, record):
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        status = response.status_code
        if status >= 500 or status in UNSTORED_STATUSES or response.streaming:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            response_status=status,
            response_content_type=response.get("Content-Type", ""),
            response_location=response.get("Location", ""),
            response_body=encrypt_body(response.content),
        )
        return response


def idempotency_records_purge():
    """Delete expired idempotency records and return how many were deleted.

    Expired records are also replaced when their key is used again, so the
    purge only keeps the table small; Celery beat runs it hourly.
    """
    deleted, _by_model = IdempotencyRecord.objects.filter(
        expires_at__lte=timezone.now()
    ).delete()
    if deleted:
        logger.info("Purged %d expired idempotency records", deleted)
    return deleted
