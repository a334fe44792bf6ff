"""Forms of the team pages.

The forms only turn HTML strings into the API's request shape; every rule is
checked by the API's own serializers (TeamWriteSerializer and
TeamUpdateSerializer), whose errors are copied back onto the form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from teams import validators
from teams.models import FISCAL_YEAR_CHOICES, Language, TeamSize

# Serializer error path -> form field name.
FIELD_MAP = {
    "teamSize": "team_size",
    "settings.currency": "currency",
    "settings.timezone": "timezone",
    "settings.language": "language",
    "settings.fiscalYear": "fiscal_year",
    "branding.displayName": "display_name",
    "branding.logoUrl": "logo_url",
    "branding.primaryColor": "primary_color",
    "branding.accentColor": "accent_color",
    "branding.emailFromName": "email_from_name",
    "branding.replyToEmail": "reply_to_email",
    "branding.supportEmail": "support_email",
    "branding.footerText": "footer_text",
}
BRANDING_FIELDS = {
    "display_name": "displayName",
    "logo_url": "logoUrl",
    "primary_color": "primaryColor",
    "accent_color": "accentColor",
    "email_from_name": "emailFromName",
    "reply_to_email": "replyToEmail",
    "support_email": "supportEmail",
    "footer_text": "footerText",
}
TEAM_FIELD_NAMES = ["name", "description", "industry", "team_size", "country"]
REGIONAL_FIELD_NAMES = ["currency", "timezone", "language", "fiscal_year"]
FISCAL_YEAR_LABELS = {
    "calendar": _("Calendar year (January to December)"),
    "january": _("Starts in January"),
    "february": _("Starts in February"),
    "march": _("Starts in March"),
    "april": _("Starts in April"),
    "may": _("Starts in May"),
    "june": _("Starts in June"),
    "july": _("Starts in July"),
    "august": _("Starts in August"),
    "september": _("Starts in September"),
    "october": _("Starts in October"),
    "november": _("Starts in November"),
    "december": _("Starts in December"),
}


def timezone_choices():
    return [(name, name) for name in sorted(validators.timezone_names())]


class TeamForm(forms.Form):
    """The team's own fields and settings, as on POST /v2/connect/teams."""

    name = forms.CharField(label=_("Team name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    industry = forms.CharField(label=_("Industry"), required=False)
    team_size = forms.ChoiceField(
        label=_("Team size"),
        required=False,
        choices=[("", "—")] + list(TeamSize.choices),
    )
    country = forms.CharField(
        label=_("Country"),
        initial="MX",
        help_text=_("Two-letter ISO code, such as MX, CO or US."),
    )
    currency = forms.CharField(
        label=_("Currency"),
        required=False,
        help_text=_("Three-letter ISO code; left empty, the country's currency."),
    )
    timezone = forms.ChoiceField(label=_("Timezone"), initial="America/Mexico_City")
    language = forms.ChoiceField(
        label=_("Language"), choices=Language.choices, initial="es"
    )
    fiscal_year = forms.ChoiceField(
        label=_("Fiscal year"),
        initial="calendar",
        choices=[(value, FISCAL_YEAR_LABELS[value]) for value in FISCAL_YEAR_CHOICES],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()

    def api_data(self):
        """Return the cleaned values in the API's request shape."""
        data = self.cleaned_data
        body = {"name": data["name"], "country": data["country"]}
        for form_name, api_name in (
            ("description", "description"),
            ("industry", "industry"),
            ("team_size", "teamSize"),
        ):
            body[api_name] = data[form_name] or None
        settings = {
            "timezone": data["timezone"],
            "language": data["language"],
            "fiscalYear": data["fiscal_year"],
        }
        if data["currency"]:
            settings["currency"] = data["currency"]
        body["settings"] = settings
        return body


class TeamSettingsForm(TeamForm):
    """The team's fields, settings and white-label branding."""

    display_name = forms.CharField(label=_("Display name"), required=False)
    logo_url = forms.CharField(
        label=_("Logo URL"),
        required=False,
        help_text=_("An https address of a square image, such as a PNG or SVG."),
        widget=forms.URLInput,
    )
    primary_color = forms.CharField(
        label=_("Primary colour"),
        required=False,
        help_text=_("#RRGGBB, such as #1F4FD1; used for the header and buttons."),
    )
    accent_color = forms.CharField(
        label=_("Accent colour"),
        required=False,
        help_text=_("#RRGGBB, such as #0F9D74; used for progress and highlights."),
    )
    email_from_name = forms.CharField(label=_("Email sender name"), required=False)
    reply_to_email = forms.CharField(
        label=_("Reply-to email"), required=False, widget=forms.EmailInput
    )
    support_email = forms.CharField(
        label=_("Support email"), required=False, widget=forms.EmailInput
    )
    footer_text = forms.CharField(
        label=_("Footer text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def team_fields(self):
        return [self[name] for name in TEAM_FIELD_NAMES]

    def regional_fields(self):
        return [self[name] for name in REGIONAL_FIELD_NAMES]

    def branding_fields(self):
        return [self[name] for name in BRANDING_FIELDS]

    @classmethod
    def initial_for(cls, team):
        initial = {
            "name": team.name,
            "description": team.description,
            "industry": team.industry,
            "team_size": team.team_size,
            "country": team.country,
            "currency": team.currency,
            "timezone": team.timezone,
            "language": team.language,
            "fiscal_year": team.fiscal_year,
        }
        branding = team.branding or {}
        for form_name, api_name in BRANDING_FIELDS.items():
            initial[form_name] = branding.get(api_name) or ""
        return initial

    def api_data(self):
        """Return the cleaned values as a PUT body; an empty branding field is null."""
        body = super().api_data()
        body["branding"] = {
            api_name: self.cleaned_data[form_name].strip() or None
            for form_name, api_name in BRANDING_FIELDS.items()
        }
        return body
