import factory

from connect_site.actors import Actor
from integrations.services import integration_create
from members.models import Membership, MembershipStatus


class IntegrationFactory(factory.Factory):
    """Create an integration through the service; returns the Integration.

    The plain secret is kept on the instance as ``plain_secret``.
    """

    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Webhook {n}")
    url = "https://team.example.com/webhooks/payments"
    events = factory.LazyFunction(lambda: ["payment.completed", "invoice.paid"])
    secret = None
    is_active = True

    @classmethod
    def _create(cls, model_class, team=None, actor_user=None, **fields):
        configuration = {"url": fields["url"], "events": fields["events"]}
        if fields["secret"] is not None:
            configuration["secret"] = fields["secret"]
        integration, plain_secret = integration_create(
            actor=Actor(user=actor_user, source="system"),
            team=team,
            data={
                "type": "webhook",
                "name": fields["name"],
                "configuration": configuration,
                "isActive": fields["is_active"],
            },
        )
        integration.plain_secret = plain_secret
        return integration


def member_add(*, team, user, role, permissions=None):
    """Make ``user`` an active member of ``team`` with ``role``."""
    return Membership.objects.create(
        team=team,
        user=user,
        email=user.email,
        role=role,
        permissions=permissions,
        status=MembershipStatus.ACTIVE,
    )
