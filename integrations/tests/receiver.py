"""A real webhook receiver on 127.0.0.1 for delivery tests.

``WebhookReceiver`` is a threaded ``http.server`` that records every
request's headers and raw body. It responds to each path with a programmable
sequence of responses (status, delay, headers, body), then with 200 once the
sequence is used up.
"""

import base64
import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook as StandardWebhook
from svix.webhooks import Webhook as SvixWebhook

# Ports reserved for this suite's receivers.
PORT_RANGE = range(18500, 18600)


@dataclass
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: dict = field(default_factory=dict)
    body: bytes = b"ok"


@dataclass
class ReceivedRequest:
    path: str
    headers: dict
    body: bytes
    received_at: float

    def verify(self, secret):
        """Verify the signature with the standardwebhooks and svix libraries.

        Both libraries take a ``whsec_`` secret as is. For a plain secret,
        whose key is its UTF-8 bytes, they need ``whsec_`` and the base64 of
        those bytes. Raises WebhookVerificationError on a bad signature.
        """
        if not secret.startswith("whsec_"):
            secret = "whsec_" + base64.b64encode(secret.encode("utf-8")).decode()
        StandardWebhook(secret).verify(self.body, self.headers)
        SvixWebhook(secret).verify(self.body, self.headers)
        return True


class WebhookReceiver:
    def __init__(self):
        self.requests = []
        self._replies = {}
        self._condition = threading.Condition()
        self._connections = set()
        self._server = self._bind()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    def _bind(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with receiver._condition:
                    receiver._connections.add(self.connection)

            def finish(self):
                with receiver._condition:
                    receiver._connections.discard(self.connection)
                super().finish()

            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                request = ReceivedRequest(
                    path=self.path,
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=body,
                    received_at=time.monotonic(),
                )
                reply = receiver._record(request)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting

            def log_message(self, format, *args):
                pass

        for port in PORT_RANGE:
            try:
                server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            except OSError:
                continue
            server.daemon_threads = True
            return server
        raise RuntimeError(f"No free port in {PORT_RANGE} for the webhook receiver.")

    def _record(self, request):
        with self._condition:
            self.requests.append(request)
            self._condition.notify_all()
            replies = self._replies.get(request.path, [])
            return replies.pop(0) if replies else Reply()

    def url(self, path="/hook"):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def script(self, path, *replies):
        """Respond to the next requests to ``path`` with ``replies``, in order."""
        with self._condition:
            self._replies.setdefault(path, []).extend(replies)

    def received(self, path=None):
        with self._condition:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, count, *, path=None, timeout=15.0):
        """Wait until ``count`` requests to ``path`` (or any path) arrived and return them."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                matching = [r for r in self.requests if path is None or r.path == path]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"Expected {count} requests to {path or 'any path'} within "
                        f"{timeout} s, got {len(matching)}."
                    )
                self._condition.wait(remaining)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        # Kept-alive connections outlive the listening socket; closing them
        # makes a sender connect afresh to whatever listens on the port next.
        with self._condition:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
