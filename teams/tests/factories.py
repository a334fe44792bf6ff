import factory

from connect_site.actors import Actor
from teams.services import team_create


class TeamFactory(factory.Factory):
    """Build a team through the service, so that its owner and steps exist."""

    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Team {n}")
    industry = "Technology"
    country = "MX"

    @classmethod
    def _create(cls, model_class, owner=None, **data):
        return team_create(actor=Actor(user=owner), data=data)
