from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self):
        # Celery's autodiscovery imports only tasks.py, so the email task's
        # module is imported here to register it with every worker.
        from integrations import emails  # noqa: F401
