"""Assertions and test support shared by the tests of every app."""

import kombu.pools


def error_of(response):
    """Return the error body without its request id, after checking that id.

    The id in the body must be the one in the X-Request-Id header, so that a
    client quoting either one points to the same log line.
    """
    body = response.json()
    assert body.pop("requestId") == response["X-Request-Id"]
    assert response["X-Request-Id"].startswith("req_")
    return body


def validation_error(message, fields):
    return {
        "error": {"code": "validation_error", "message": message, "fields": fields},
        "message": message,
    }


def use_celery_broker(app, broker_url, always_eager):
    """Point this process's Celery app at ``broker_url``; return the old values."""
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools in a process-wide registry keyed by broker
    # URL; without a reset the next test gets the pool closed above.
    kombu.pools.reset()
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = always_eager
    return previous
