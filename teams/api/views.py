from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api.pagination import paginated_response
from connect_site.api.responses import created, envelope
from members.access import team_access
from onboarding.selectors import team_steps
from teams import services
from teams.api.serializers import TeamUpdateSerializer, TeamWriteSerializer
from teams.filters import TeamFilter
from teams.models import Team
from teams.representations import team_full, team_summary


def validated(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class TeamListView(APIView):
    @extend_schema(
        operation_id="teams_list",
        parameters=[
            OpenApiParameter("limit", int, description="1 to 100, default 20"),
            OpenApiParameter("offset", int, description="From 0"),
            OpenApiParameter("status", str, enum=["active", "suspended"]),
            OpenApiParameter(
                "industry", str, description="Case-insensitive exact match"
            ),
            OpenApiParameter("country", str, description="ISO 3166-1 alpha-2"),
            OpenApiParameter("onboarded", str, enum=["true", "false"]),
            OpenApiParameter("search", str, description="Part of the team name"),
        ],
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
        )

    @extend_schema(operation_id="teams_create", request=TeamWriteSerializer)
    def post(self, request):
        data = validated(TeamWriteSerializer, request)
        team = services.team_create(actor=Actor.from_request(request), data=data)
        return created(team_full(team, team_steps(team)), "Team created successfully")


class TeamDetailView(APIView):
    @extend_schema(operation_id="teams_retrieve")
    def get(self, request, team_id):
        access = team_access(
            actor=Actor.from_request(request), team_id=team_id, permission="team.read"
        )
        return envelope(
            team_full(access.team, team_steps(access.team)),
            "Team retrieved successfully",
        )

    @extend_schema(operation_id="teams_update", request=TeamUpdateSerializer)
    def put(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="team.update")
        data = validated(TeamUpdateSerializer, request)
        team = services.team_update(actor=actor, team=access.team, data=data)
        return envelope(team_full(team, team_steps(team)), "Team updated successfully")

    @extend_schema(operation_id="teams_partial_update", request=TeamUpdateSerializer)
    def patch(self, request, team_id):
        return self.put(request, team_id)

    @extend_schema(operation_id="teams_destroy")
    def delete(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="team.delete")
        services.team_delete(actor=actor, team=access.team)
        return envelope({"id": team_id, "deleted": True}, "Team deleted successfully")
