"""The role and permission catalog: one table that every check reads."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    DEVELOPER = "developer", _("Developer")
    USER = "user", _("User")


# Highest first; a larger number outranks a smaller one.
ROLE_RANK = {
    Role.OWNER: 5,
    Role.ADMIN: 4,
    Role.MANAGER: 3,
    Role.DEVELOPER: 2,
    Role.USER: 1,
}

PERMISSION_DESCRIPTIONS = {
    "team.read": "View team information",
    "team.update": "Update team settings",
    "team.delete": "Delete team",
    "members.read": "View team members",
    "members.invite": "Invite team members",
    "members.update": "Change a member's role or permissions",
    "members.remove": "Remove team members",
    "payments.create": "Create payments",
    "payments.read": "View payments",
    "payments.update": "Update payments",
    "invoices.create": "Create invoices",
    "invoices.read": "View invoices",
    "invoices.update": "Update invoices",
    "clients.create": "Create clients",
    "clients.read": "View clients",
    "clients.update": "Update clients",
    "integrations.read": "View integrations",
    "integrations.create": "Create integrations",
    "integrations.update": "Update integrations",
}
ALL_PERMISSIONS = tuple(PERMISSION_DESCRIPTIONS)


def _with_prefixes(*prefixes):
    return frozenset(p for p in ALL_PERMISSIONS if p.split(".")[0] in prefixes)


# A role's default permissions are also the most it can ever hold.
ROLE_PERMISSIONS = {
    Role.OWNER: frozenset(ALL_PERMISSIONS),
    Role.ADMIN: frozenset(ALL_PERMISSIONS) - {"team.delete"},
    Role.MANAGER: frozenset({"team.read", "integrations.read"})
    | _with_prefixes("members", "payments", "invoices", "clients"),
    Role.DEVELOPER: frozenset(
        {"team.read", "members.read", "payments.read", "invoices.read", "clients.read"}
    )
    | _with_prefixes("integrations"),
    Role.USER: frozenset(
        {"team.read", "payments.read", "invoices.read", "clients.read"}
    ),
}


def ordered(permissions):
    """Return ``permissions`` in catalog order, so lists read the same every time."""
    permissions = set(permissions)
    return [p for p in ALL_PERMISSIONS if p in permissions]


def role_outranks_or_equals(role, other):
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(other)]


def role_outranks(role, other):
    return ROLE_RANK[Role(role)] > ROLE_RANK[Role(other)]


def roles_at_or_below(role):
    """Return the roles that a member with ``role`` may assign, highest first."""
    return [r for r in Role if role_outranks_or_equals(role, r)]
