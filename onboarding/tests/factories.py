from connect_site.actors import Actor
from onboarding.services import onboarding_step_complete
from onboarding.tests.data import VALID_STEP_DATA


def complete_steps(team, user, *step_ids):
    """Complete ``step_ids`` of ``team`` as ``user`` with valid data."""
    for step_id in step_ids:
        onboarding_step_complete(
            actor=Actor(user=user),
            team=team,
            step_id=step_id,
            data=VALID_STEP_DATA[step_id],
        )
