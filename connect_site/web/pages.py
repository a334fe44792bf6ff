"""Helpers shared by the server-rendered pages of every app."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from connect_site.actors import Actor
from connect_site.api import errors
from members.access import team_access


def team_page_access(request, team_id, permission):
    """Return the signed-in user's TeamAccess or raise Django's 404 or 403.

    It runs the same check as the API (members.access.team_access), so a page
    never allows what the API rejects: a team the user cannot see is a 404,
    a missing permission a 403.
    """
    actor = Actor(user=request.user, source="web")
    try:
        return team_access(actor=actor, team_id=team_id, permission=permission)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


def require_permission(access, permission):
    """Raise Django's 403 when the member lacks ``permission``."""
    if not access.has(permission):
        raise PermissionDenied(
            _("This action needs the %(permission)s permission.")
            % {"permission": permission}
        )


def render_team_page(request, template_name, context, *, team, status=200):
    """Render a page in the team's language and timezone, with its branding.

    The response is rendered at once, inside the overrides, rather than
    lazily, because the overrides end when this function returns.
    """
    context = {"team": team, **context}
    with translation.override(team.language), timezone.override(team.timezone):
        response = render(request, template_name, context, status=status)
    response.headers["Content-Language"] = team.language
    return response


def serializer_errors_to_form(form, errors, field_map=None, prefix=""):
    """Copy a DRF serializer's nested errors onto a Django form.

    ``field_map`` maps a dotted serializer path ("settings.currency") to a
    form field name. A path with no form field becomes a non-field error
    that names the path, so no message is lost.
    """
    field_map = field_map or {}
    for key, value in errors.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            serializer_errors_to_form(form, value, field_map, prefix=f"{path}.")
            continue
        messages = [str(message) for message in value]
        target = field_map.get(path, path)
        if key == "non_field_errors" or path == "non_field_errors":
            form.add_error(None, messages)
        elif target in form.fields:
            form.add_error(target, messages)
        else:
            form.add_error(None, [f"{path}: {message}" for message in messages])
