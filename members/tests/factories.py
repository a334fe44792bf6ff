"""Factories for members; rows are written directly, without an inviter.

A test can so put any role in place; the services' own rules are tested
through the services and the API.
"""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from members.models import Membership, MembershipStatus
from members.roles import Role


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    username = factory.LazyAttribute(lambda user: user.email.lower())


class MembershipFactory(DjangoModelFactory):
    """An active member with its user account; pass ``team``."""

    class Meta:
        model = Membership

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    role = Role.USER
    status = MembershipStatus.ACTIVE
    user = factory.Maybe(
        factory.LazyAttribute(lambda member: member.status == MembershipStatus.ACTIVE),
        yes_declaration=factory.SubFactory(
            UserFactory, email=factory.SelfAttribute("..email")
        ),
        no_declaration=None,
    )
    invited_at = factory.LazyFunction(timezone.now)
    joined_at = factory.Maybe(
        factory.LazyAttribute(lambda member: member.status == MembershipStatus.ACTIVE),
        yes_declaration=factory.LazyFunction(timezone.now),
        no_declaration=None,
    )
