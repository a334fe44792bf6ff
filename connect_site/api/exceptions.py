"""The one exception handler: every API error becomes the contract's envelope."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from connect_site.api import errors
from connect_site.request_id import current_request_id

logger = logging.getLogger(__name__)

# DRF's own exceptions, mapped to the contract's codes.
DRF_EXCEPTION_MAP = [
    (drf_exceptions.ParseError, errors.InvalidJson),
    (drf_exceptions.UnsupportedMediaType, errors.UnsupportedMediaType),
    (drf_exceptions.MethodNotAllowed, errors.MethodNotAllowed),
    (drf_exceptions.NotFound, errors.NotFound),
    (drf_exceptions.NotAuthenticated, errors.AuthenticationRequired),
    (drf_exceptions.AuthenticationFailed, errors.InvalidApiKey),
    (drf_exceptions.PermissionDenied, errors.PermissionDenied),
    (drf_exceptions.Throttled, errors.RateLimited),
    (drf_exceptions.NotAcceptable, errors.ApiError),
]


def flatten_errors(detail, prefix=""):
    """Flatten DRF's nested error detail into ``{"settings.currency": [...]}``."""
    fields = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = (
                prefix
                if key == "non_field_errors"
                else f"{prefix}.{key}"
                if prefix
                else str(key)
            )
            for field, messages in flatten_errors(value, name).items():
                fields.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            fields[prefix or "request"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    fields.update(
                        flatten_errors(
                            item, f"{prefix}[{index}]" if prefix else str(index)
                        )
                    )
    else:
        fields[prefix or "request"] = [str(detail)]
    return fields


def validation_message(fields):
    if len(fields) == 1:
        name, messages = next(iter(fields.items()))
        if name == "request":
            return messages[0]
        return f"Invalid {name}: {messages[0]}"
    return "Invalid fields: " + ", ".join(fields) + ". See error.fields for each one."


def error_response(error, request_id=None):
    request_id = request_id or current_request_id()
    body = {"error": {"code": error.code, "message": error.message}}
    if error.fields is not None:
        body["error"]["fields"] = error.fields
    body["message"] = error.message
    body["requestId"] = request_id
    response = Response(body, status=error.status_code)
    for name, value in error.headers.items():
        response[name] = value
    return response


def convert_exception(exc):
    """Return the ApiError that stands for ``exc``, or None when it is unknown."""
    if isinstance(exc, errors.ApiError):
        return exc
    if isinstance(exc, drf_exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        return errors.ValidationFailed(validation_message(fields), fields=fields)
    if isinstance(exc, RequestDataTooBig):
        return errors.PayloadTooLarge()
    if isinstance(exc, Http404):
        return errors.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return errors.PermissionDenied()
    for drf_class, api_class in DRF_EXCEPTION_MAP:
        if isinstance(exc, drf_class):
            if api_class in {errors.InvalidJson, errors.ApiError}:
                converted = api_class(str(exc.detail))
            else:
                converted = api_class()
            if isinstance(exc, drf_exceptions.Throttled) and exc.wait:
                converted.headers["Retry-After"] = str(int(exc.wait + 0.999))
            if isinstance(exc, drf_exceptions.MethodNotAllowed):
                converted.message = f"Method {exc.args[0] if exc.args else ''} is not allowed on this URL."
            converted.status_code = (
                exc.status_code
                if api_class is errors.ApiError
                else converted.status_code
            )
            return converted
    return None


def exception_handler(exc, context):
    converted = convert_exception(exc)
    request_id = current_request_id()
    if converted is None:
        # The body carries only the request id, so the log line must too.
        logger.exception(
            "Unhandled error in %s, request_id=%s",
            context.get("view").__class__.__name__,
            request_id,
            extra={"request_id": request_id},
        )
        converted = errors.ServerError()
    response = error_response(converted, request_id)
    auth_header = getattr(exc, "auth_header", None)
    if converted.status_code == 401:
        response["WWW-Authenticate"] = auth_header or 'Bearer realm="api"'
    return response
