"""Keep webhook requests away from private, loopback and metadata addresses.

Two checks guard every webhook URL. ``validate_webhook_url`` runs when an
integration is saved. It rejects address literals and names that resolve to a
forbidden address, but accepts a name that does not resolve yet. Because DNS
answers can change after that (DNS rebinding), ``GuardedTransport`` resolves
the host again when it connects, checks every address and connects to the
checked address itself, so nothing is resolved twice.
"""

import collections
import contextvars
import functools
import http.cookiejar
import ipaddress
import logging
import os
import re
import socket
import threading
import time
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

from connect_site.api import errors

logger = logging.getLogger(__name__)

URL_FIELD = "configuration.url"

# Networks that Python's ``is_global`` does not exclude on every supported
# version (3.11 reports fec0::/10 and 64:ff9b:1::/48 as global), listed here
# so that the result does not depend on the interpreter.
FORBIDDEN_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "169.254.0.0/16",  # link-local, cloud metadata at 169.254.169.254
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, 255.255.255.255 broadcast included
        "fc00::/7",  # unique local, AWS metadata at fd00:ec2::254 included
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
        "64:ff9b:1::/48",  # local-use NAT64
    )
)

DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)

NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")

# Characters of the numeric IPv4 spellings that resolvers accept: decimal,
# octal with a leading 0, hexadecimal with 0x, one to four dotted parts.
NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")
# A DNS name after IDNA encoding: dot-separated labels of letters, digits,
# hyphens and underscores, each 1 to 63 characters, 253 in all.
HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
    r"(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)


class ForbiddenAddress(httpx.ConnectError):
    """A webhook host resolved to an address that requests must never reach."""


def _embedded_ipv4(address):
    """Return the IPv4 addresses that an IPv6 address carries inside it."""
    embedded = []
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if address in NAT64_WELL_KNOWN:
        # RFC 6052 puts the IPv4 address in the last 32 bits of a /96 prefix.
        # The local-use prefix 64:ff9b:1::/48 is forbidden as a whole.
        # NOTE: Python 3.11 counts all of 64:ff9b::/96 as reserved (inside
        # ::/8), so NAT64 to a public IPv4 address is rejected too.
        embedded.append(ipaddress.IPv4Address(address.packed[12:16]))
    # IPv4-compatible addresses (::a.b.c.d) are deprecated but still parsed.
    if int(address) >> 32 == 0 and int(address) > 1:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def _is_loopback_allowed():
    return bool(getattr(settings, "CONNECT_WEBHOOK_ALLOW_LOOPBACK", False))


def is_loopback(address):
    """Tell whether ``address`` is 127.0.0.0/8 or ::1, directly or mapped."""
    address = ipaddress.ip_address(address)
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _is_forbidden_ignoring_loopback_setting(address):
    if address.version == 6:
        if address.scope_id:
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        if address.ipv4_mapped is not None:
            return _is_forbidden_ignoring_loopback_setting(address.ipv4_mapped)
        for inner in _embedded_ipv4(address):
            if _is_forbidden_ignoring_loopback_setting(inner):
                return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (address.version == 6 and address.is_site_local)
        or not address.is_global
        or any(address in network for network in FORBIDDEN_NETWORKS)
    )


def is_forbidden_address(address):
    """Tell whether webhook requests must not go to ``address``.

    ``address`` is an ``ipaddress`` object or its text. Loopback (127.0.0.0/8,
    ::1 and ::ffff:127.x.x.x) is allowed only when the setting
    CONNECT_WEBHOOK_ALLOW_LOOPBACK is on. Every other private, link-local,
    shared, reserved, multicast or metadata address is always forbidden. So is
    an IPv6 address that embeds one (mapped, 6to4, Teredo, NAT64).
    """
    address = ipaddress.ip_address(address)
    if _is_loopback_allowed() and is_loopback(address):
        return False
    return _is_forbidden_ignoring_loopback_setting(address)


