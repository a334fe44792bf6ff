from django.db import models
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.timezone import now

from connect_site.ids import new_team_id


class TeamStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class TeamSize(models.TextChoices):
    ONE = "1", "1"
    TWO_TO_NINE = "2-9", "2-9"
    TEN_TO_FIFTY = "10-50", "10-50"
    FIFTY_ONE_TO_TWO_HUNDRED = "51-200", "51-200"
    TWO_HUNDRED_ONE_TO_THOUSAND = "201-1000", "201-1000"
    OVER_THOUSAND = "1000+", "1000+"


class Language(models.TextChoices):
    SPANISH = "es", "Español"
    ENGLISH = "en", "English"


FISCAL_YEAR_CHOICES = [
    "calendar",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


class TeamQuerySet(models.QuerySet):
    def visible(self):
        """Teams the API shows: deleted ones are kept for staff only."""
        return self.filter(deleted_at__isnull=True)

    def with_onboarding(self):
        """Annotate step counts and completion in the same query as the teams.

        ``onboarding_total`` and ``onboarding_done`` give the progress;
        ``onboarding_completed`` is true when no required step is left.
        """
        from onboarding.models import TeamStep

        steps = TeamStep.objects.filter(team=OuterRef("pk")).order_by().values("team")
        total = steps.annotate(count=Count("pk")).values("count")
        done = (
            steps.filter(completed_at__isnull=False)
            .annotate(count=Count("pk"))
            .values("count")
        )
        required_left = TeamStep.objects.filter(
            team=OuterRef("pk"), required=True, completed_at__isnull=True
        )
        return self.annotate(
            onboarding_total=Coalesce(
                Subquery(total, output_field=IntegerField()), Value(0)
            ),
            onboarding_done=Coalesce(
                Subquery(done, output_field=IntegerField()), Value(0)
            ),
            onboarding_completed=~Exists(required_left),
        )

    def onboarded(self, value):
        from onboarding.models import TeamStep

        required_left = TeamStep.objects.filter(
            team=OuterRef("pk"), required=True, completed_at__isnull=True
        )
        return self.filter(~Exists(required_left) if value else Exists(required_left))

    def for_user(self, user):
        """Teams where ``user`` is an active member."""
        return self.filter(
            Exists(
                user.memberships.model.objects.filter(
                    team=OuterRef("pk"), user=user, status="active"
                )
            )
        )


class Team(models.Model):
    public_id = models.CharField(
        max_length=40, unique=True, default=new_team_id, editable=False
    )
    name = models.CharField(max_length=120)
    description = models.TextField(max_length=1000, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    team_size = models.CharField(max_length=10, choices=TeamSize.choices, blank=True)
    country = models.CharField(max_length=2, default="MX")
    status = models.CharField(
        max_length=10, choices=TeamStatus.choices, default=TeamStatus.ACTIVE
    )
    currency = models.CharField(max_length=3, default="MXN")
    timezone = models.CharField(max_length=64, default="America/Mexico_City")
    language = models.CharField(
        max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    fiscal_year = models.CharField(max_length=10, default="calendar")
    metadata = models.JSONField(default=dict, blank=True)
    branding = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Set in save() rather than with auto_now_add and auto_now, which read
    # the clock twice, so a new team's two times can differ by a millisecond.
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now, editable=False)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="team_newest_first"),
            models.Index(fields=["status"], name="team_status"),
            models.Index(fields=["country"], name="team_country"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "suspended"]),
                name="team_status_is_known",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.public_id})"

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.updated_at = self.created_at
        else:
            self.updated_at = now()
        super().save(*args, **kwargs)

    @property
    def is_deleted(self):
        return self.deleted_at is not None


class AuditEntry(models.Model):
    """A record of who did what to which team object, and when.

    Rows keep the team and target ids as text as well as the team foreign
    key, so an entry still reads correctly after its object is deleted.
    """

    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    team_public_id = models.CharField(max_length=40, db_index=True)
    actor_user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_api_key_id = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=10)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=30)
    target_id = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.action} on {self.target_type} {self.target_id}"
