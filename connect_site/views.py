"""JSON answers for errors raised outside DRF views, under the API path."""

from django.http import JsonResponse
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


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Return the JSON 404 for a URL under the API path that no endpoint matches.

    Routed last under /v2/connect/, so the JSON 404 holds with DEBUG on too,
    where Django would otherwise render its HTML debug page. It is exempt
    from CSRF so that a POST gets this 404 rather than an HTML 403.
    """
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
