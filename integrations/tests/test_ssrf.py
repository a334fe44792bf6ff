"""The SSRF guard, at save time and at send time, with no real network."""

import ipaddress
import socket

import httpcore
import httpx
import pytest

from connect_site.api.errors import ValidationFailed
from integrations.ssrf import (
    ForbiddenAddress,
    guarded_client,
    is_forbidden_address,
    parse_host_address,
    validate_webhook_url,
)

# Hosts that name a forbidden address, each in a spelling a resolver accepts.
FORBIDDEN_HOSTS = [
    "169.254.169.254",
    "2852039166",
    "0251.0376.0251.0376",
    "0xA9FEA9FE",
    "0xa9.0xfe.0xa9.0xfe",
    "169.254.43518",
    "127.0.0.1",
    "127.1",
    "0177.0.0.1",
    "0x7f.1",
    "2130706433",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "240.0.0.1",
    "[::1]",
    "[::]",
    "[fe80::1]",
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[fec0::1]",
    "[ff02::1]",
    "[::ffff:169.254.169.254]",
    "[::ffff:127.0.0.1]",
    "[::ffff:a9fe:a9fe]",
    "[64:ff9b::169.254.169.254]",
    "[64:ff9b::a00:1]",
    "[64:ff9b:1::a9fe:a9fe]",
    "[2002:a9fe:a9fe::1]",
    "[2002:7f00:1::1]",
]


class RefusingBackend(httpcore.NetworkBackend):
    """A network backend that records each connect and never opens a socket."""

    def __init__(self):
        self.connects = []

    def connect_tcp(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ):
        self.connects.append((host, port))
        raise httpcore.ConnectError("connections are refused in this test")


def fake_getaddrinfo(*addresses):
    """Return a getaddrinfo replacement that returns ``addresses`` for any name."""

    def getaddrinfo(host, port, *args, **kwargs):
        answers = []
        for address in addresses:
            if ipaddress.ip_address(address).version == 6:
                answers.append(
                    (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
                )
            else:
                answers.append(
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                )
        return answers

    return getaddrinfo


def unresolvable(host, port, *args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def loopback_off(settings):
    settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = False


@pytest.fixture
def loopback_on(settings):
    settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = True


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2852039166", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("0xA9FEA9FE", "169.254.169.254"),
        ("0xa9.0376.43518", "169.254.169.254"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("10.0.0.1.", "10.0.0.1"),
    ],
)
def test_parse_host_address_reads_numeric_spellings(host, expected):
    assert parse_host_address(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize("host", ["team.example.com", "deadbeef", "1.2.3.4.5", ""])
def test_parse_host_address_returns_none_for_names(host):
    assert parse_host_address(host) is None


@pytest.mark.usefixtures("loopback_off")
@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
def test_forbidden_address_spellings(host):
    assert is_forbidden_address(parse_host_address(host)) is True


@pytest.mark.usefixtures("loopback_off")
@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address):
    assert is_forbidden_address(address) is False


@pytest.mark.usefixtures("loopback_off")
@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
def test_save_rejects_forbidden_literal(host, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)

    with pytest.raises(ValidationFailed) as caught:
        validate_webhook_url(f"https://{host}/webhooks")

    assert list(caught.value.fields) == ["configuration.url"]
    assert (
        "private, loopback, link-local" in caught.value.fields["configuration.url"][0]
    )


@pytest.mark.usefixtures("loopback_off")
def test_save_rejects_name_resolving_to_metadata(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo("169.254.169.254"))

    with pytest.raises(ValidationFailed) as caught:
        validate_webhook_url("https://metadata.example.com/hook")

    assert caught.value.fields == {
        "configuration.url": [
            "The host metadata.example.com is or resolves to 169.254.169.254, a "
            "private, loopback, link-local or otherwise reserved address; use a "
            "public address."
        ]
    }


@pytest.mark.usefixtures("loopback_off")
def test_save_rejects_name_with_one_private_answer(monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo", fake_getaddrinfo("93.184.216.34", "10.0.0.5")
    )

    with pytest.raises(ValidationFailed):
        validate_webhook_url("https://mixed.example.com/hook")


@pytest.mark.usefixtures("loopback_off")
def test_save_accepts_unresolvable_name(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)

    url = "https://team.example.com/webhooks/payments"

    assert validate_webhook_url(url) == url


@pytest.mark.usefixtures("loopback_off")
def test_save_accepts_name_resolving_to_public(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo("93.184.216.34"))

    assert validate_webhook_url("https://hooks.example.com/") == (
        "https://hooks.example.com/"
    )


@pytest.mark.usefixtures("loopback_off")
@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://hooks.example.com/",
            "Use https; plain http is not accepted for webhooks.",
        ),
        (
            "ftp://hooks.example.com/",
            "Use an absolute https URL such as https://hooks.example.com/webhooks.",
        ),
        (
            "/relative/path",
            "Use an absolute https URL such as https://hooks.example.com/webhooks.",
        ),
        (
            "https://user:pass@hooks.example.com/",
            "Remove the user name and password from the URL; receivers verify the "
            "webhook-signature header instead.",
        ),
        (
            "https://exa mple.com/",
            "The URL contains spaces or control characters; percent-encode them.",
        ),
        (
            "https://hooks.example.com/a\nb",
            "The URL contains spaces or control characters; percent-encode them.",
        ),
        (
            "https://bad!host.example.com/",
            "The host bad!host.example.com is not a valid domain name; use a name "
            "such as hooks.example.com.",
        ),
        (
            "https://localhost./",
            "The host localhost. is a loopback name; use a public address.",
        ),
        (
            "https://foo.localhost/",
            "The host foo.localhost is a loopback name; use a public address.",
        ),
        (
            "https://hooks.example.com:0/",
            "Port 0 cannot receive requests; use a port from 1 to 65535.",
        ),
        (
            "https://hooks.example.com:99999/",
            "The URL cannot be parsed; use a URL such as "
            "https://hooks.example.com/webhooks.",
        ),
    ],
)
def test_save_rejects_bad_url(url, message, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo("93.184.216.34"))

    with pytest.raises(ValidationFailed) as caught:
        validate_webhook_url(url)

    assert caught.value.fields == {"configuration.url": [message]}
    assert caught.value.message == f"Invalid configuration.url: {message}"


