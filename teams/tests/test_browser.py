"""The owner's pages driven in a real Chromium through Playwright.

The live server runs in a thread of the test process, so Celery runs its
tasks eagerly in that thread (also when REDIS_URL is set): the invitation
email lands in Django's locmem outbox and a test delivery is attempted
before the page responds. The Celery worker path is covered by the delivery
tests that start a worker. Every request the browser makes to a host other
than the live server is answered locally or aborted, so nothing leaves the
machine.

Set CONNECT_SCREENSHOTS=1 to write the screenshots to docs/screenshots/;
otherwise they go to a temporary folder.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core import mail

from connect_site.actors import Actor
from connect_site.celery import app as celery_app
from integrations.tests.receiver import WebhookReceiver
from members.models import ApiKey, Membership
from onboarding.models import TeamStep
from onboarding.services import onboarding_link_create
from teams.models import Team

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a long and unusual passphrase"
RETURN_URL = "https://platform.example/onboarding-done"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # made by the test itself are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; install it with apt-get install chromium.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    # Subprocesses started later, such as `check --deploy`, must not inherit it.
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def eager_tasks(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def screenshots(tmp_path):
    if os.environ.get("CONNECT_SCREENSHOTS") == "1":
        folder = Path(django_settings.BASE_DIR) / "docs" / "screenshots"
    else:
        folder = tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(folder / f"{name}.png"))

    take.folder = folder
    return take


def keep_traffic_local(context, live_server_url):
    """Fulfil the return URL locally and abort any other non-local request."""
    local_host = urlsplit(live_server_url).hostname

    def handle(route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(RETURN_URL):
            route.fulfill(
                status=200, body="Back on the platform", content_type="text/plain"
            )
        elif host in (local_host, "127.0.0.1"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", handle)


@pytest.fixture
def new_context(browser, live_server):
    contexts = []

    def make(viewport=DESKTOP, locale="en-US"):
        context = browser.new_context(viewport=viewport, locale=locale)
        keep_traffic_local(context, live_server.url)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def owner_user(make_user):
    user = make_user("owner@example.com", password=PASSWORD)
    user.first_name = "Olivia"
    user.last_name = "Owner"
    user.save()
    return user


def sign_in(page, live_server, email=None, password=PASSWORD):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email or "Owner@Example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/teams/")


def create_team(page, live_server, name="Development Team Alpha"):
    page.goto(f"{live_server.url}/teams/new/")
    page.get_by_label("Team name").fill(name)
    page.get_by_label("Industry").fill("Technology")
    page.get_by_label("Team size").select_option("10-50")
    page.get_by_label("Language", exact=True).select_option("en")
    page.get_by_role("button", name="Create the team").click()
    page.wait_for_url(re.compile(r".*/teams/team_[^/]+/onboarding/$"))
    return Team.objects.get(name=name)


def open_step(page, step_id):
    page.locator(f"#step-{step_id}").evaluate("details => { details.open = true; }")


def test_owner_signs_in_and_creates_team(
    new_context, live_server, owner_user, screenshots
):
    page = new_context().new_page()

    page.goto(f"{live_server.url}/accounts/login/")
    screenshots(page, "sign-in")
    sign_in(page, live_server)
    screenshots(page, "my-teams-empty")
    page.goto(f"{live_server.url}/teams/new/")
    screenshots(page, "team-create")
    team = create_team(page, live_server)

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Onboarding of Development Team Alpha"
    )
    assert Membership.objects.get(team=team).user == owner_user
    screenshots(page, "onboarding-checklist")
    page.goto(f"{live_server.url}/teams/")
    assert page.locator(".team-card h2").all_inner_texts() == ["Development Team Alpha"]
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "0"
    screenshots(page, "my-teams")


def test_settings_change_branding_and_preview(
    new_context, live_server, owner_user, screenshots
):
    page = new_context().new_page()
    sign_in(page, live_server)
    team = create_team(page, live_server)

    page.goto(f"{live_server.url}/teams/{team.public_id}/settings/")
    page.get_by_label("Display name").fill("Acme Pagos")
    page.get_by_label("Primary colour").fill("#0B5CAD")
    page.get_by_label("Accent colour").fill("#E8590C")
    page.get_by_label("Footer text").fill("Acme Pagos S.A. de C.V. · Ciudad de México")
    page.get_by_role("button", name="Preview without saving").click()

    assert page.get_by_test_id("preview-name").inner_text() == "Acme Pagos"
    team.refresh_from_db()
    assert team.branding == {}

    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{live_server.url}/teams/{team.public_id}/settings/")
    header_colour = page.locator(".site-header").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert header_colour == "rgb(11, 92, 173)"
    assert page.locator(".brand__name").inner_text() == "Acme Pagos"
    screenshots(page, "team-settings")
    # The sandboxed frame runs no script, so Playwright reads its source.
    email_html = page.locator("iframe[title='Invitation email preview']").get_attribute(
        "srcdoc"
    )
    assert "You are invited to join Acme Pagos</h1>" in email_html
    page.locator("aside").scroll_into_view_if_needed()
    page.locator("aside").screenshot(
        path=str(screenshots.folder / "team-settings-preview.png")
    )
    team.refresh_from_db()
    assert team.branding["primaryColor"] == "#0B5CAD"


def test_hosted_onboarding_completes_and_returns(
    new_context, live_server, owner_user, screenshots
):
    page = new_context().new_page()
    sign_in(page, live_server)
    team = create_team(page, live_server)
    team.branding = {"displayName": "Acme Pagos", "primaryColor": "#0B5CAD"}
    team.save()
    _link, url = onboarding_link_create(
        actor=Actor(user=owner_user), team=team, return_url=RETURN_URL
    )
    hosted_url = live_server.url + urlsplit(url).path

    guest = new_context().new_page()
    guest.goto(hosted_url)
    # Only the button's POST uses up the link, not the page load.
    guest.locator("form button[type=submit]").click()
    assert guest.url == f"{live_server.url}/onboarding/hosted/"
    assert guest.locator(".brand__name").inner_text() == "Acme Pagos"
    screenshots(guest, "hosted-onboarding")

    guest.get_by_label("Legal name").fill("Escuela Kemper Urgate SA de CV")
    guest.get_by_label("Tax id (RFC in Mexico)").fill("NOT-AN-RFC")
    guest.get_by_label("Tax regime").select_option("601")
    guest.get_by_label("Postal code").fill("06600")
    guest.locator("#step-team_setup").get_by_role("button").click()
    assert guest.locator("#step-team_setup .error").count() == 1
    guest.get_by_label("Tax id (RFC in Mexico)").fill("EKU9003173C9")
    guest.locator("#step-team_setup").get_by_role("button").click()

    open_step(guest, "payment_integration")
    guest.get_by_label("Payment provider").select_option("stripe")
    guest.get_by_label("Webhook URL").fill("https://team.example.com/webhooks/gigstack")
    guest.locator("#step-payment_integration").get_by_role("button").click()

    open_step(guest, "invoice_configuration")
    guest.get_by_label("Invoice series").fill("FAC")
    guest.get_by_label("First folio number").fill("1")
    guest.get_by_label("Default payment form").select_option("03")
    guest.get_by_label("Default CFDI use").select_option("G03")
    guest.locator("#step-invoice_configuration").get_by_role("button").click()

    guest.wait_for_url(RETURN_URL)
    assert guest.inner_text("body") == "Back on the platform"
    done = TeamStep.objects.filter(team=team, completed_at__isnull=False)
    assert sorted(done.values_list("step_id", flat=True)) == [
        "invoice_configuration",
        "payment_integration",
        "team_setup",
    ]
    second_open = guest.goto(hosted_url)
    assert second_open.status == 404


def test_invited_member_accepts_in_second_context(
    new_context, live_server, owner_user, eager_tasks, mailoutbox
):
    page = new_context().new_page()
    sign_in(page, live_server)
    team = create_team(page, live_server)

    page.goto(f"{live_server.url}/teams/{team.public_id}/members/invite/")
    page.locator("#id_email").fill("maria@example.com")
    page.locator("#id_role").select_option("manager")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url(f"{live_server.url}/teams/{team.public_id}/members/")

    assert len(mail.outbox) == 1
    accept_url = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[0].body)[0]
    invitee = new_context().new_page()
    invitee.goto(live_server.url + urlsplit(accept_url).path)
    invitee.get_by_label("Your name").fill("María López")
    invitee.locator("input[type=password]").nth(0).fill(PASSWORD)
    invitee.locator("input[type=password]").nth(1).fill(PASSWORD)
    invitee.get_by_role("button").last.click()

    invitee.wait_for_load_state()
    membership = Membership.objects.get(team=team, email="maria@example.com")
    assert membership.status == "active"
    assert membership.role == "manager"
    invitee.goto(f"{live_server.url}/teams/")
    assert invitee.locator(".team-card h2").all_inner_texts() == [
        "Development Team Alpha"
    ]


def test_integration_test_send_appears_in_log(
    new_context, live_server, owner_user, eager_tasks, settings, screenshots
):
    settings.CONNECT_WEBHOOK_ALLOW_LOOPBACK = True
    settings.CONNECT_WEBHOOK_TIMEOUT = 2
    receiver = WebhookReceiver().start()
    try:
        page = new_context().new_page()
        sign_in(page, live_server)
        team = create_team(page, live_server)

        page.goto(f"{live_server.url}/teams/{team.public_id}/integrations/new/")
        page.get_by_label("Name").fill("Team Payment Notifications")
        page.get_by_label("Endpoint URL").fill(receiver.url("/hook"))
        page.get_by_label("payment.completed").check()
        page.get_by_label("integration.test").check()
        page.get_by_role("button", name="Create the integration").click()
        secret = page.get_by_test_id("integration-secret").inner_text()
        assert secret.startswith("whsec_")
        screenshots(page, "integration-secret")

        page.get_by_role("link", name="I have saved it, continue").click()
        assert secret not in page.content()
        page.get_by_role("button", name="Send a test event").click()
        page.wait_for_load_state()

        rows = page.locator("table tbody tr")
        assert rows.count() == 1
        assert "integration.test" in rows.first.inner_text()
        assert "Succeeded" in rows.first.inner_text()
        assert len(receiver.requests) == 1
        assert receiver.requests[0].verify(secret)
        screenshots(page, "integration-detail")

        rows.first.get_by_role("link").click()
        assert page.locator("table tbody tr").count() == 1
        screenshots(page, "delivery-detail")
    finally:
        receiver.stop()


def test_api_key_create_and_revoke(new_context, live_server, owner_user, screenshots):
    page = new_context().new_page()
    sign_in(page, live_server)

    page.goto(f"{live_server.url}/account/api-keys/")
    page.get_by_label("Name").fill("Billing server")
    page.get_by_role("button", name="Create the key").click()
    secret = page.get_by_test_id("new-api-key").inner_text()
    assert secret.startswith("ck_live_")
    screenshots(page, "api-keys")

    page.get_by_role("button", name="Revoke Billing server").click()
    page.wait_for_url(f"{live_server.url}/account/api-keys/")
    assert secret not in page.content()
    assert ApiKey.objects.get(name="Billing server").revoked_at is not None
    assert page.locator("table tbody tr").first.get_by_text("Revoked").count() == 1


def test_pages_fit_a_phone_screen(new_context, live_server, owner_user, screenshots):
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server)
    team = create_team(page, live_server)

    for path, name in [
        ("/teams/", "phone-my-teams"),
        (f"/teams/{team.public_id}/onboarding/", "phone-onboarding"),
        (f"/teams/{team.public_id}/settings/", "phone-settings"),
    ]:
        page.goto(live_server.url + path)
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= PHONE["width"], f"{path} is {page_width}px wide"
        screenshots(page, name)
