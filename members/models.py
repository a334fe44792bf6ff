from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from connect_site.ids import new_key_id, new_member_id
from members.roles import Role


class MembershipStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    REMOVED = "removed", "Removed"


class MembershipQuerySet(models.QuerySet):
    def open(self):
        """Memberships that are invited or active; removed rows stay for the audit trail."""
        return self.filter(
            status__in=[MembershipStatus.INVITED, MembershipStatus.ACTIVE]
        )

    def active(self):
        return self.filter(status=MembershipStatus.ACTIVE)


class Membership(models.Model):
    public_id = models.CharField(
        max_length=40, unique=True, default=new_member_id, editable=False
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.PROTECT, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    # None means the role's default permissions; a list replaces them.
    permissions = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=MembershipStatus.choices)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invite_message = models.TextField(blank=True)
    # SHA-256 hex digest of the current invitation token; the token itself is
    # never stored. Resend replaces it, which voids the previous link.
    invitation_token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    # Digest of the token whose email has been sent, so that a retried task
    # never sends the same link twice.
    invitation_sent_digest = models.CharField(max_length=64, blank=True)
    invite_expires_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "team",
                Lower("email"),
                condition=models.Q(status__in=["invited", "active"]),
                name="one_open_membership_per_email_per_team",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status"], name="membership_user_status")
        ]

    def __str__(self):
        return f"{self.email} ({self.role}) in {self.team_id}"


class ApiKey(models.Model):
    public_id = models.CharField(
        max_length=40, unique=True, default=new_key_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    # The first characters of the key, shown so a person can tell keys apart.
    prefix = models.CharField(max_length=20)
    # SHA-256 of the whole key; the key itself is never stored.
    key_digest = models.CharField(max_length=64, unique=True)
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="limited_api_keys",
    )
    # None means every permission the user holds; a list limits the key to it.
    permissions = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None
