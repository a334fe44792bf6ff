"""Context processor of the web pages."""

from django.conf import settings


def site(request):
    """Add the languages a person may switch between to every page."""
    return {"site_languages": settings.LANGUAGES}
