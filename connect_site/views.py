"""JSON error responses for errors raised outside DRF views, under /v2/."""

from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found, server_error

from connect_site.api import errors
from connect_site.request_id import current_request_id

API_PREFIX = "/v2/"


def error_json(error, request):
    request_id = getattr(request, "request_id", None) or current_request_id()
    body = {
        "error": {"code": error.code, "message": error.message},
        "message": error.message,
        "requestId": request_id,
    }
    return JsonResponse(body, status=error.status_code)


def not_found(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return error_json(errors.NotFound("No API endpoint matches this URL."), request)
    return page_not_found(request, exception)


def resolve_other_spelling(path_info):
    """Resolve ``path_info`` with its final slash removed, or added; else None."""
    other = path_info[:-1] if path_info.endswith("/") else path_info + "/"
    try:
        match = resolve(other)
    except Resolver404:
        return None
    return None if match.func is api_not_found else match


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Serve an API URL as the endpoint of its other spelling, or return 404.

    ``/v2/connect/teams/`` gets the same response as ``/v2/connect/teams``,
    and ``/v2/connect/schema`` the same as ``/v2/connect/schema/``, so
    clients work either way without a redirect, which would turn a POST
    into a GET in some clients. Because it is routed last under
    /v2/connect/, the JSON 404 is returned with DEBUG on too, where Django
    would otherwise render its HTML debug page. It is exempt from CSRF so
    that a POST gets this 404 rather than an HTML 403.
    """
    match = resolve_other_spelling(request.path_info)
    if match is not None:
        return match.func(request, *match.args, **match.kwargs)
    return error_json(errors.NotFound("No API endpoint matches this URL."), request)


def bad_request(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return error_json(
            errors.ApiError("The request could not be processed."), request
        )
    from django.views.defaults import bad_request as default_bad_request

    return default_bad_request(request, exception)


def internal_error(request):
    if request.path.startswith(API_PREFIX):
        return error_json(errors.ServerError(), request)
    return server_error(request)
