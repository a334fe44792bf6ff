"""The onboarding step catalog: one definition per step.

Each step names the serializer that validates its ``data``; the API, the
hosted pages and the admin all validate through it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class StepDefinition:
    id: str
    name: str
    description: str
    required: bool
    data_serializer: str  # dotted path, imported lazily to keep this module light

    def serializer_class(self):
        from django.utils.module_loading import import_string

        return import_string(self.data_serializer)


CATALOG = (
    StepDefinition(
        id="team_setup",
        name=_("Team Setup"),
        description=_("Enter your legal name, tax id and fiscal details"),
        required=True,
        data_serializer="onboarding.api.serializers.TeamSetupDataSerializer",
    ),
    StepDefinition(
        id="payment_integration",
        name=_("Payment Integration"),
        description=_("Set up payment processing for your team"),
        required=True,
        data_serializer="onboarding.api.serializers.PaymentIntegrationDataSerializer",
    ),
    StepDefinition(
        id="client_setup",
        name=_("Client Setup"),
        description=_("Add your first clients"),
        required=False,
        data_serializer="onboarding.api.serializers.ClientSetupDataSerializer",
    ),
    StepDefinition(
        id="invoice_configuration",
        name=_("Invoice Configuration"),
        description=_("Configure invoice templates and settings"),
        required=True,
        data_serializer="onboarding.api.serializers.InvoiceConfigurationDataSerializer",
    ),
)
STEPS = {step.id: step for step in CATALOG}
DEFAULT_STEP_IDS = [step.id for step in CATALOG]
REQUIRED_STEP_IDS = [step.id for step in CATALOG if step.required]
