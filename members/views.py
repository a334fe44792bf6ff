"""Pages: the invitation page and a team's members management pages.

They call the same services as the API, so the same rules hold; a service's
API error becomes a message on the page.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from connect_site.actors import Actor
from connect_site.api import errors
from connect_site.web.pages import render_team_page
from members import invitations, services
from members.access import team_access_for_page
from members.emails import team_branding
from members.errors import InvitationUnavailable
from members.forms import MemberInviteForm, MemberRoleForm, NewAccountForm
from members.models import MembershipStatus
from members.representations import member_data
from members.roles import Role, role_outranks_or_equals, roles_at_or_below
from members.selectors import team_member, team_members

# Status of the page for each reason an invitation cannot be accepted.
UNAVAILABLE_STATUS = {
    InvitationUnavailable.UNKNOWN: 404,
    InvitationUnavailable.EXPIRED: 410,
    InvitationUnavailable.ACCEPTED: 410,
    InvitationUnavailable.REVOKED: 410,
    InvitationUnavailable.EMAIL_MISMATCH: 403,
    InvitationUnavailable.ALREADY_MEMBER: 409,
    InvitationUnavailable.ACCOUNT_EXISTS: 409,
}


def url_or_none(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def login_url_with_next(request):
    return reverse("login") + "?" + urlencode({"next": request.get_full_path()})


def invitation_unavailable(request, exc):
    membership = exc.membership
    team = membership.team if membership is not None else None
    context = {
        "reason": exc.reason,
        "team": team,
        "branding": team_branding(team) if team is not None else None,
        "invited_email": membership.email if membership is not None else "",
        "login_url": login_url_with_next(request),
        "logout_url": url_or_none("logout"),
        "home_url": url_or_none("team-list"),
    }
    status = UNAVAILABLE_STATUS[exc.reason]
    template = "members/invitation_unavailable.html"
    if team is not None:
        return render_team_page(request, template, context, team=team, status=status)
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Show an invitation and accept it.

    A person without an account sets a name and password and is signed in;
    an existing account must sign in first, with the invited email. The page
    speaks the team's language.
    """
    try:
        membership = invitations.invitation_lookup(token=token)
    except InvitationUnavailable as exc:
        return invitation_unavailable(request, exc)

    # The form's messages are made while validating, so the whole page runs
    # in the team's language, not only its rendering.
    with translation.override(membership.team.language):
        return invitation_page(request, token, membership)


def invitation_page(request, token, membership):
    user = request.user
    has_account = (
        get_user_model().objects.filter(email__iexact=membership.email).exists()
    )
    form = None
    try:
        if user.is_authenticated:
            if user.email.casefold() != membership.email.casefold():
                raise InvitationUnavailable(
                    InvitationUnavailable.EMAIL_MISMATCH, membership
                )
            if request.method == "POST":
                invitations.invitation_accept(token=token, user=user)
                return invitation_accepted(request, membership)
        elif not has_account:
            form = NewAccountForm(request.POST or None, email=membership.email)
            if request.method == "POST" and form.is_valid():
                membership, new_user = invitations.invitation_accept_as_new_user(
                    token=token,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password1"],
                )
                login(
                    request,
                    new_user,
                    backend="django.contrib.auth.backends.ModelBackend",
                )
                return invitation_accepted(request, membership)
    except InvitationUnavailable as exc:
        return invitation_unavailable(request, exc)

    context = {
        "team": membership.team,
        "branding": team_branding(membership.team),
        "membership": membership,
        "role": Role(membership.role).label,
        "inviter": membership.invited_by,
        "has_account": has_account,
        "form": form,
        "login_url": login_url_with_next(request),
    }
    return render_team_page(
        request, "members/invitation.html", context, team=membership.team
    )


def invitation_accepted(request, membership):
    context = {
        "team": membership.team,
        "branding": team_branding(membership.team),
        "home_url": url_or_none("team-list"),
    }
    return render_team_page(
        request, "members/invitation_accepted.html", context, team=membership.team
    )


