import django_filters

from connect_site.api.filters import StrictBooleanFilter, StrictChoiceFilter
from teams.models import Team, TeamStatus


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
        return queryset.filter(country=value.upper())
