"""Writes to integrations."""


def integrations_stop_for_team(*, team):
    """Stop a deleted team's deliveries. Filled in with webhook delivery."""
    return 0