def parse_host_address(host):
    """Return the IP address that ``host`` spells, or None when it is a name.

    IPv4 hosts are read the way ``inet_aton`` (and so ``getaddrinfo``) reads
    them: ``2852039166``, ``0251.0376.0251.0376``, ``0xA9FEA9FE`` and ``127.1``
    all name an address. IPv6 hosts may come with or without brackets.
    """
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not NUMERIC_HOST.match(host) or not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def resolve_host(host, port):
    """Return every address that ``host`` resolves to, in resolver order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _invalid_url(message):
    return errors.ValidationFailed(
        f"Invalid {URL_FIELD}: {message}", fields={URL_FIELD: [message]}
    )


def _normalized_host(hostname):
    # IDNA applies NFKC, so full-width digits such as "１２７.０.０.１" become
    # ASCII before they are checked, exactly as a resolver would see them.
    try:
        return hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise _invalid_url(
            "The host name is not a valid domain name; use a name such as "
            "hooks.example.com."
        ) from exc


def validate_webhook_url(url):
    """Check a webhook URL before it is saved; raise ValidationFailed if unsafe.

    HTTPS is required; plain HTTP is accepted only for loopback hosts while
    CONNECT_WEBHOOK_ALLOW_LOOPBACK is on. Credentials in the URL are rejected.
    A name that does not resolve is accepted, because the receiver may not
    exist yet; the send-time check still applies to it.
    """
    if any(character.isspace() or not character.isprintable() for character in url):
        raise _invalid_url(
            "The URL contains spaces or control characters; percent-encode them."
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _invalid_url(
            "The URL cannot be parsed; use a URL such as "
            "https://hooks.example.com/webhooks."
        ) from exc
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise _invalid_url(
            "Use an absolute https URL such as https://hooks.example.com/webhooks."
        )
    if parts.username is not None or parts.password is not None:
        raise _invalid_url(
            "Remove the user name and password from the URL; receivers verify "
            "the webhook-signature header instead."
        )

    if port == 0:
        raise _invalid_url(
            "Port 0 cannot receive requests; use a port from 1 to 65535."
        )

    host = _normalized_host(parts.hostname)
    bare_host = host.rstrip(".").lower()
    if (bare_host == "localhost" or bare_host.endswith(".localhost")) and not (
        _is_loopback_allowed()
    ):
        # RFC 6761 reserves these names for loopback, whether or not this
        # machine's resolver resolves them.
        raise _invalid_url(
            f"The host {parts.hostname} is a loopback name; use a public address."
        )
    literal = parse_host_address(host)
    if literal is not None:
        addresses = [literal]
    elif not HOST_NAME.match(host.rstrip(".")):
        raise _invalid_url(
            f"The host {parts.hostname} is not a valid domain name; use a name "
            "such as hooks.example.com."
        )
    else:
        try:
            addresses = resolve_host(host, port or 443)
        except (OSError, UnicodeError):
            addresses = []

    for address in addresses:
        if is_forbidden_address(address):
            raise _invalid_url(
                f"The host {parts.hostname} is or resolves to {address}, a private, "
                "loopback, link-local or otherwise reserved address; use a "
                "public address."
            )
    if parts.scheme == "http" and not (
        _is_loopback_allowed()
        and addresses
        and all(is_loopback(address) for address in addresses)
    ):
        raise _invalid_url("Use https; plain http is not accepted for webhooks.")
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        # The delivery engine sends with httpx, so a URL it cannot parse
        # could never be delivered.
        raise _invalid_url(
            f"The URL cannot be sent to: {exc}. Use a URL such as "
            "https://hooks.example.com/webhooks."
        ) from exc
    return url


# The monotonic time by which the webhook request under way must end. httpx
# applies its timeout to each read, so without this a receiver that sends a
# byte now and then could hold a request, and its worker, indefinitely.
request_deadline = contextvars.ContextVar("webhook_request_deadline", default=None)


def _time_left(timeout):
    """Return ``timeout`` cut to what remains before the request's deadline."""
    deadline = request_deadline.get()
    if deadline is None:
        return timeout
    left = max(0.0, deadline - time.monotonic())
    return left if timeout is None else min(timeout, left)


# Name lookups have no timeout of their own, so each runs on a thread of its
# own while the caller waits at most its time left. A host whose lookups hang
# keeps at most this many threads busy, and further lookups of it fail at
# once, so one team's broken DNS cannot hold up other teams' deliveries.
LOOKUPS_PER_HOST = 2
_lookups_in_flight = collections.Counter()
_lookups_lock = threading.Lock()
# A forked worker starts with none of its parent's lookup threads.
os.register_at_fork(after_in_child=_lookups_in_flight.clear)


class ResolveTimeout(httpcore.ConnectTimeout):
    """A name lookup that did not finish within the request's time."""


