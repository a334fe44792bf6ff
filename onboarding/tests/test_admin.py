"""Staff pages of onboarding: read-only history and links without digests."""

import pytest
from django.contrib.auth.models import AnonymousUser

from connect_site.actors import Actor
from onboarding.admin import TeamStepInline
from onboarding.models import OnboardingLink, StepCompletion, TeamStep
from onboarding.selectors import onboarding_status
from onboarding.services import (
    onboarding_link_create,
    onboarding_link_resolve,
    onboarding_step_complete,
)
from onboarding.tests.data import VALID_STEP_DATA
from onboarding.tests.factories import complete_steps

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser(
        username="staff", email="staff@example.com", password="x-unused-password"
    )
    client.force_login(staff)
    return client


def test_step_list_and_page_show_data(team, owner, staff_client):
    complete_steps(team, owner, "team_setup")
    step = TeamStep.objects.get(team=team, step_id="team_setup")

    listing = staff_client.get("/admin/onboarding/teamstep/")
    page = staff_client.get(f"/admin/onboarding/teamstep/{step.pk}/change/")

    assert listing.status_code == 200
    assert page.status_code == 200
    assert "ABC680524P73" in page.content.decode()


def test_completion_history_is_read_only(team, owner, staff_client):
    complete_steps(team, owner, "client_setup")
    completion = StepCompletion.objects.get()

    add = staff_client.get("/admin/onboarding/stepcompletion/add/")
    delete = staff_client.post(
        f"/admin/onboarding/stepcompletion/{completion.pk}/delete/", {"post": "yes"}
    )
    change = staff_client.post(
        f"/admin/onboarding/stepcompletion/{completion.pk}/change/",
        {"source": "admin"},
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert change.status_code == 403
    assert StepCompletion.objects.get().source == "api"


def test_link_page_hides_token_digest(team, owner, staff_client):
    link, _url = onboarding_link_create(
        actor=Actor(user=owner), team=team, return_url="https://app.example.com/x"
    )

    listing = staff_client.get("/admin/onboarding/onboardinglink/")
    page = staff_client.get(f"/admin/onboarding/onboardinglink/{link.pk}/change/")

    assert listing.status_code == 200
    assert page.status_code == 200
    assert link.public_id in page.content.decode()
    assert link.token_digest not in page.content.decode()
    assert link.token_digest not in listing.content.decode()


def test_team_step_inline_is_exported():
    assert TeamStepInline.model is TeamStep


def test_completion_through_link_records_no_member(team, owner):
    _link, url = onboarding_link_create(
        actor=Actor(user=owner), team=team, return_url="https://app.example.com/x"
    )
    link = onboarding_link_resolve(token=url.rsplit("/", 1)[1])

    onboarding_step_complete(
        actor=Actor(user=AnonymousUser(), source="web"),
        team=team,
        step_id="client_setup",
        data=VALID_STEP_DATA["client_setup"],
        link=link,
    )

    step = TeamStep.objects.get(team=team, step_id="client_setup")
    completion = StepCompletion.objects.get()
    assert step.completed_at is not None
    assert step.completed_by is None
    assert step.completed_by_member is None
    assert completion.link == OnboardingLink.objects.get(pk=link.pk)
    assert completion.source == "web"
    assert onboarding_status(team)["steps"][2]["completedBy"] is None
