"""Drive an HTTP server over keep-alive connections for a fixed time.

Run as ``python -m bench.loadgen`` with a JSON spec on stdin; the figures come
back as JSON on stdout. It runs in its own process, without Django, so that
the client's work does not share an interpreter with the benchmark's driver.

The spec::

    {"host": "127.0.0.1", "port": 8120, "duration": 10, "warmup": 1,
     "concurrency": 8,
     "requests": [{"name": "list", "method": "GET", "path": "/v2/connect/teams",
                   "headers": {...}, "body": null, "weight": 1}]}

A request's ``path`` and ``body`` may contain ``{team}``, replaced by a random
item of its ``teams`` list, and ``{unique}``, replaced by a fresh token.
"""

import http.client
import itertools
import json
import random
import sys
import threading
import time

# A counter shared by the threads; itertools.count is atomic under the GIL.
UNIQUE = itertools.count()


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def render(text, request, rng):
    if text is None:
        return None
    if "{team}" in text:
        text = text.replace("{team}", rng.choice(request["teams"]))
    if "{unique}" in text:
        text = text.replace("{unique}", f"{time.time_ns():x}{next(UNIQUE)}")
    return text


class Worker(threading.Thread):
    def __init__(self, spec, measure_from, stop_at, seed):
        super().__init__(daemon=True)
        self.spec = spec
        self.measure_from = measure_from
        self.stop_at = stop_at
        self.rng = random.Random(seed)
        self.samples = {request["name"]: [] for request in spec["requests"]}
        self.statuses = {request["name"]: {} for request in spec["requests"]}
        self.connection_errors = {request["name"]: 0 for request in spec["requests"]}
        self.first_error = None

    def connect(self):
        return http.client.HTTPConnection(
            self.spec["host"], self.spec["port"], timeout=30
        )

    def run(self):
        requests = self.spec["requests"]
        weights = [request.get("weight", 1) for request in requests]
        connection = self.connect()
        while time.monotonic() < self.stop_at:
            request = self.rng.choices(requests, weights)[0]
            path = render(request["path"], request, self.rng)
            body = render(request.get("body"), request, self.rng)
            started = time.monotonic()
            try:
                connection.request(
                    request["method"],
                    path,
                    body=body.encode() if body is not None else None,
                    headers=request.get("headers", {}),
                )
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = self.connect()
            except (OSError, http.client.HTTPException) as error:
                status = None
                if self.first_error is None:
                    self.first_error = f"{request['name']}: {error!r}"
                connection.close()
                connection = self.connect()
            finished = time.monotonic()
            if started < self.measure_from or finished > self.stop_at:
                continue
            name = request["name"]
            if status is None:
                self.connection_errors[name] += 1
                continue
            self.samples[name].append(finished - started)
            self.statuses[name][status] = self.statuses[name].get(status, 0) + 1
        connection.close()


def run(spec):
    """Run the load described by ``spec`` and return its figures as a dict."""
    warmup = spec.get("warmup", 1.0)
    now = time.monotonic()
    measure_from = now + warmup
    stop_at = measure_from + spec["duration"]
    workers = [
        Worker(spec, measure_from, stop_at, seed) for seed in range(spec["concurrency"])
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    measured = spec["duration"]
    result = {"duration": measured, "concurrency": spec["concurrency"], "requests": {}}
    for request in spec["requests"]:
        name = request["name"]
        latencies = sorted(
            latency for worker in workers for latency in worker.samples[name]
        )
        statuses = {}
        for worker in workers:
            for status, count in worker.statuses[name].items():
                statuses[str(status)] = statuses.get(str(status), 0) + count
        result["requests"][name] = {
            "count": len(latencies),
            "perSecond": len(latencies) / measured,
            "p50Ms": _ms(percentile(latencies, 0.50)),
            "p99Ms": _ms(percentile(latencies, 0.99)),
            "statuses": statuses,
            "connectionErrors": sum(w.connection_errors[name] for w in workers),
        }
    everything = sorted(
        latency
        for worker in workers
        for samples in worker.samples.values()
        for latency in samples
    )
    result["total"] = {
        "count": len(everything),
        "perSecond": len(everything) / measured,
        "p50Ms": _ms(percentile(everything, 0.50)),
        "p99Ms": _ms(percentile(everything, 0.99)),
    }
    result["firstError"] = next(
        (worker.first_error for worker in workers if worker.first_error), None
    )
    return result


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 2)


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
