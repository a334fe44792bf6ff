"""Drop cached team counts when a team, its steps or a membership changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from members.models import Membership, MembershipStatus
from onboarding.models import TeamStep
from teams.list_cache import generations_drop
from teams.models import Team


def team_member_user_ids(team_id):
    return list(
        Membership.objects.filter(
            team_id=team_id, status=MembershipStatus.ACTIVE, user__isnull=False
        ).values_list("user_id", flat=True)
    )


@receiver([post_save, post_delete], sender=Team)
def team_changed(sender, instance, **kwargs):
    generations_drop(team_member_user_ids(instance.pk))


@receiver([post_save, post_delete], sender=TeamStep)
def team_step_changed(sender, instance, **kwargs):
    generations_drop(team_member_user_ids(instance.team_id))


@receiver([post_save, post_delete], sender=Membership)
def membership_changed(sender, instance, **kwargs):
    generations_drop([instance.user_id])
