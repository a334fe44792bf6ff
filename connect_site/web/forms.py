"""Forms of the account pages: throttled sign-in and API keys."""

import hashlib
import logging

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from members.forms import permission_choices

logger = logging.getLogger(__name__)

# Sign-in throttle: this many failures per username and IP address within the
# window block further attempts until the window ends.
LOGIN_FAILURE_LIMIT = getattr(settings, "CONNECT_LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = getattr(settings, "CONNECT_LOGIN_FAILURE_WINDOW", 900)


def login_failure_cache_key(username, ip_address):
    # The username is hashed so that the cache never contains passwords
    # that a person entered in the username field by mistake.
    digest = hashlib.sha256(
        f"{username.strip().lower()}|{ip_address}".encode()
    ).hexdigest()
    return f"web:login-failures:{digest}"


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing a username+IP pair after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed sign-in attempts. Wait 15 minutes and try again, "
            "or reset your password."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email")
        self.fields["username"].widget.input_type = "email"
        self.fields["username"].widget.attrs["autocomplete"] = "email"

    def clean(self):
        # Accounts use the lower-cased email as their username.
        username = (self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = username
        key = login_failure_cache_key(username, self.client_ip())
        if (cache.get(key) or 0) >= LOGIN_FAILURE_LIMIT:
            logger.warning("Sign-in throttled for a username after repeated failures")
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled"
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if cache.add(key, 1, LOGIN_FAILURE_WINDOW_SECONDS) is False:
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, LOGIN_FAILURE_WINDOW_SECONDS)
            raise

    def client_ip(self):
        if self.request is None:
            return ""
        return self.request.META.get("REMOTE_ADDR", "")


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_(
            "A name that tells you where the key is used, such as “Billing server”."
        ),
    )
    team = forms.ChoiceField(
        label=_("Limit to one team"),
        required=False,
        help_text=_("A limited key can only reach this team and cannot create teams."),
    )
    permissions = forms.MultipleChoiceField(
        label=_("Limit to these permissions"),
        choices=permission_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Leave every box empty for a key that can do all you can do. "
            "A key never gets more than your role in each team allows."
        ),
    )

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {team.public_id: team for team in teams}
        self.fields["team"].choices = [("", _("Every team I belong to"))] + [
            (team.public_id, team.name) for team in teams
        ]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name for the key."))
        return name

    def clean_team(self):
        team_id = self.cleaned_data["team"]
        return self.teams.get(team_id) if team_id else None

    def clean_permissions(self):
        return self.cleaned_data["permissions"] or None
