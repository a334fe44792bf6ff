"""Endpoints of integrations: create, list, get, update, delete, test, rotate."""

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api import schema
from connect_site.api.fields import require_empty_body, validated
from connect_site.api.pagination import paginated_response
from connect_site.api.responses import created, envelope
from integrations import selectors, services
from integrations.api import schema as integration_schema
from integrations.api.filters import IntegrationFilter
from integrations.api.representations import delivery_data, integration_data
from integrations.api.serializers import (
    IntegrationCreateSerializer,
    IntegrationUpdateSerializer,
    RecoverSerializer,
    RotateSecretSerializer,
)
from members.access import team_access

TEAM_PARAMETERS = [integration_schema.TEAM_ID_PARAMETER]
INTEGRATION_PARAMETERS = [
    integration_schema.TEAM_ID_PARAMETER,
    integration_schema.INTEGRATION_ID_PARAMETER,
]


def integration_for(request, team_id, integration_id, permission):
    """Return ``(actor, integration)`` after the team's permission check."""
    actor = Actor.from_request(request)
    access = team_access(actor=actor, team_id=team_id, permission=permission)
    integration = selectors.integration_get(
        team=access.team, integration_id=integration_id
    )
    return actor, integration


@extend_schema(parameters=TEAM_PARAMETERS)
class IntegrationListView(APIView):
    @extend_schema(
        operation_id="integrations_list",
        summary="List the team's integrations, newest first",
        parameters=schema.PAGINATION_PARAMETERS
        + integration_schema.INTEGRATION_FILTER_PARAMETERS,
        responses={
            200: integration_schema.INTEGRATION_LIST,
            **schema.error_responses(400, 401, 403, 404),
        },
    )
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
            filterset_class=IntegrationFilter,
        )

    @extend_schema(
        operation_id="integrations_create",
        summary="Create a webhook integration; the secret is shown once",
        request=IntegrationCreateSerializer,
        responses={
            201: integration_schema.INTEGRATION_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 413, 415),
        },
        examples=integration_schema.CREATE_EXAMPLES,
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


@extend_schema(parameters=INTEGRATION_PARAMETERS)
class IntegrationDetailView(APIView):
    @extend_schema(
        operation_id="integrations_retrieve",
        summary="Get an integration; the secret is masked",
        responses={
            200: integration_schema.INTEGRATION_ENVELOPE,
            **schema.error_responses(401, 403, 404),
        },
    )
    def get(self, request, team_id, integration_id):
        _actor, integration = integration_for(
            request, team_id, integration_id, "integrations.read"
        )
        return envelope(
            integration_data(integration), "Integration retrieved successfully"
        )

    @extend_schema(
        operation_id="integrations_update",
        summary="Update the given fields; a new configuration.secret rotates it",
        description=(
            "Only the fields in the body change. A configuration.secret that "
            "differs from the current one rotates the secret like rotate-secret "
            "does, and the old one keeps signing for the grace period. isActive "
            "true re-enables a disabled integration."
        ),
        request=IntegrationUpdateSerializer,
        responses={
            200: integration_schema.INTEGRATION_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 413, 415),
        },
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
        operation_id="integrations_partial_update",
        summary="The same as PUT",
        request=IntegrationUpdateSerializer,
        responses={
            200: integration_schema.INTEGRATION_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 413, 415),
        },
    )
    def patch(self, request, team_id, integration_id):
        return self.put(request, team_id, integration_id)

    @extend_schema(
        operation_id="integrations_destroy",
        summary="Delete an integration and stop its pending deliveries",
        responses={
            200: integration_schema.INTEGRATION_DELETED,
            **schema.error_responses(401, 403, 404),
        },
    )
    def delete(self, request, team_id, integration_id):
        actor, integration = integration_for(
            request, team_id, integration_id, "integrations.update"
        )
        require_empty_body(request)
        services.integration_delete(actor=actor, integration=integration)
        return envelope(
            {"id": integration.public_id, "deleted": True},
            "Integration deleted successfully",
        )


@extend_schema(parameters=INTEGRATION_PARAMETERS)
class IntegrationTestView(APIView):
    @extend_schema(
        operation_id="integrations_test",
        summary="Send an integration.test event to this integration only",
        request=None,
        responses={
            200: integration_schema.DELIVERY_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, team_id, integration_id):
        actor, integration = integration_for(
            request, team_id, integration_id, "integrations.update"
        )
        require_empty_body(request)
        delivery = services.integration_send_test(actor=actor, integration=integration)
        return envelope(delivery_data(delivery), "Test event queued successfully")


@extend_schema(parameters=INTEGRATION_PARAMETERS)
class IntegrationRotateSecretView(APIView):
    @extend_schema(
        operation_id="integrations_rotate_secret",
        summary="Replace the secret; the old one signs for a grace period",
        request=RotateSecretSerializer,
        responses={
            200: integration_schema.INTEGRATION_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404),
        },
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


@extend_schema(parameters=INTEGRATION_PARAMETERS)
class IntegrationRecoverView(APIView):
    @extend_schema(
        operation_id="integrations_recover",
        summary="Re-send every failed delivery created since a time",
        request=RecoverSerializer,
        responses={
            200: integration_schema.RECOVER_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 409),
        },
    )
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
