from django.db import models

from connect_site.ids import new_event_id


class Event(models.Model):
    """Something that happened to a team, written in the transaction that caused it.

    ``body`` holds the exact bytes that every delivery of the event sends and
    signs; it is serialized once, here, and never re-encoded.
    """

    public_id = models.CharField(
        max_length=40, unique=True, default=new_event_id, editable=False
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="events"
    )
    type = models.CharField(max_length=60)
    data = models.JSONField()
    body = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["team", "-created_at", "-id"], name="event_team_newest_first"
            )
        ]

    def __str__(self):
        return f"{self.type} {self.public_id}"