# --- a team's members pages --------------------------------------------------


def page_actor(request):
    return Actor(user=request.user, source="web")


def show_service_error(request, exc):
    messages.error(request, exc.message)


@login_required
def member_list(request, team_id):
    access = team_access_for_page(request, team_id, "members.read")
    members = [
        member_data(membership)
        | {
            "can_manage": can_manage(access, membership),
            "role_label": Role(membership.role).label,
        }
        for membership in team_members(team=access.team)
    ]
    context = {
        "team": access.team,
        "team_nav": "members",
        "members": members,
        "can_invite": access.has("members.invite"),
        "can_update": access.has("members.update"),
        "can_remove": access.has("members.remove"),
    }
    return render_team_page(
        request, "members/member_list.html", context, team=access.team
    )


def can_manage(access, membership):
    return role_outranks_or_equals(access.membership.role, membership.role)


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request, team_id):
    access = team_access_for_page(request, team_id, "members.invite")
    roles = roles_at_or_below(access.membership.role)
    form = MemberInviteForm(request.POST or None, assignable_roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_invite(
                actor=page_actor(request),
                team=access.team,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                permissions=form.cleaned_data["permissions"],
                invite_message=form.cleaned_data["invite_message"],
            )
        except errors.ApiError as exc:
            show_service_error(request, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": membership.email},
            )
            return redirect("member-list", team_id=team_id)
    context = {
        "team": access.team,
        "team_nav": "members",
        "form": form,
    }
    return render_team_page(
        request, "members/member_invite.html", context, team=access.team
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_update(request, team_id, member_id):
    access = team_access_for_page(request, team_id, "members.update")
    membership = page_member(access, member_id)
    roles = roles_at_or_below(access.membership.role)
    initial = {"role": membership.role, "permissions": membership.permissions or []}
    form = MemberRoleForm(request.POST or None, initial=initial, assignable_roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                actor=page_actor(request),
                team=access.team,
                membership=membership,
                role=form.cleaned_data["role"],
                permissions=form.cleaned_data["permissions"],
            )
        except errors.ApiError as exc:
            show_service_error(request, exc)
        else:
            messages.success(
                request, _("%(email)s was updated.") % {"email": membership.email}
            )
            return redirect("member-list", team_id=team_id)
    context = {
        "team": access.team,
        "team_nav": "members",
        "member": membership,
        "form": form,
    }
    return render_team_page(
        request, "members/member_update.html", context, team=access.team
    )


@login_required
@require_POST
def member_resend(request, team_id, member_id):
    access = team_access_for_page(request, team_id, "members.invite")
    membership = page_member(access, member_id)
    try:
        services.invitation_resend(
            actor=page_actor(request), team=access.team, membership=membership
        )
    except errors.ApiError as exc:
        show_service_error(request, exc)
    else:
        messages.success(
            request,
            _(
                "A new invitation was sent to %(email)s; the previous link no longer works."
            )
            % {"email": membership.email},
        )
    return redirect("member-list", team_id=team_id)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, team_id, member_id):
    access = team_access_for_page(request, team_id, "members.remove")
    membership = page_member(access, member_id)
    if request.method == "POST":
        try:
            services.member_remove(
                actor=page_actor(request), team=access.team, membership=membership
            )
        except errors.ApiError as exc:
            show_service_error(request, exc)
        else:
            if membership.status == MembershipStatus.INVITED:
                text = _("The invitation to %(email)s was revoked.")
            else:
                text = _("%(email)s was removed from the team.")
            messages.success(request, text % {"email": membership.email})
        return redirect("member-list", team_id=team_id)
    context = {
        "team": access.team,
        "team_nav": "members",
        "member": membership,
    }
    return render_team_page(
        request, "members/member_remove.html", context, team=access.team
    )


def page_member(access, member_id):
    try:
        return team_member(team=access.team, member_id=member_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
