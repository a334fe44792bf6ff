from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from connect_site.actors import Actor
from connect_site.api import schema
from connect_site.api.fields import require_empty_body, validated
from connect_site.api.pagination import paginated_response
from connect_site.api.responses import created, envelope
from members import services
from members.access import team_access
from members.api.filters import MemberFilter
from members.api.schema import (
    INVITE_EXAMPLES,
    LIST_FILTER_PARAMETERS,
    MEMBER_ID_PARAMETER,
    MemberDeletedOutput,
    MemberOutput,
)
from members.api.serializers import MemberInviteSerializer, MemberUpdateSerializer
from members.models import MembershipStatus
from members.representations import member_data
from members.selectors import team_member, team_members
from teams.api.schema import TEAM_ID_PARAMETER

MEMBER_ENVELOPE = schema.envelope("MemberEnvelope", MemberOutput())


@extend_schema(parameters=[TEAM_ID_PARAMETER])
class MemberListView(APIView):
    @extend_schema(
        operation_id="members_list",
        summary="List the team's invited and active members, newest first",
        description="Needs members.read. Removed members are not listed.",
        parameters=[
            *schema.PAGINATION_PARAMETERS,
            schema.SNAPSHOT_PARAMETER,
            *LIST_FILTER_PARAMETERS,
        ],
        responses={
            200: schema.list_envelope("MemberListEnvelope", MemberOutput),
            **schema.error_responses(400, 401, 404),
        },
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
            snapshot=True,
        )

    @extend_schema(
        operation_id="members_invite",
        summary="Invite a person by email",
        description=(
            "Needs members.invite. The caller assigns only roles at or below its "
            "own and grants only permissions it holds. An email that already "
            "belongs to an invited or active member is a 409 member_exists, and "
            "that member's role does not change. The invitation email, in the "
            "team's language and branding, is sent after the request commits."
        ),
        request=MemberInviteSerializer,
        responses={
            201: MEMBER_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 409, 413, 415),
        },
        examples=INVITE_EXAMPLES,
    )
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


@extend_schema(parameters=[TEAM_ID_PARAMETER, MEMBER_ID_PARAMETER])
class MemberDetailView(APIView):
    @extend_schema(
        operation_id="members_retrieve",
        summary="Get a member",
        description="Needs members.read. A removed member is a 404.",
        responses={200: MEMBER_ENVELOPE, **schema.error_responses(401, 403, 404)},
    )
    def get(self, request, team_id, member_id):
        access = team_access(
            actor=Actor.from_request(request),
            team_id=team_id,
            permission="members.read",
        )
        membership = team_member(team=access.team, member_id=member_id)
        return envelope(member_data(membership), "Member retrieved successfully")

    @extend_schema(
        operation_id="members_update",
        summary="Change a member's role or permissions",
        description=(
            "Needs members.update. Send role, permissions or both; email cannot "
            "change. permissions null returns the member to the role's defaults; "
            "leaving permissions out keeps the explicit list, trimmed to a lower "
            "role's ceiling. The caller changes only members at or below its own "
            "role. Demoting the last active owner is a 409 last_owner."
        ),
        request=MemberUpdateSerializer,
        responses={
            200: MEMBER_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 409, 413, 415),
        },
    )
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
        operation_id="members_partial_update",
        summary="Change a member's role or permissions (same as PUT)",
        request=MemberUpdateSerializer,
        responses={
            200: MEMBER_ENVELOPE,
            **schema.error_responses(400, 401, 403, 404, 409, 413, 415),
        },
    )
    def patch(self, request, team_id, member_id):
        return self.put(request, team_id, member_id)

    @extend_schema(
        operation_id="members_remove",
        summary="Remove a member or revoke an invitation",
        description=(
            "Needs members.remove. The row is kept with status removed for the "
            "audit trail, and access ends at the next request. Removing the last "
            "active owner is a 409 last_owner."
        ),
        responses={
            200: schema.envelope("MemberDeletedEnvelope", MemberDeletedOutput()),
            **schema.error_responses(401, 403, 404, 409),
        },
    )
    def delete(self, request, team_id, member_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="members.remove")
        membership = team_member(team=access.team, member_id=member_id)
        was_invited = membership.status == MembershipStatus.INVITED
        require_empty_body(request)
        services.member_remove(actor=actor, team=access.team, membership=membership)
        message = (
            "Invitation revoked successfully"
            if was_invited
            else "Member removed successfully"
        )
        return envelope({"id": member_id, "deleted": True}, message)


@extend_schema(parameters=[TEAM_ID_PARAMETER, MEMBER_ID_PARAMETER])
class MemberResendView(APIView):
    @extend_schema(
        operation_id="members_resend_invitation",
        summary="Send a new invitation link",
        description=(
            "Needs members.invite. Issues a new link with a new expiry and voids "
            "the previous one. A member who already joined is a 409 conflict."
        ),
        request=None,
        responses={200: MEMBER_ENVELOPE, **schema.error_responses(401, 403, 404, 409)},
    )
    def post(self, request, team_id, member_id):
        actor = Actor.from_request(request)
        access = team_access(actor=actor, team_id=team_id, permission="members.invite")
        membership = team_member(team=access.team, member_id=member_id)
        require_empty_body(request)
        membership = services.invitation_resend(
            actor=actor, team=access.team, membership=membership
        )
        membership = team_member(team=access.team, member_id=member_id)
        return envelope(member_data(membership), "Invitation resent successfully")
