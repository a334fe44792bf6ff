"""Writes to a team's onboarding checklist."""

from onboarding.catalog import STEPS
from onboarding.models import TeamStep


def onboarding_steps_create(*, team, step_ids):
    """Lay out the team's ordered steps; the ids are already validated."""
    return TeamStep.objects.bulk_create(
        TeamStep(
            team=team, step_id=step_id, position=index, required=STEPS[step_id].required
        )
        for index, step_id in enumerate(step_ids)
    )
