"""Template filters of the web pages, available in every template.

They are registered as builtins in settings.TEMPLATES, so the members' pages
and every other template use them without ``{% load %}``.
"""

import re

from django import template
from django.utils.html import format_html_join

register = template.Library()

COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
BRAND_COLOURS = {"primaryColor": "--brand-primary", "accentColor": "--brand-accent"}


@register.filter
def brand_css(team):
    """Return CSS custom property declarations for the team's brand colours.

    The API accepts only ``#RRGGBB`` colours, but staff can edit branding in
    the admin, so each value is checked again here before it reaches a
    ``<style>`` element, where HTML escaping would not stop CSS injection.
    """
    branding = getattr(team, "branding", None) or {}
    declarations = [
        (name, branding[key])
        for key, name in BRAND_COLOURS.items()
        if isinstance(branding.get(key), str) and COLOUR.match(branding[key])
    ]
    return format_html_join(" ", "{}: {};", declarations)


@register.filter
def brand_name(team):
    """Return the team's display name, or its name when none is set."""
    branding = getattr(team, "branding", None) or {}
    return branding.get("displayName") or getattr(team, "name", "")


@register.filter
def https_url(value):
    """Return ``value`` when it is an https URL, else an empty string."""
    if isinstance(value, str) and value.lower().startswith("https://"):
        return value
    return ""


@register.filter
def get_item(mapping, key):
    """Look a key up in a dict, for keys that are not valid template names."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
