"""Onboarding pages: a team's checklist and the hosted, token-linked pages."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect_site.actors import Actor
from connect_site.api import errors
from connect_site.web.pages import (
    render_team_page,
    require_permission,
    serializer_errors_to_form,
    team_page_access,
)
from onboarding.catalog import STEPS
from onboarding.forms import STEP_TEXTS, StepForm
from onboarding.models import TeamStep
from onboarding.selectors import onboarding_summary
from onboarding.services import (
    onboarding_link_finish,
    onboarding_link_for_session,
    onboarding_link_peek,
    onboarding_link_resolve,
    onboarding_step_complete,
)

logger = logging.getLogger(__name__)

# Session key of the hosted onboarding link opened in this browser.
HOSTED_SESSION_KEY = "onboarding_link_id"


def step_rows(team, bound_form=None):
    """Return the team's ordered steps, each with its definition and form."""
    steps = list(TeamStep.objects.filter(team=team).order_by("position"))
    rows = []
    for step in steps:
        definition = STEPS[step.step_id]
        if bound_form is not None and bound_form.step.id == step.step_id:
            form = bound_form
        else:
            form = StepForm(step=definition, team=team, initial=step.data or None)
        name, description = STEP_TEXTS.get(
            step.step_id, (definition.name, definition.description)
        )
        rows.append(
            {
                "step": step,
                "name": name,
                "description": description,
                "form": form,
            }
        )
    return steps, rows


def complete_step(*, actor, team, form, link=None):
    """Validate ``form`` and complete its step; return True when it is done."""
    if not form.is_valid():
        return False
    data = form.validate_through_serializer()
    if data is None:
        return False
    try:
        onboarding_step_complete(
            actor=actor, team=team, step_id=form.step.id, data=data, link=link
        )
    except errors.ValidationFailed as exc:
        # The service reports step data errors as "data.<field>".
        fields = {
            key.removeprefix("data."): value
            for key, value in (exc.fields or {}).items()
        }
        serializer_errors_to_form(form, fields)
        return False
    return True


def step_form_from_post(request, team):
    step_id = request.POST.get("step", "")
    if step_id not in STEPS:
        return None
    return StepForm(request.POST, step=STEPS[step_id], team=team)


@login_required
def onboarding_checklist(request, team_id):
    access = team_page_access(request, team_id, "team.read")
    team = access.team
    bound_form = None
    if request.method == "POST":
        require_permission(access, "team.update")
        bound_form = step_form_from_post(request, team)
        if bound_form is None:
            messages.error(request, _("Choose one of the team's steps."))
            return redirect("onboarding-checklist", team.public_id)
        actor = Actor(user=request.user, source="web")
        if complete_step(actor=actor, team=team, form=bound_form):
            messages.success(
                request,
                _("“%(step)s” is complete.")
                % {
                    "step": STEP_TEXTS.get(bound_form.step.id, (bound_form.step.name,))[
                        0
                    ]
                },
            )
            return redirect("onboarding-checklist", team.public_id)

    steps, rows = step_rows(team, bound_form)
    context = {
        "rows": rows,
        "summary": onboarding_summary(steps),
        "can_update": access.has("team.update"),
        "team_nav": "onboarding",
        "form_action": "",
    }
    return render_team_page(
        request,
        "onboarding/checklist.html",
        context,
        team=team,
        status=400 if bound_form is not None else 200,
    )


def hosted_start(request, token):
    """Show the link's start page on GET; exchange the token for a session on POST.

    Only the POST uses up the single-use link, so a link-preview bot that
    fetches the URL from an email or a chat leaves it working. After the
    exchange the browser moves to a URL without the token.
    """
    try:
        if request.method != "POST":
            link = onboarding_link_peek(token=token)
            return render_team_page(
                request, "onboarding/hosted_start.html", {}, team=link.team
            )
        link = onboarding_link_resolve(token=token)
    except errors.NotFound as exc:
        return render(
            request,
            "onboarding/hosted_invalid.html",
            {"reason": exc.message},
            status=404,
        )
    request.session.cycle_key()
    request.session[HOSTED_SESSION_KEY] = link.pk
    logger.info(
        "Hosted onboarding link opened", extra={"onboarding_link": link.public_id}
    )
    return redirect("onboarding-hosted")


def hosted_link(request):
    link_id = request.session.get(HOSTED_SESSION_KEY)
    if link_id is None:
        return None
    try:
        return onboarding_link_for_session(link_id=link_id)
    except errors.NotFound:
        request.session.pop(HOSTED_SESSION_KEY, None)
        return None


def hosted(request):
    """Show the hosted checklist; the link's session, not a sign-in, picks the team."""
    link = hosted_link(request)
    if link is None:
        return render(request, "onboarding/hosted_invalid.html", status=404)
    team = link.team

    bound_form = None
    if request.method == "POST":
        bound_form = step_form_from_post(request, team)
        if bound_form is None:
            return redirect("onboarding-hosted")
        actor = Actor(user=request.user, source="web")
        if complete_step(actor=actor, team=team, form=bound_form, link=link):
            steps = list(TeamStep.objects.filter(team=team))
            if onboarding_summary(steps)["completed"]:
                return finish(request, link)
            return redirect("onboarding-hosted")

    steps, rows = step_rows(team, bound_form)
    context = {
        "rows": rows,
        "summary": onboarding_summary(steps),
        "can_update": True,
        "hosted": True,
    }
    response = render_team_page(
        request,
        "onboarding/hosted.html",
        context,
        team=team,
        status=400 if bound_form is not None else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
def hosted_finish(request):
    link = hosted_link(request)
    if link is None:
        return render(request, "onboarding/hosted_invalid.html", status=404)
    steps = list(TeamStep.objects.filter(team=link.team))
    if not onboarding_summary(steps)["completed"]:
        return redirect("onboarding-hosted")
    return finish(request, link)


def finish(request, link):
    return_url = onboarding_link_finish(link=link)
    request.session.pop(HOSTED_SESSION_KEY, None)
    # The return URL was checked (https, or loopback http in development)
    # when the link was created, so it may point to another host.
    return HttpResponseRedirect(return_url)
