"""The team's JSON shapes: full for create, get and update; summary for lists."""

from connect_site.api.fields import format_timestamp
from onboarding.selectors import onboarding_summary


def team_settings(team):
    return {
        "currency": team.currency,
        "timezone": team.timezone,
        "language": team.language,
        "fiscalYear": team.fiscal_year,
    }


def team_full(team, steps):
    """Return the full shape; ``steps`` is the team's ordered TeamStep rows."""
    summary = onboarding_summary(steps)
    return {
        "id": team.public_id,
        "name": team.name,
        "description": team.description or None,
        "industry": team.industry or None,
        "teamSize": team.team_size or None,
        "country": team.country,
        "status": team.status,
        "settings": team_settings(team),
        "onboarding": {
            "completed": summary["completed"],
            "currentStep": summary["currentStep"],
            "progress": summary["progress"],
            "steps": [step.step_id for step in steps],
        },
        "metadata": team.metadata,
        "branding": team.branding,
        "createdAt": format_timestamp(team.created_at),
        "updatedAt": format_timestamp(team.updated_at),
    }


def team_summary(team):
    """Return the list shape; ``team`` carries the with_onboarding() annotations."""
    total = team.onboarding_total
    return {
        "id": team.public_id,
        "name": team.name,
        "description": team.description or None,
        "industry": team.industry or None,
        "status": team.status,
        "country": team.country,
        "onboarding": {
            "completed": team.onboarding_completed,
            "progress": (100 * team.onboarding_done // total) if total else 100,
        },
        "createdAt": format_timestamp(team.created_at),
    }
