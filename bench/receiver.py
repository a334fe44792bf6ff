"""A webhook receiver on 127.0.0.1 that records when each delivery arrives.

Run as ``python -m bench.receiver PORT``. Every POST gets ``200`` at once
and is recorded as ``(webhook-id, path, unix time of receipt)``; the first
few are kept whole so the driver can verify their signatures.
``GET /_count`` returns how many were recorded and ``GET /_records`` returns
them and starts a new record. It speaks just enough HTTP/1.1 for keep-alive
clients and for clients that open a connection per request.
"""

import asyncio
import base64
import json
import sys
import time

SAMPLES_KEPT = 5
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class Records:
    def __init__(self):
        self.receipts = []
        self.samples = []

    def take(self):
        snapshot = {"receipts": self.receipts, "samples": self.samples}
        self.receipts, self.samples = [], []
        return snapshot


def json_response(document):
    body = json.dumps(document).encode()
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def handle(reader, writer, records):
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                break
            method, path, _version = request_line.decode("latin-1").split(" ", 2)
            headers = {}
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(length) if length else b""
            received_at = time.time()

            if method == "GET" and path == "/_count":
                writer.write(json_response({"count": len(records.receipts)}))
            elif method == "GET" and path == "/_records":
                writer.write(json_response(records.take()))
            else:
                records.receipts.append(
                    (headers.get("webhook-id", ""), path, received_at)
                )
                if len(records.samples) < SAMPLES_KEPT:
                    records.samples.append(
                        {
                            "headers": headers,
                            "body": base64.b64encode(body).decode("ascii"),
                        }
                    )
                writer.write(OK)
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def serve(port):
    records = Records()
    server = await asyncio.start_server(
        lambda reader, writer: handle(reader, writer, records),
        "127.0.0.1",
        port,
        backlog=1024,
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
