"""Fixtures shared by every app's tests."""

import ipaddress
import socket

import pytest
from rest_framework.test import APIClient

from members.services import api_key_create

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def is_loopback_address(address):
    if not isinstance(address, tuple):
        return True  # a Unix socket path
    try:
        return ipaddress.ip_address(address[0]).is_loopback
    except ValueError:
        return address[0] == "localhost"


def fenced_connect(sock, address):
    if not is_loopback_address(address):
        raise ConnectionRefusedError(
            f"Tests may only connect to loopback, not {address!r}."
        )
    return _real_connect(sock, address)


def fenced_connect_ex(sock, address):
    if not is_loopback_address(address):
        raise ConnectionRefusedError(
            f"Tests may only connect to loopback, not {address!r}."
        )
    return _real_connect_ex(sock, address)


@pytest.fixture(autouse=True, scope="session")
def network_fenced_to_loopback():
    """Refuse every connection that would leave the machine."""
    socket.socket.connect = fenced_connect
    socket.socket.connect_ex = fenced_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture
def make_user(django_user_model):
    counter = iter(range(1, 10_000))

    def make(email=None, **fields):
        email = email or f"user{next(counter)}@example.com"
        return django_user_model.objects.create_user(
            username=email.lower(), email=email, **fields
        )

    return make


@pytest.fixture
def make_client():
    """Return an APIClient that sends ``Authorization: Bearer <secret>``."""

    def make(secret):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def make_key_client(make_client):
    """Create a key for ``user`` and return a client that uses it."""

    def make(user, **key_fields):
        _api_key, secret = api_key_create(user=user, name="test key", **key_fields)
        return make_client(secret)

    return make


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com")


@pytest.fixture
def owner_client(owner, make_key_client):
    return make_key_client(owner)
