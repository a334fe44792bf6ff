"""Team pages: my teams, create a team, a team's settings and branding."""

import copy
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from connect_site.actors import Actor
from connect_site.api import errors
from connect_site.web.pages import (
    render_team_page,
    require_permission,
    serializer_errors_to_form,
    team_page_access,
)
from members.roles import Role
from teams import services
from teams.api.serializers import TeamUpdateSerializer, TeamWriteSerializer
from teams.forms import FIELD_MAP, TeamForm, TeamSettingsForm
from teams.models import Team


def validate_through(serializer_class, form):
    """Validate the form's API body with the API's serializer; None on errors."""
    serializer = serializer_class(data=form.api_data())
    if serializer.is_valid():
        return serializer.validated_data
    serializer_errors_to_form(form, serializer.errors, FIELD_MAP)
    return None


@login_required
def team_list(request):
    teams = (
        Team.objects.visible()
        .for_user(request.user)
        .with_onboarding()
        .order_by("name", "id")
    )
    rows = [
        {
            "team": team,
            "progress": (
                100 * team.onboarding_done // team.onboarding_total
                if team.onboarding_total
                else 100
            ),
        }
        for team in teams
    ]
    return render(request, "teams/team_list.html", {"rows": rows})


@login_required
def team_create(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = validate_through(TeamWriteSerializer, form)
        if data is not None:
            team = services.team_create(
                actor=Actor(user=request.user, source="web"), data=data
            )
            messages.success(request, _("Team created. Next, complete its onboarding."))
            return redirect("onboarding-checklist", team.public_id)
    status = 400 if form.errors else 200
    return render(request, "teams/team_create.html", {"form": form}, status=status)


@login_required
def team_settings(request, team_id):
    access = team_page_access(request, team_id, "team.read")
    team = access.team
    form = TeamSettingsForm(
        request.POST or None, initial=TeamSettingsForm.initial_for(team)
    )
    preview_team = team
    if request.method == "POST":
        require_permission(access, "team.update")
        if form.is_valid():
            data = validate_through(TeamUpdateSerializer, form)
            if data is not None and "preview" in request.POST:
                preview_team = team_with_changes(team, data)
            elif data is not None:
                try:
                    services.team_update(
                        actor=Actor(user=request.user, source="web"),
                        team=team,
                        data=data,
                    )
                except errors.ValidationFailed as exc:
                    serializer_errors_to_form(form, exc.fields or {}, FIELD_MAP)
                else:
                    messages.success(request, _("Settings saved."))
                    return redirect("team-settings", team.public_id)

    context = {
        "form": form,
        "can_update": access.has("team.update"),
        "preview_team": preview_team,
        "email_preview": invitation_email_preview(preview_team, request.user),
        "team_nav": "settings",
    }
    return render_team_page(
        request,
        "teams/team_settings.html",
        context,
        team=preview_team,
        status=400 if form.errors else 200,
    )


def team_with_changes(team, data):
    """Return an unsaved copy of ``team`` with the submitted values, for the preview."""
    preview = copy.copy(team)
    preview.name = data.get("name") or team.name
    submitted_settings = data.get("settings", {})
    preview.language = submitted_settings.get("language", team.language)
    preview.timezone = submitted_settings.get("timezone", team.timezone)
    preview.branding = services.merge_nullable(team.branding, data.get("branding", {}))
    return preview


def invitation_email_preview(team, user):
    """Render the invitation email for ``team`` with sample values, as HTML.

    It uses the members app's own email templates and branding helper, so the
    preview shows what an invited person receives.
    """
    from members.emails import team_branding

    branding = team_branding(team)
    with translation.override(team.language):
        context = {
            "branding": branding,
            "team_name": branding["display_name"],
            "inviter_name": user.get_full_name() or user.email,
            "inviter_email": user.email,
            "role": Role.ADMIN.label,
            "invite_message": _("Welcome to our team!"),
            "accept_url": "#",
            "expires_at": timezone.now()
            + timedelta(days=settings.CONNECT_INVITATION_TTL_DAYS),
            "language": team.language,
        }
        subject = " ".join(
            render_to_string("members/email/invitation_subject.txt", context).split()
        )
        html = render_to_string("members/email/invitation.html", context)
    from_name = branding["email_from_name"] or branding["display_name"]
    return {
        "subject": subject,
        "html": html,
        "from_name": from_name,
        "reply_to": branding["reply_to_email"],
    }
