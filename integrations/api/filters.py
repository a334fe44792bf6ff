import django_filters

from connect_site.api.filters import StrictBooleanFilter, StrictChoiceFilter
from integrations import catalog
from integrations.models import (
    Delivery,
    DeliveryStatus,
    Event,
    Integration,
    IntegrationStatus,
)

EVENT_TYPE_CHOICES = [(name, name) for name in catalog.EVENT_TYPES]


class IntegrationFilter(django_filters.FilterSet):
    status = StrictChoiceFilter(choices=IntegrationStatus.choices)
    isActive = StrictBooleanFilter(field_name="is_active")

    class Meta:
        model = Integration
        fields = []


class DeliveryFilter(django_filters.FilterSet):
    status = StrictChoiceFilter(choices=DeliveryStatus.choices)
    eventType = StrictChoiceFilter(field_name="event__type", choices=EVENT_TYPE_CHOICES)

    class Meta:
        model = Delivery
        fields = []


class EventFilter(django_filters.FilterSet):
    type = StrictChoiceFilter(choices=EVENT_TYPE_CHOICES)

    class Meta:
        model = Event
        fields = []
