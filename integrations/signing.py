"""Standard Webhooks signatures for outgoing deliveries.

A signature is ``v1,`` and the base64 of HMAC-SHA256 over
``f"{msg_id}.{timestamp}.".encode() + body``, keyed with
``integrations.secrets.signing_key(secret)``. The ``standardwebhooks`` and
``svix`` libraries verify these headers unchanged.
"""

import base64
import hashlib
import hmac

from integrations.secrets import signing_key

USER_AGENT = "Connect-Webhooks/1.0"


def sign(*, msg_id, timestamp, body, secrets):
    """Return the ``webhook-signature`` value: one ``v1,<base64>`` per secret.

    ``timestamp`` is whole unix seconds. During a rotation's grace period the
    caller passes the new and the previous secret, and receivers accept the
    delivery when any one of the space-separated signatures matches.
    """
    if not secrets:
        raise ValueError("At least one secret is needed to sign a delivery.")
    signed_content = f"{msg_id}.{int(timestamp)}.".encode() + bytes(body)
    signatures = []
    for secret in secrets:
        digest = hmac.new(signing_key(secret), signed_content, hashlib.sha256).digest()
        signatures.append("v1," + base64.b64encode(digest).decode("ascii"))
    return " ".join(signatures)


def headers(*, msg_id, timestamp, body, secrets):
    """Return the HTTP headers of one delivery attempt, signature included."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": sign(
            msg_id=msg_id, timestamp=timestamp, body=body, secrets=secrets
        ),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