@pytest.mark.usefixtures("loopback_off")
def test_save_reads_fullwidth_digits_as_ascii(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)

    with pytest.raises(ValidationFailed):
        validate_webhook_url("https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/")


@pytest.mark.usefixtures("loopback_on")
@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/", "http://127.0.0.1:8104/hook", "http://[::1]/"]
)
def test_loopback_setting_allows_loopback(url):
    assert validate_webhook_url(url) == url


@pytest.mark.usefixtures("loopback_on")
@pytest.mark.parametrize(
    "url",
    ["https://10.0.0.1/", "https://169.254.169.254/", "https://[fd00:ec2::254]/"],
)
def test_loopback_setting_keeps_private_forbidden(url):
    with pytest.raises(ValidationFailed):
        validate_webhook_url(url)


@pytest.mark.usefixtures("loopback_on")
def test_loopback_setting_keeps_http_for_public_hosts(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo("93.184.216.34"))

    with pytest.raises(ValidationFailed) as caught:
        validate_webhook_url("http://hooks.example.com/")

    assert caught.value.fields == {
        "configuration.url": ["Use https; plain http is not accepted for webhooks."]
    }


# Send time. httpx 0.28+ rejects four dotted parts that are not plain decimal,
# so those spellings never reach the transport; the guard stops every other.
HTTPX_INVALID_HOSTS = ["0251.0376.0251.0376", "0177.0.0.1"]
SEND_TIME_HOSTS = [host for host in FORBIDDEN_HOSTS if host not in HTTPX_INVALID_HOSTS]


@pytest.mark.usefixtures("loopback_off")
@pytest.mark.parametrize("host", SEND_TIME_HOSTS)
def test_send_rejects_forbidden_literal_without_connecting(host):
    backend = RefusingBackend()

    with (
        guarded_client(5, backend=backend) as client,
        pytest.raises(ForbiddenAddress),
    ):
        client.post(f"https://{host}/webhooks", content=b"{}")

    assert backend.connects == []


@pytest.mark.usefixtures("loopback_off")
@pytest.mark.parametrize("host", HTTPX_INVALID_HOSTS)
def test_send_rejects_octal_spelling_before_connecting(host):
    backend = RefusingBackend()

    with guarded_client(5, backend=backend) as client, pytest.raises(httpx.InvalidURL):
        client.post(f"https://{host}/webhooks", content=b"{}")

    assert backend.connects == []


@pytest.mark.usefixtures("loopback_off")
@pytest.mark.parametrize(
    "address", ["169.254.169.254", "10.1.2.3", "::ffff:127.0.0.1", "fd00:ec2::254"]
)
def test_send_rejects_name_resolving_to_forbidden(address, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo(address))
    backend = RefusingBackend()

    with (
        guarded_client(5, backend=backend) as client,
        pytest.raises(ForbiddenAddress),
    ):
        client.post("https://rebinding.example.com/hook", content=b"{}")

    assert backend.connects == []


@pytest.mark.usefixtures("loopback_off")
def test_send_rejects_when_any_answer_is_forbidden(monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo", fake_getaddrinfo("93.184.216.34", "127.0.0.1")
    )
    backend = RefusingBackend()

    with (
        guarded_client(5, backend=backend) as client,
        pytest.raises(ForbiddenAddress),
    ):
        client.post("https://mixed.example.com/hook", content=b"{}")

    assert backend.connects == []


@pytest.mark.usefixtures("loopback_off")
def test_send_connects_to_the_checked_address(monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo", fake_getaddrinfo("93.184.216.34", "2606:2800::1")
    )
    backend = RefusingBackend()

    with (
        guarded_client(5, backend=backend) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.post("https://hooks.example.com:8443/hook", content=b"{}")

    assert backend.connects == [("93.184.216.34", 8443), ("2606:2800::1", 8443)]


@pytest.mark.usefixtures("loopback_on")
@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
def test_send_with_loopback_setting_connects_to_loopback(host):
    backend = RefusingBackend()

    with (
        guarded_client(5, backend=backend) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.post(f"http://{host}:8104/hook", content=b"{}")

    assert backend.connects == [(host.strip("[]"), 8104)]


@pytest.mark.usefixtures("loopback_on")
@pytest.mark.parametrize("host", ["10.0.0.1", "169.254.169.254", "2852039166"])
def test_send_loopback_setting_rejects_private(host):
    backend = RefusingBackend()

    with (
        guarded_client(5, backend=backend) as client,
        pytest.raises(ForbiddenAddress),
    ):
        client.post(f"https://{host}/hook", content=b"{}")

    assert backend.connects == []


def test_guarded_client_does_not_follow_redirects():
    client = guarded_client(5)

    assert client.follow_redirects is False
    assert client.timeout == httpx.Timeout(5)
