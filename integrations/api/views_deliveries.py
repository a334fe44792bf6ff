"""Endpoints of deliveries: an integration's log, one delivery, retry."""

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api import schema
from connect_site.api.fields import require_empty_body
from connect_site.api.pagination import paginated_response
from connect_site.api.responses import envelope
from integrations import selectors, services
from integrations.api import schema as integration_schema
from integrations.api.filters import DeliveryFilter
from integrations.api.representations import delivery_data
from integrations.api.views_integrations import (
    INTEGRATION_PARAMETERS,
    integration_for,
)
from members.access import team_access

DELIVERY_PARAMETERS = [
    integration_schema.TEAM_ID_PARAMETER,
    integration_schema.DELIVERY_ID_PARAMETER,
]


@extend_schema(parameters=INTEGRATION_PARAMETERS)
class IntegrationDeliveryListView(APIView):
    @extend_schema(
        operation_id="integrations_deliveries_list",
        summary="List an integration's deliveries, newest first",
        parameters=schema.PAGINATION_PARAMETERS
        + integration_schema.DELIVERY_FILTER_PARAMETERS,
        responses={
            200: integration_schema.DELIVERY_LIST,
            **schema.error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request, team_id, integration_id):
        _actor, integration = integration_for(
            request, team_id, integration_id, "integrations.read"
        )
        return paginated_response(
            request,
            selectors.deliveries_for_integration(integration=integration),
            serialize=lambda rows: [delivery_data(row) for row in rows],
            message="Deliveries retrieved successfully",
            filterset_class=DeliveryFilter,
        )


@extend_schema(parameters=DELIVERY_PARAMETERS)
class DeliveryDetailView(APIView):
    @extend_schema(
        operation_id="deliveries_retrieve",
        summary="Get a delivery with every attempt",
        responses={
            200: integration_schema.DELIVERY_DETAIL_ENVELOPE,
            **schema.error_responses(401, 403, 404),
        },
    )
    def get(self, request, team_id, delivery_id):
        access = team_access(
            actor=Actor.from_request(request),
            team_id=team_id,
            permission="integrations.read",
        )
        delivery = selectors.delivery_get(team=access.team, delivery_id=delivery_id)
        return envelope(
            delivery_data(delivery, with_attempts=True),
            "Delivery retrieved successfully",
        )


@extend_schema(parameters=DELIVERY_PARAMETERS)
class DeliveryRetryView(APIView):
    @extend_schema(
        operation_id="deliveries_retry",
        summary="Send a delivery again now",
        request=None,
        responses={
            200: integration_schema.DELIVERY_DETAIL_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, team_id, delivery_id):
        actor = Actor.from_request(request)
        access = team_access(
            actor=actor, team_id=team_id, permission="integrations.update"
        )
        delivery = selectors.delivery_get(team=access.team, delivery_id=delivery_id)
        require_empty_body(request)
        services.delivery_retry_now(actor=actor, delivery=delivery)
        delivery = selectors.delivery_get(team=access.team, delivery_id=delivery_id)
        return envelope(
            delivery_data(delivery, with_attempts=True),
            "Delivery queued for retry successfully",
        )
