"""The success envelope: ``{"data": ..., "message": ...}``."""

from rest_framework import status as http_status
from rest_framework.response import Response


def envelope(data, message, status=http_status.HTTP_200_OK):
    return Response({"data": data, "message": message}, status=status)


def created(data, message):
    return envelope(data, message, status=http_status.HTTP_201_CREATED)
