"""Forms of the integration pages.

They turn HTML values into the API's request body; the API's serializers
(IntegrationCreateSerializer, IntegrationUpdateSerializer) and the services
check every rule, and their errors are copied back onto the form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations import catalog

# Serializer or service error path -> form field name.
FIELD_MAP = {
    "configuration.url": "url",
    "configuration.events": "events",
    "configuration.secret": "secret",
    "isActive": "is_active",
}


def event_choices():
    return [(catalog.ALL_EVENTS, _("Every event type"))] + [
        (name, name) for name in catalog.EVENT_TYPES
    ]


class IntegrationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=2000,
        widget=forms.URLInput,
        help_text=_("The https address that receives the signed events."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Choose the event types to send, or every event type."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()

    @classmethod
    def initial_for(cls, integration):
        return {
            "name": integration.name,
            "url": integration.url,
            "events": list(integration.events),
            "is_active": integration.is_active,
        }

    def api_data(self):
        data = self.cleaned_data
        return {
            "type": "webhook",
            "name": data["name"],
            "configuration": {"url": data["url"], "events": data["events"]},
            "isActive": data["is_active"],
        }


class IntegrationCreateForm(IntegrationForm):
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Leave empty to generate a whsec_ secret. Your own needs at least "
            "16 characters."
        ),
    )

    def api_data(self):
        body = super().api_data()
        if self.cleaned_data["secret"]:
            body["configuration"]["secret"] = self.cleaned_data["secret"]
        return body
