"""Forms of the onboarding pages, built from each step's data serializer.

A form only turns HTML strings into the JSON types the step's serializer
expects (a checkbox into a boolean, digits into an integer). The rules stay
in the serializer named by onboarding.catalog, the same one the API uses,
and its errors are copied back onto the form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from connect_site.web.pages import serializer_errors_to_form
from onboarding.sat import CFDI_USES, PAYMENT_FORMS, TAX_REGIMES

# Step names and descriptions as the pages show them. The catalog's own
# strings stay in English in the API's responses, so the pages translate them
# under a context of their own.
STEP_TEXTS = {
    "team_setup": (
        pgettext_lazy("onboarding page", "Team Setup"),
        pgettext_lazy(
            "onboarding page", "Enter your legal name, tax id and fiscal details"
        ),
    ),
    "payment_integration": (
        pgettext_lazy("onboarding page", "Payment Integration"),
        pgettext_lazy("onboarding page", "Set up payment processing for your team"),
    ),
    "client_setup": (
        pgettext_lazy("onboarding page", "Client Setup"),
        pgettext_lazy("onboarding page", "Add your first clients"),
    ),
    "invoice_configuration": (
        pgettext_lazy("onboarding page", "Invoice Configuration"),
        pgettext_lazy("onboarding page", "Configure invoice templates and settings"),
    ),
}
LABELS = {
    "legalName": _("Legal name"),
    "taxId": _("Tax id (RFC in Mexico)"),
    "taxRegime": _("Tax regime"),
    "postalCode": _("Postal code"),
    "paymentProvider": _("Payment provider"),
    "webhookUrl": _("Webhook URL"),
    "testMode": _("Test mode"),
    "clientsImported": _("Clients imported"),
    "series": _("Invoice series"),
    "folioStart": _("First folio number"),
    "defaultPaymentForm": _("Default payment form"),
    "defaultCfdiUse": _("Default CFDI use"),
}
HELP_TEXTS = {
    "taxId": _("12 or 13 characters, such as EKU9003173C9."),
    "postalCode": _("Five digits in Mexico, such as 06600."),
    "webhookUrl": _("An https address where your payment provider sends events."),
    "series": _("1 to 10 letters, such as FAC."),
}
# SAT catalogs offered as lists to a team in Mexico.
MEXICAN_CHOICES = {
    "taxRegime": TAX_REGIMES,
    "defaultPaymentForm": PAYMENT_FORMS,
    "defaultCfdiUse": CFDI_USES,
}


def form_field_for(name, serializer_field, team):
    """Return the form field that collects one serializer field."""
    label = LABELS.get(name, name)
    help_text = HELP_TEXTS.get(name, "")
    required = serializer_field.required
    if isinstance(serializer_field, serializers.BooleanField):
        return forms.BooleanField(label=label, required=False, help_text=help_text)
    if isinstance(serializer_field, serializers.IntegerField):
        return forms.IntegerField(label=label, required=required, help_text=help_text)
    if isinstance(serializer_field, serializers.ChoiceField):
        choices = [("", "—")] + [(key, key) for key in serializer_field.choices]
        return forms.ChoiceField(
            label=label, required=required, choices=choices, help_text=help_text
        )
    catalog = MEXICAN_CHOICES.get(name)
    if catalog is not None and (team is None or team.country == "MX"):
        choices = [("", "—")] + [
            (code, f"{code} · {description}") for code, description in catalog.items()
        ]
        return forms.ChoiceField(
            label=label, required=required, choices=choices, help_text=help_text
        )
    widget = (
        forms.URLInput if isinstance(serializer_field, serializers.URLField) else None
    )
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=widget
    )


class StepForm(forms.Form):
    """The form of one onboarding step, for one team."""

    def __init__(self, *args, step, team, **kwargs):
        self.step = step
        self.team = team
        kwargs.setdefault("prefix", step.id)
        super().__init__(*args, **kwargs)
        serializer = step.serializer_class()(context={"team": team})
        for name, serializer_field in serializer.fields.items():
            self.fields[name] = form_field_for(name, serializer_field, team)

    def api_data(self):
        """Return the cleaned values as the step's ``data``; empty text is left out."""
        data = {}
        for name, value in self.cleaned_data.items():
            if value is None or value == "":
                continue
            data[name] = value
        return data

    def validate_through_serializer(self):
        """Validate with the step's serializer; return its data or None on errors."""
        serializer = self.step.serializer_class()(
            data=self.api_data(), context={"team": self.team}
        )
        if serializer.is_valid():
            return dict(serializer.validated_data)
        serializer_errors_to_form(self, serializer.errors)
        return None
