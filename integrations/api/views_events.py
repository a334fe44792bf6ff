"""Endpoints of events: the catalog, a team's event list, publishing."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api import schema
from connect_site.api.fields import validated
from connect_site.api.pagination import filter_queryset, paginated_response
from connect_site.api.responses import created
from integrations import catalog, selectors, services
from integrations.api import schema as integration_schema
from integrations.api.filters import EventFilter
from integrations.api.representations import event_data
from integrations.api.serializers import EventPublishSerializer
from integrations.api.views_integrations import TEAM_PARAMETERS
from members.access import team_access


class EventTypeListView(APIView):
    @extend_schema(
        operation_id="event_types_list",
        summary="List the event types that integrations subscribe to",
        responses={
            200: integration_schema.EVENT_TYPE_LIST,
            **schema.error_responses(400, 401),
        },
    )
    def get(self, request):
        # The catalog is short and fixed, so it is one page and takes no
        # parameters; unknown ones are still rejected.
        filter_queryset(request, None, None)
        types = [
            {
                "type": name,
                "description": description,
                "publishPermission": catalog.publish_permission(name),
            }
            for name, description in catalog.EVENT_TYPES.items()
        ]
        return Response(
            {
                "data": types,
                "message": "Event types retrieved successfully",
                "totalResults": len(types),
                "hasMore": False,
                "next": None,
            }
        )


@extend_schema(parameters=TEAM_PARAMETERS)
class EventListView(APIView):
    @extend_schema(
        operation_id="events_list",
        summary="List the team's events, newest first",
        parameters=schema.PAGINATION_PARAMETERS
        + integration_schema.EVENT_FILTER_PARAMETERS,
        responses={
            200: integration_schema.EVENT_LIST,
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
            selectors.events_for_team(team=access.team),
            serialize=lambda rows: [event_data(row, access.team) for row in rows],
            message="Events retrieved successfully",
            filterset_class=EventFilter,
        )

    @extend_schema(
        operation_id="events_publish",
        summary="Publish a payment.*, invoice.* or client.* event",
        description=(
            "Needs payments.update, invoices.update or clients.update by the "
            "type's prefix. data is a JSON object of at most 256 KB."
        ),
        request=EventPublishSerializer,
        responses={
            201: integration_schema.EVENT_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 413, 415),
        },
    )
    def post(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id)
        data = validated(EventPublishSerializer, request)
        event = services.event_publish_from_api(
            actor=actor, team=access.team, event_type=data["type"], data=data["data"]
        )
        return created(event_data(event, access.team), "Event published successfully")
