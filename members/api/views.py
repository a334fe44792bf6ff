from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api.pagination import paginated_response
from connect_site.api.responses import created, envelope
from members import services
from members.access import team_access
from members.api.filters import MemberFilter
from members.api.serializers import MemberInviteSerializer, MemberUpdateSerializer
from members.models import MembershipStatus
from members.representations import member_data
from members.roles import Role
from members.selectors import team_member, team_members


def validated(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class MemberListView(APIView):
    @extend_schema(
        operation_id="members_list",
        parameters=[
            OpenApiParameter("limit", int, description="1 to 100, default 20"),
            OpenApiParameter("offset", int, description="From 0"),
            OpenApiParameter("role", str, enum=Role.values),
            OpenApiParameter("status", str, enum=["invited", "active"]),
            OpenApiParameter("email", str, description="Case-insensitive exact match"),
        ],
    )
    def get(self, request, team_id):
        access = team_access(
            actor=Actor.from_request(request),
            team_id=team_id,
            permission="members.read",
        )
        return paginated_response(
            request,
            team_members(team=access.team),
            serialize=lambda rows: [member_data(row) for row in rows],
            message="Members retrieved successfully",
            filterset_class=MemberFilter,
        )

    @extend_schema(operation_id="members_invite", request=MemberInviteSerializer)
    def post(self, request, team_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="members.invite")
        data = validated(MemberInviteSerializer, request)
        membership = services.member_invite(
            actor=actor,
            team=access.team,
            email=data["email"],
            role=data["role"],
            permissions=data.get("permissions"),
            invite_message=data.get("inviteMessage", ""),
        )
        return created(member_data(membership), "Member invited successfully")


class MemberDetailView(APIView):
    @extend_schema(operation_id="members_retrieve")
    def get(self, request, team_id, member_id):
        access = team_access(
            actor=Actor.from_request(request),
            team_id=team_id,
            permission="members.read",
        )
        membership = team_member(team=access.team, member_id=member_id)
        return envelope(member_data(membership), "Member retrieved successfully")

    @extend_schema(operation_id="members_update", request=MemberUpdateSerializer)
    def put(self, request, team_id, member_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="members.update")
        membership = team_member(team=access.team, member_id=member_id)
        data = validated(MemberUpdateSerializer, request)
        membership = services.member_update(
            actor=actor,
            team=access.team,
            membership=membership,
            role=data.get("role"),
            permissions=data.get("permissions", services.UNCHANGED),
        )
        membership = team_member(team=access.team, member_id=member_id)
        return envelope(member_data(membership), "Member updated successfully")

    @extend_schema(
        operation_id="members_partial_update", request=MemberUpdateSerializer
    )
    def patch(self, request, team_id, member_id):
        return self.put(request, team_id, member_id)

    @extend_schema(operation_id="members_remove")
    def delete(self, request, team_id, member_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="members.remove")
        membership = team_member(team=access.team, member_id=member_id)
        was_invited = membership.status == MembershipStatus.INVITED
        services.member_remove(actor=actor, team=access.team, membership=membership)
        message = (
            "Invitation revoked successfully"
            if was_invited
            else "Member removed successfully"
        )
        return envelope({"id": member_id, "deleted": True}, message)


class MemberResendView(APIView):
    @extend_schema(operation_id="members_resend_invitation", request=None)
    def post(self, request, team_id, member_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="members.invite")
        membership = team_member(team=access.team, member_id=member_id)
        membership = services.invitation_resend(
            actor=actor, team=access.team, membership=membership
        )
        membership = team_member(team=access.team, member_id=member_id)
        return envelope(member_data(membership), "Invitation resent successfully")
