from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api import schema
from connect_site.api.fields import require_empty_body, validated
from connect_site.api.pagination import paginated_response
from connect_site.api.responses import created, envelope
from members.access import team_access
from onboarding.selectors import team_steps
from teams import services
from teams.api.schema import (
    CREATE_EXAMPLES,
    LIST_FILTER_PARAMETERS,
    TEAM_ID_PARAMETER,
    TeamDeletedOutput,
    TeamOutput,
    TeamSummaryOutput,
)
from teams.api.serializers import TeamUpdateSerializer, TeamWriteSerializer
from teams.filters import TeamFilter
from teams.list_cache import count_cache_key
from teams.models import Team
from teams.representations import team_full, team_summary

TEAM_ENVELOPE = schema.envelope("TeamEnvelope", TeamOutput())


class TeamListView(APIView):
    @extend_schema(
        operation_id="teams_list",
        summary="List the caller's teams, newest first",
        parameters=[
            *schema.PAGINATION_PARAMETERS,
            schema.SNAPSHOT_PARAMETER,
            *LIST_FILTER_PARAMETERS,
        ],
        responses={
            200: schema.list_envelope("TeamListEnvelope", TeamSummaryOutput),
            **schema.error_responses(400, 401),
        },
    )
    def get(self, request):
        teams = Team.objects.visible().for_user(request.user).with_onboarding()
        if request.auth is not None and request.auth.team_id is not None:
            teams = teams.filter(pk=request.auth.team_id)
        return paginated_response(
            request,
            teams,
            serialize=lambda rows: [team_summary(team) for team in rows],
            message="Teams retrieved successfully",
            filterset_class=TeamFilter,
            snapshot=True,
            count_cache_key=count_cache_key(request),
        )

    @extend_schema(
        operation_id="teams_create",
        summary="Create a team; the caller becomes its owner",
        request=TeamWriteSerializer,
        responses={
            201: TEAM_ENVELOPE,
            **schema.error_responses(400, 401, 403, 413, 415),
        },
        examples=CREATE_EXAMPLES,
    )
    def post(self, request):
        data = validated(TeamWriteSerializer, request)
        team = services.team_create(actor=Actor.from_request(request), data=data)
        return created(team_full(team, team_steps(team)), "Team created successfully")


@extend_schema(parameters=[TEAM_ID_PARAMETER])
class TeamDetailView(APIView):
    @extend_schema(
        operation_id="teams_retrieve",
        summary="Get a team",
        responses={200: TEAM_ENVELOPE, **schema.error_responses(401, 403, 404)},
    )
    def get(self, request, team_id):
        access = team_access(
            actor=Actor.from_request(request), team_id=team_id, permission="team.read"
        )
        return envelope(
            team_full(access.team, team_steps(access.team)),
            "Team retrieved successfully",
        )

    @extend_schema(
        operation_id="teams_update",
        summary="Update the given fields; settings, branding and metadata merge",
        request=TeamUpdateSerializer,
        responses={
            200: TEAM_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 413, 415),
        },
    )
    def put(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="team.update")
        data = validated(TeamUpdateSerializer, request)
        team = services.team_update(actor=actor, team=access.team, data=data)
        return envelope(team_full(team, team_steps(team)), "Team updated successfully")

    @extend_schema(
        operation_id="teams_partial_update",
        summary="The same merge as PUT",
        request=TeamUpdateSerializer,
        responses={
            200: TEAM_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 413, 415),
        },
    )
    def patch(self, request, team_id):
        return self.put(request, team_id)

    @extend_schema(
        operation_id="teams_destroy",
        summary="Delete a team: hidden from the API, kept for staff to restore",
        responses={
            200: schema.envelope("TeamDeletedEnvelope", TeamDeletedOutput()),
            **schema.error_responses(401, 403, 404),
        },
    )
    def delete(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="team.delete")
        require_empty_body(request)
        services.team_delete(actor=actor, team=access.team)
        return envelope({"id": team_id, "deleted": True}, "Team deleted successfully")
