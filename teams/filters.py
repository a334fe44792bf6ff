import django_filters
from rest_framework import serializers

from connect_site.api import errors
from connect_site.api.filters import StrictBooleanFilter, StrictChoiceFilter
from teams.models import Team, TeamStatus
from teams.validators import validate_country


class OnboardedFilter(StrictBooleanFilter):
    def apply(self, qs, value):
        return qs.onboarded(value)


class TeamFilter(django_filters.FilterSet):
    status = StrictChoiceFilter(choices=TeamStatus.choices)
    industry = django_filters.CharFilter(lookup_expr="iexact", max_length=100)
    country = django_filters.CharFilter(
        method="filter_country", max_length=2, min_length=2
    )
    onboarded = OnboardedFilter()
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=120
    )

    class Meta:
        model = Team
        fields = []

    def filter_country(self, queryset, name, value):
        try:
            code = validate_country(value)
        except serializers.ValidationError as exc:
            message = str(exc.detail[0])
            raise errors.ValidationFailed(
                f"Invalid country: {message}", fields={"country": [message]}
            ) from None
        return queryset.filter(country=code)
