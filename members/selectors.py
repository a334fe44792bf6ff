"""Reads of members that the API and the pages share."""

from connect_site.api import errors
from members.models import Membership


def team_members(*, team):
    """Return the team's invited and active members, newest first.

    Removed members stay in the database for the audit trail but are not
    listed: they no longer belong to the team.
    """
    return (
        Membership.objects.open()
        .filter(team=team)
        .select_related("team", "invited_by")
        .order_by("-created_at", "-id")
    )


def team_member(*, team, member_id):
    """Return one invited or active member of ``team`` by public id, or raise 404."""
    membership = team_members(team=team).filter(public_id=member_id).first()
    if membership is None:
        raise errors.NotFound("No member with this id was found in this team.")
    return membership
