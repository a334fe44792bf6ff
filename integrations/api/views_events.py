"""Endpoints of events: the catalog, a team's event list, publishing."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api.pagination import filter_queryset, paginated_response
from connect_site.api.responses import created
from integrations import catalog, selectors, services
from integrations.api.filters import EventFilter
from integrations.api.representations import event_data
from integrations.api.serializers import EventPublishSerializer
from integrations.api.views_integrations import PAGE_PARAMETERS, validated
from members.access import team_access


class EventTypeListView(APIView):
    @extend_schema(operation_id="event_types_list")
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


class EventListView(APIView):
    @extend_schema(
        operation_id="events_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("type", str, enum=list(catalog.EVENT_TYPES)),
        ],
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

    @extend_schema(operation_id="events_publish", request=EventPublishSerializer)
    def post(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id)
        data = validated(EventPublishSerializer, request)
        event = services.event_publish_from_api(
            actor=actor, team=access.team, event_type=data["type"], data=data["data"]
        )
        return created(event_data(event, access.team), "Event published successfully")
