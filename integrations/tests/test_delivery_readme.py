"""The README's webhook verification code, run against real signed deliveries."""

import re
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from integrations import signing
from integrations.secrets import generate_secret

README = Path(__file__).resolve().parents[2] / "README.md"
BODY = (
    b'{"id":"evt_1","type":"payment.completed","timestamp":"2024-01-15T10:30:00.000Z",'
    b'"teamId":"team_1","data":{"amount":"1500.00"}}'
)
VERIFIERS = ["verify_with_standardwebhooks", "verify_with_svix"]


@pytest.fixture(scope="module")
def readme_code():
    text = README.read_text()
    section = text.split("### How to verify a webhook", 1)[1]
    [code] = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


def signed_headers(*secrets):
    return signing.headers(
        msg_id="evt_1", timestamp=int(time.time()), body=BODY, secrets=list(secrets)
    )


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize(
    "secret", [generate_secret(), "team_webhook_secret"], ids=["whsec", "plain"]
)
def test_readme_code_verifies_delivery(readme_code, verifier, secret):
    event = readme_code[verifier](secret, BODY, signed_headers(secret))

    assert event["id"] == "evt_1"
    assert event["data"] == {"amount": "1500.00"}


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_readme_code_verifies_each_secret_during_rotation(readme_code, verifier):
    new_secret, old_secret = generate_secret(), "team_webhook_secret"
    headers = signed_headers(new_secret, old_secret)

    assert readme_code[verifier](new_secret, BODY, headers)["id"] == "evt_1"
    assert readme_code[verifier](old_secret, BODY, headers)["id"] == "evt_1"


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_readme_code_rejects_changed_body(readme_code, verifier):
    headers = signed_headers("team_webhook_secret")

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        readme_code[verifier]("team_webhook_secret", BODY + b" ", headers)


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_readme_code_rejects_other_secret(readme_code, verifier):
    headers = signed_headers(generate_secret())

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        readme_code[verifier](generate_secret(), BODY, headers)
