"""The error hierarchy every app raises; one handler renders them all.

Each class carries its HTTP status, its machine-readable code and a default
message that states what the caller should change.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class ApiError(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "bad_request"
    default_detail = _("The request could not be processed.")

    def __init__(self, message=None, *, fields=None, headers=None):
        super().__init__(detail=message or self.default_detail, code=self.code)
        self.message = str(message or self.default_detail)
        self.fields = fields
        self.headers = headers or {}


class ValidationFailed(ApiError):
    code = "validation_error"
    default_detail = _("The request has invalid fields.")


class InvalidJson(ApiError):
    code = "invalid_json"
    default_detail = _("The request body is not valid JSON.")


class AuthenticationRequired(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "authentication_required"
    default_detail = _("Send an API key in the header 'Authorization: Bearer <key>'.")


class InvalidApiKey(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "invalid_api_key"
    default_detail = _("The API key is invalid or has been revoked.")


class PermissionDenied(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_detail = _("You do not have permission to perform this action.")


class NotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_detail = _("The requested resource was not found.")


class MethodNotAllowed(ApiError):
    status_code = status.HTTP_405_METHOD_NOT_ALLOWED
    code = "method_not_allowed"
    default_detail = _("This method is not allowed on this URL.")


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_detail = _("The request conflicts with the current state of the resource.")


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "payload_too_large"
    default_detail = _("The request body is too large.")


class UnsupportedMediaType(ApiError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"
    default_detail = _(
        "Send the request body as JSON with 'Content-Type: application/json'."
    )


class RateLimited(ApiError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "rate_limited"
    default_detail = _(
        "Too many requests. Retry after the number of seconds in Retry-After."
    )


class ServerError(ApiError):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    code = "server_error"
    default_detail = _(
        "An unexpected error occurred. Quote the request id when reporting it."
    )
