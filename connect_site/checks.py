"""Refuse to start in production with a setting that is unsafe there."""

from django.core.exceptions import ImproperlyConfigured


def check_production_settings(settings):
    """Raise ImproperlyConfigured naming every unsafe production setting.

    Production mode is ``CONNECT_ENV=production``. The check runs when the
    settings module loads, so neither the web server nor a worker starts.
    """
    if settings.get("CONNECT_ENV") != "production":
        return
    problems = []
    if (
        settings["SECRET_KEY"] == settings["DEVELOPMENT_SECRET_KEY"]
        or len(settings["SECRET_KEY"]) < 50
    ):
        problems.append(
            "SECRET_KEY must be set to a random value of at least 50 characters"
        )
    if settings["DEBUG"]:
        problems.append("DEBUG must be 0")
    if settings["CONNECT_WEBHOOK_ALLOW_LOOPBACK"]:
        problems.append("CONNECT_WEBHOOK_ALLOW_LOOPBACK must be off")
    hosts = [
        host
        for host in settings["ALLOWED_HOSTS"]
        if host not in {"127.0.0.1", "localhost", "[::1]", "testserver"}
    ]
    if not hosts:
        problems.append("ALLOWED_HOSTS must name the public host names")
    elif "*" in hosts:
        # A wildcard accepts any Host header, which lets forged hosts into
        # password-reset links.
        problems.append("ALLOWED_HOSTS must not contain '*'")
    if problems:
        raise ImproperlyConfigured(
            "Unsafe production settings: " + "; ".join(problems) + "."
        )
