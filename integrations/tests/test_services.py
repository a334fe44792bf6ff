import pytest

from connect_site.actors import Actor
from integrations.emails import integration_disabled_email_send
from integrations.events import event_publish
from integrations.models import Delivery, DeliveryStatus, IntegrationStatus
from integrations.services import (
    integration_delete,
    integration_disable,
    integration_reenable,
    integrations_stop_for_team,
)
from integrations.tests.factories import IntegrationFactory, member_add
from teams.models import AuditEntry
from teams.services import team_delete
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dns")]


@pytest.fixture
def team(owner):
    return TeamFactory(owner=owner, name="Development Team Alpha")


@pytest.fixture
def integration(team):
    return IntegrationFactory(team=team, name="Team Payment Notifications")


def make_delivery(integration, **fields):
    event = event_publish(
        team=integration.team, event_type="payment.completed", data={}
    )
    return Delivery.objects.create(event=event, integration=integration, **fields)


def test_disable_emails_active_owners_once(
    integration, team, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    second_owner = make_user("second@example.com")
    member_add(team=team, user=second_owner, role="owner")
    member_add(team=team, user=make_user("dev@example.com"), role="developer")

    with django_capture_on_commit_callbacks(execute=True):
        integration_disable(integration=integration, reason="The endpoint sent 410.")
    with django_capture_on_commit_callbacks(execute=True):
        integration_disable(integration=integration, reason="Again.")

    integration.refresh_from_db()
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["owner@example.com", "second@example.com"]
    assert mailoutbox[0].subject == (
        "Desactivamos la integración Team Payment Notifications de "
        "Development Team Alpha"
    )
    assert "Motivo: The endpoint sent 410." in mailoutbox[0].body
    assert integration.status == IntegrationStatus.DISABLED
    assert integration.disabled_reason == "The endpoint sent 410."
    assert integration.disabled_notice_sent_at is not None


def test_disabled_email_task_sends_once(integration, mailoutbox):
    integration_disable(integration=integration, reason="Failing for 5 days.")

    first = integration_disabled_email_send(integration.pk)
    second = integration_disabled_email_send(integration.pk)

    assert first == 1
    assert second == 0
    assert len(mailoutbox) == 1


def test_disabled_email_uses_branding(team, integration, mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Connect <no-reply@connect.localhost>"
    team.branding = {"displayName": "Alpha", "emailFromName": "Alpha Billing"}
    team.save()
    integration_disable(integration=integration, reason="Failing for 5 days.")

    integration_disabled_email_send(integration.pk)

    assert mailoutbox[0].subject == (
        "Desactivamos la integración Team Payment Notifications de Alpha"
    )
    assert mailoutbox[0].from_email == ("Alpha Billing <no-reply@connect.localhost>")


def test_disabled_email_in_english(team, integration, mailoutbox):
    team.language = "en"
    team.save()
    integration_disable(integration=integration, reason="Failing for 5 days.")

    integration_disabled_email_send(integration.pk)

    assert mailoutbox[0].subject == (
        "The integration Team Payment Notifications of Development Team Alpha "
        "was disabled"
    )


def test_disable_fails_pending_deliveries(integration):
    pending = make_delivery(integration)
    succeeded = make_delivery(integration, status=DeliveryStatus.SUCCEEDED)

    integration_disable(integration=integration, reason="410 Gone")

    pending.refresh_from_db()
    succeeded.refresh_from_db()
    assert pending.status == DeliveryStatus.FAILED
    assert pending.next_attempt_at is None
    assert succeeded.status == DeliveryStatus.SUCCEEDED
    assert AuditEntry.objects.get(action="integration.disabled").changes == {
        "reason": "410 Gone",
        "stopped": 1,
    }


def test_reenable_clears_disabled_state(owner, integration):
    integration_disable(integration=integration, reason="410 Gone")

    integration = integration_reenable(actor=Actor(user=owner), integration=integration)

    assert integration.status == IntegrationStatus.ACTIVE
    assert integration.disabled_reason == ""
    assert integration.disabled_at is None
    assert integration.failing_since is None
    assert integration.is_active is True


def test_delete_fails_pending_deliveries(owner, integration):
    pending = make_delivery(integration)

    integration_delete(actor=Actor(user=owner), integration=integration)

    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.FAILED


def test_stop_for_team_fails_pending_only(team, integration):
    pending = make_delivery(integration)
    failed = make_delivery(integration, status=DeliveryStatus.FAILED)

    stopped = integrations_stop_for_team(team=team)

    pending.refresh_from_db()
    failed.refresh_from_db()
    integration.refresh_from_db()
    assert stopped == 1
    assert pending.status == DeliveryStatus.FAILED
    assert integration.is_active is True


def test_team_delete_stops_deliveries(owner, team, integration):
    pending = make_delivery(integration)

    team_delete(actor=Actor(user=owner), team=team)

    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.FAILED
