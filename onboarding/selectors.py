"""Reads of a team's onboarding state."""

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
