"""Endpoints of integrations: create, list, get, update, delete, test, rotate."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api.pagination import paginated_response
from connect_site.api.responses import created, envelope
from integrations import selectors, services
from integrations.api.representations import delivery_data, integration_data
from integrations.api.serializers import (
    EmptySerializer,
    IntegrationCreateSerializer,
    IntegrationUpdateSerializer,
    RecoverSerializer,
    RotateSecretSerializer,
)
from members.access import team_access

PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description="1 to 100, default 20"),
    OpenApiParameter("offset", int, description="From 0"),
]


def validated(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def integration_for(request, team_id, integration_id, permission):
    """Return ``(actor, integration)`` after the team's permission check."""
    actor = Actor.from_request(request)
    access = team_access(actor=actor, team_id=team_id, permission=permission)
    integration = selectors.integration_get(
        team=access.team, integration_id=integration_id
    )
    return actor, integration


class IntegrationListView(APIView):
    @extend_schema(operation_id="integrations_list", parameters=PAGE_PARAMETERS)
    def get(self, request, team_id):
        access = team_access(
            actor=Actor.from_request(request),
            team_id=team_id,
            permission="integrations.read",
        )
        return paginated_response(
            request,
            selectors.integrations_for_team(team=access.team).select_related("team"),
            serialize=lambda rows: [integration_data(row) for row in rows],
            message="Integrations retrieved successfully",
        )

    @extend_schema(
        operation_id="integrations_create", request=IntegrationCreateSerializer
    )
    def post(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(
            actor=actor, team_id=team_id, permission="integrations.create"
        )
        data = validated(IntegrationCreateSerializer, request)
        integration, secret = services.integration_create(
            actor=actor, team=access.team, data=data
        )
        return created(
            integration_data(integration, plain_secret=secret),
            "Integration created successfully",
        )


class IntegrationDetailView(APIView):
    @extend_schema(operation_id="integrations_retrieve")
    def get(self, request, team_id, integration_id):
        _actor, integration = integration_for(
            request, team_id, integration_id, "integrations.read"
        )
        return envelope(
            integration_data(integration), "Integration retrieved successfully"
        )

    @extend_schema(
        operation_id="integrations_update", request=IntegrationUpdateSerializer
    )
    def put(self, request, team_id, integration_id):
        actor, integration = integration_for(
            request, team_id, integration_id, "integrations.update"
        )
        data = validated(IntegrationUpdateSerializer, request)
        integration = services.integration_update(
            actor=actor, integration=integration, data=data
        )
        return envelope(
            integration_data(integration), "Integration updated successfully"
        )

    @extend_schema(
        operation_id="integrations_partial_update", request=IntegrationUpdateSerializer
    )
    def patch(self, request, team_id, integration_id):
        return self.put(request, team_id, integration_id)

    @extend_schema(operation_id="integrations_destroy")
    def delete(self, request, team_id, integration_id):
        actor, integration = integration_for(
            request, team_id, integration_id, "integrations.update"
        )
        services.integration_delete(actor=actor, integration=integration)
        return envelope(
            {"id": integration.public_id, "deleted": True},
            "Integration deleted successfully",
        )


class IntegrationTestView(APIView):
    @extend_schema(operation_id="integrations_test", request=None)
    def post(self, request, team_id, integration_id):
        actor, integration = integration_for(
            request, team_id, integration_id, "integrations.update"
        )
        validated(EmptySerializer, request)
        delivery = services.integration_send_test(actor=actor, integration=integration)
        return envelope(delivery_data(delivery), "Test event queued successfully")


class IntegrationRotateSecretView(APIView):
    @extend_schema(
        operation_id="integrations_rotate_secret", request=RotateSecretSerializer
    )
    def post(self, request, team_id, integration_id):
        actor, integration = integration_for(
            request, team_id, integration_id, "integrations.update"
        )
        data = validated(RotateSecretSerializer, request)
        integration, secret = services.integration_rotate_secret(
            actor=actor, integration=integration, secret=data.get("secret")
        )
        return envelope(
            integration_data(integration, plain_secret=secret),
            "Integration secret rotated successfully",
        )


class IntegrationRecoverView(APIView):
    @extend_schema(operation_id="integrations_recover", request=RecoverSerializer)
    def post(self, request, team_id, integration_id):
        actor, integration = integration_for(
            request, team_id, integration_id, "integrations.update"
        )
        data = validated(RecoverSerializer, request)
        queued = services.integration_recover(
            actor=actor, integration=integration, since=data["since"]
        )
        return envelope(
            {"integrationId": integration.public_id, "queued": queued},
            "Failed deliveries queued again successfully",
        )
