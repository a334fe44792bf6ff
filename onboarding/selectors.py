"""Reads of a team's onboarding state."""

from connect_site.api.fields import format_timestamp
from onboarding.catalog import STEPS
from onboarding.models import TeamStep


def team_steps(team):
    return list(TeamStep.objects.filter(team=team).order_by("position"))


def onboarding_summary(steps):
    """Return completed, currentStep and progress for ordered TeamStep rows.

    progress is floor(100 * completed / all); currentStep is the first
    incomplete step; completed means every required step is done.
    """
    done = sum(1 for step in steps if step.completed_at is not None)
    current = next((step.step_id for step in steps if step.completed_at is None), None)
    return {
        "completed": all(
            step.completed_at is not None for step in steps if step.required
        ),
        "currentStep": current,
        "progress": 100 * done // len(steps) if steps else 100,
    }


def step_status(step):
    """Return one step of the status shape.

    A completed step also carries ``completedAt`` and ``completedBy``: the time
    of its first completion and the member id (``mbr_...``) of who did it, or
    None when no member did (a staff change in the admin). Every step carries
    ``required`` and ``description``, completed or not.
    """
    definition = STEPS[step.step_id]
    status = {
        "id": step.step_id,
        "name": str(definition.name),
        "completed": step.completed_at is not None,
    }
    if step.completed_at is not None:
        member = step.completed_by_member
        status["completedAt"] = format_timestamp(step.completed_at)
        status["completedBy"] = member.public_id if member is not None else None
    status["required"] = step.required
    status["description"] = str(definition.description)
    return status


def onboarding_status(team, steps=None):
    """Return the shape of ``GET /v2/connect/teams/{teamId}/onboarding``."""
    if steps is None:
        steps = list(
            TeamStep.objects.filter(team=team)
            .select_related("completed_by_member")
            .order_by("position")
        )
    summary = onboarding_summary(steps)
    return {
        "teamId": team.public_id,
        "completed": summary["completed"],
        "currentStep": summary["currentStep"],
        "progress": summary["progress"],
        "steps": [step_status(step) for step in steps],
    }
