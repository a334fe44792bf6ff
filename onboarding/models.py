from django.conf import settings
from django.db import models


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
