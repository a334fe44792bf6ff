"""Endpoints of deliveries: an integration's log, one delivery, retry."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api.pagination import paginated_response
from connect_site.api.responses import envelope
from integrations import selectors, services
from integrations.api.filters import DeliveryFilter
from integrations.api.representations import delivery_data
from integrations.api.serializers import EmptySerializer
from integrations.api.views_integrations import (
    PAGE_PARAMETERS,
    integration_for,
    validated,
)
from integrations.catalog import EVENT_TYPES
from integrations.models import DeliveryStatus
from members.access import team_access


class IntegrationDeliveryListView(APIView):
    @extend_schema(
        operation_id="integrations_deliveries_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("status", str, enum=DeliveryStatus.values),
            OpenApiParameter("eventType", str, enum=list(EVENT_TYPES)),
        ],
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


class DeliveryDetailView(APIView):
    @extend_schema(operation_id="deliveries_retrieve")
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


class DeliveryRetryView(APIView):
    @extend_schema(operation_id="deliveries_retry", request=None)
    def post(self, request, team_id, delivery_id):
        actor = Actor.from_request(request)
        access = team_access(
            actor=actor, team_id=team_id, permission="integrations.update"
        )
        delivery = selectors.delivery_get(team=access.team, delivery_id=delivery_id)
        validated(EmptySerializer, request)
        services.delivery_retry_now(actor=actor, delivery=delivery)
        delivery = selectors.delivery_get(team=access.team, delivery_id=delivery_id)
        return envelope(
            delivery_data(delivery, with_attempts=True),
            "Delivery queued for retry successfully",
        )
