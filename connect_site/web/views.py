"""Account pages: sign-in and the person's API keys."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect_site.web.forms import ApiKeyCreateForm, ThrottledAuthenticationForm
from members.models import ApiKey
from members.services import api_key_create, api_key_revoke
from teams.models import Team


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True


def user_teams(user):
    return list(Team.objects.visible().for_user(user).order_by("name"))


@login_required
def api_key_list(request):
    teams = user_teams(request.user)
    form = ApiKeyCreateForm(request.POST or None, teams=teams)
    created_key = created_secret = None
    if request.method == "POST" and form.is_valid():
        created_key, created_secret = api_key_create(
            user=request.user,
            name=form.cleaned_data["name"],
            team=form.cleaned_data["team"],
            permissions=form.cleaned_data["permissions"],
        )
        form = ApiKeyCreateForm(teams=teams)

    keys = ApiKey.objects.filter(user=request.user).select_related("team")
    response = render(
        request,
        "connect/api_keys.html",
        {
            "form": form,
            "keys": keys,
            "created_key": created_key,
            "created_secret": created_secret,
        },
        status=400 if form.errors else 200,
    )
    # The page that shows a new key must not be kept in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_key_revoke_view(request, key_id):
    api_key = get_object_or_404(ApiKey, public_id=key_id, user=request.user)
    api_key_revoke(api_key=api_key)
    messages.success(
        request, _("The key “%(name)s” is revoked.") % {"name": api_key.name}
    )
    return redirect("api-key-list")
