from django.conf import settings
from django.db import models

from connect_site.ids import new_public_id


class TeamStep(models.Model):
    """One step of a team's own ordered onboarding checklist."""

    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="onboarding_steps"
    )
    step_id = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField()
    # Copied from the catalog when the team is created, so that the list of
    # teams can tell completion without reading the catalog per row.
    required = models.BooleanField()
    data = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The member who first completed the step, shown as completedBy.
    completed_by_member = models.ForeignKey(
        "members.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "step_id"], name="one_row_per_step_per_team"
            ),
            models.UniqueConstraint(
                fields=["team", "position"], name="one_step_per_position"
            ),
        ]

    def __str__(self):
        return f"{self.step_id} of team {self.team_id}"


class StepCompletion(models.Model):
    """One completion of a team's step, kept as history for staff.

    A step completed twice has two rows; the TeamStep keeps the latest data and
    the first completion time.
    """

    team_step = models.ForeignKey(
        TeamStep, on_delete=models.CASCADE, related_name="completions"
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_by_member = models.ForeignKey(
        "members.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # "api", "web", "admin" or "system", as in connect_site.actors.Actor.
    source = models.CharField(max_length=10)
    link = models.ForeignKey(
        "onboarding.OnboardingLink",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="completions",
    )
    completed_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-completed_at", "-id"]

    def __str__(self):
        return (
            f"{self.team_step.step_id} completed at {self.completed_at:%Y-%m-%d %H:%M}"
        )


def new_onboarding_link_id():
    return new_public_id("obl")


class OnboardingLink(models.Model):
    """A short-lived, single-use link to the hosted onboarding pages.

    Only the SHA-256 digest of the token is stored. The token works once:
    the POST from the link's start page exchanges it for a session and sets
    ``opened_at``, and from then on the URL returns 404.
    """

    public_id = models.CharField(
        max_length=40, unique=True, default=new_onboarding_link_id, editable=False
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="onboarding_links"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    return_url = models.URLField(max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Onboarding link {self.public_id}"
