"""A URL converter for public ids such as ``team_4fJ9...``.

Only letters, digits and underscores match, so a NUL byte or any other odd
character in the path is a plain 404 before a query is built from it.
"""

from django.urls import register_converter


class PublicIdConverter:
    regex = "[A-Za-z0-9_]{1,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


# Importing this module registers the converter once, as <public_id:name>.
register_converter(PublicIdConverter, "public_id")
