import django_filters

from connect_site.api.filters import StrictChoiceFilter
from members.models import Membership, MembershipStatus
from members.roles import Role


class MemberFilter(django_filters.FilterSet):
    role = StrictChoiceFilter(choices=Role.choices)
    # Removed members are not listed, so "removed" is not a choice here.
    status = StrictChoiceFilter(
        choices=[
            (MembershipStatus.INVITED.value, MembershipStatus.INVITED.label),
            (MembershipStatus.ACTIVE.value, MembershipStatus.ACTIVE.label),
        ]
    )
    email = django_filters.CharFilter(lookup_expr="iexact", max_length=254)

    class Meta:
        model = Membership
        fields = []