def resolve_host_within(host, port, timeout):
    """Return resolve_host(host, port), raising ResolveTimeout after ``timeout`` seconds.

    An IP address is returned without a lookup. A lookup that times out goes
    on in its thread until the resolver gives up.
    """
    if timeout is None or parse_host_address(host) is not None:
        return resolve_host(host, port)
    key = host.lower()
    with _lookups_lock:
        if _lookups_in_flight[key] >= LOOKUPS_PER_HOST:
            raise ResolveTimeout(
                f"Resolving {host} timed out: earlier lookups of it have not finished."
            )
        _lookups_in_flight[key] += 1
    finished = threading.Event()
    outcome = {}

    def lookup():
        try:
            outcome["addresses"] = resolve_host(host, port)
        except Exception as exc:
            outcome["error"] = exc
        finally:
            with _lookups_lock:
                _lookups_in_flight[key] -= 1
                if not _lookups_in_flight[key]:
                    del _lookups_in_flight[key]
            finished.set()

    threading.Thread(target=lookup, name="webhook-resolver", daemon=True).start()
    if not finished.wait(timeout):
        raise ResolveTimeout(f"Resolving {host} timed out.")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["addresses"]


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write ends by the request's deadline."""

    def __init__(self, stream):
        self._stream = stream

    def read(self, max_bytes, timeout=None):
        timeout = _time_left(timeout)
        if timeout == 0:
            raise httpcore.ReadTimeout("The webhook request timed out.")
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer, timeout=None):
        timeout = _time_left(timeout)
        if timeout == 0:
            raise httpcore.WriteTimeout("The webhook request timed out.")
        self._stream.write(buffer, timeout)

    def close(self):
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        stream = self._stream.start_tls(
            ssl_context, server_hostname=server_hostname, timeout=_time_left(timeout)
        )
        return DeadlineStream(stream)

    def get_extra_info(self, info):
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve each host, reject forbidden addresses, connect to a checked one.

    The connection is made to the IP address that was checked, so a second
    DNS answer cannot swap in another address. httpcore still passes the URL's
    host name for TLS, so SNI and certificate checks use the name.
    """

    def __init__(self, backend=None):
        self._backend = backend or httpcore.SyncBackend()

    def connect_tcp(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ):
        timeout = _time_left(timeout)
        try:
            addresses = resolve_host_within(host, port, timeout)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"Cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"Cannot resolve {host}: no address found.")
        forbidden = [address for address in addresses if is_forbidden_address(address)]
        if forbidden:
            logger.warning(
                "Rejected a webhook connection to %s, which resolves to %s",
                host,
                ", ".join(str(address) for address in forbidden),
            )
            raise ForbiddenAddress(
                f"The host {host} resolves to the forbidden address {forbidden[0]}."
            )

        last_error = None
        for address in addresses:
            timeout = _time_left(timeout)
            if timeout == 0:
                raise httpcore.ConnectTimeout(f"Connecting to {host} timed out.")
            try:
                stream = self._backend.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return DeadlineStream(stream)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise ForbiddenAddress("Webhooks cannot be sent to a Unix socket.")

    def sleep(self, seconds):
        self._backend.sleep(seconds)


@functools.cache
def webhook_ssl_context(verify):
    """Return one SSL context per process for ``verify``.

    Loading the CA bundle takes tens of milliseconds, which was about half
    of a delivery attempt when every client built its own context.
    """
    return httpx.create_ssl_context(verify=verify, trust_env=False)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose every connection goes through GuardedBackend.

    Proxies are not supported: a proxy would make the connection on the
    caller's behalf and bypass the address check.
    """

    def __init__(self, *, verify=True, limits=DEFAULT_LIMITS, backend=None):
        ssl_context = webhook_ssl_context(verify)
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(backend),
        )


def guarded_client(timeout, *, verify=True, backend=None):
    """Return an httpx.Client for webhook requests: guarded, no redirects, no proxy.

    ``backend`` replaces the network backend underneath the guard; tests pass
    one that records or refuses connections.
    """
    return httpx.Client(
        transport=GuardedTransport(verify=verify, backend=backend),
        follow_redirects=False,
        timeout=timeout,
        trust_env=False,
        cookies=cookie_jar_rejecting_all(),
    )


def cookie_jar_rejecting_all():
    """Return a cookie jar that stores nothing.

    One client sends the deliveries of many teams, so a cookie that one
    receiver sets must never reach another team's endpoint on the same host.
    """
    return http.cookiejar.CookieJar(
        policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
    )
