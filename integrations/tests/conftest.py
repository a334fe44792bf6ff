import socket

import pytest

_real_getaddrinfo = socket.getaddrinfo


def offline_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """Resolve address literals and localhost only; other names do not resolve.

    Tests never query DNS, so a name such as team.example.com behaves like a
    name that does not exist yet.
    """
    if host in {"localhost", None}:
        return _real_getaddrinfo(host, port, family, type, proto, flags)
    try:
        return _real_getaddrinfo(
            host, port, family, type, proto, flags | socket.AI_NUMERICHOST
        )
    except socket.gaierror:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


@pytest.fixture
def no_dns(monkeypatch):
    """Keep name resolution off the network for the test."""
    monkeypatch.setattr(socket, "getaddrinfo", offline_getaddrinfo)
