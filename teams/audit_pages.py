"""The team's audit trail page, for owners and admins."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from members.access import team_access_for_page
from teams.models import AuditEntry

ENTRIES_PER_PAGE = 50
# Only owners and admins hold team.update: it is outside the ceiling of every
# lower role (members/roles.py), so requiring it limits the page to them.
AUDIT_PERMISSION = "team.update"


@login_required
@require_GET
def team_audit(request, team_id):
    access = team_access_for_page(request, team_id, AUDIT_PERMISSION)
    entries = AuditEntry.objects.filter(team=access.team).order_by("-created_at", "-id")
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "teams/audit.html",
        {"team": access.team, "team_nav": "audit", "page": page},
    )
