"""Integration pages: list, create, edit, test, rotate, delivery log, retry.

A new or rotated secret appears once, in the body of the POST's response,
and is kept nowhere else: not in the session, not in a URL.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect_site.actors import Actor
from connect_site.api import errors
from connect_site.web.pages import (
    render_team_page,
    require_permission,
    serializer_errors_to_form,
    team_page_access,
)
from integrations import selectors, services
from integrations.api.serializers import (
    IntegrationCreateSerializer,
    IntegrationUpdateSerializer,
)
from integrations.forms import FIELD_MAP, IntegrationCreateForm, IntegrationForm
from integrations.secrets import decrypt_secret, mask_secret

# Rows of the delivery log shown on an integration's page.
DELIVERY_LOG_SIZE = 50


def integration_for_page(access, integration_id):
    try:
        return selectors.integration_get(
            team=access.team, integration_id=integration_id
        )
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


def web_actor(request):
    return Actor(user=request.user, source="web")


def validate_and_call(form, serializer_class, call):
    """Validate the form through the API serializer, then run ``call(data)``.

    Returns the service's result, or None after copying errors onto the form.
    """
    if not form.is_valid():
        return None
    serializer = serializer_class(data=form.api_data())
    if not serializer.is_valid():
        serializer_errors_to_form(form, serializer.errors, FIELD_MAP)
        return None
    try:
        return call(serializer.validated_data)
    except errors.ValidationFailed as exc:
        serializer_errors_to_form(form, exc.fields or {}, FIELD_MAP)
        if not exc.fields:
            form.add_error(None, exc.message)
        return None


def secret_page(request, team, integration, secret, *, rotated):
    response = render_team_page(
        request,
        "integrations/secret.html",
        {
            "integration": integration,
            "secret": secret,
            "rotated": rotated,
            "team_nav": "integrations",
        },
        team=team,
        status=201 if not rotated else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
def integration_list(request, team_id):
    access = team_page_access(request, team_id, "integrations.read")
    integrations = list(selectors.integrations_for_team(team=access.team))
    return render_team_page(
        request,
        "integrations/list.html",
        {
            "integrations": integrations,
            "can_create": access.has("integrations.create"),
            "team_nav": "integrations",
        },
        team=access.team,
    )


@login_required
def integration_create(request, team_id):
    access = team_page_access(request, team_id, "integrations.create")
    form = IntegrationCreateForm(request.POST or None)
    if request.method == "POST":
        result = validate_and_call(
            form,
            IntegrationCreateSerializer,
            lambda data: services.integration_create(
                actor=web_actor(request), team=access.team, data=data
            ),
        )
        if result is not None:
            integration, secret = result
            return secret_page(request, access.team, integration, secret, rotated=False)

    return render_team_page(
        request,
        "integrations/form.html",
        {"form": form, "creating": True, "team_nav": "integrations"},
        team=access.team,
        status=400 if form.errors else 200,
    )


@login_required
def integration_detail(request, team_id, integration_id):
    access = team_page_access(request, team_id, "integrations.read")
    integration = integration_for_page(access, integration_id)
    form = IntegrationForm(
        request.POST or None, initial=IntegrationForm.initial_for(integration)
    )
    if request.method == "POST":
        require_permission(access, "integrations.update")
        updated = validate_and_call(
            form,
            IntegrationUpdateSerializer,
            lambda data: services.integration_update(
                actor=web_actor(request), integration=integration, data=data
            ),
        )
        if updated is not None:
            messages.success(request, _("Integration saved."))
            return redirect("integration-detail", team_id, integration.public_id)

    deliveries = selectors.deliveries_for_integration(integration=integration)[
        :DELIVERY_LOG_SIZE
    ]
    return render_team_page(
        request,
        "integrations/detail.html",
        {
            "integration": integration,
            "masked_secret": mask_secret(decrypt_secret(integration.secret_encrypted)),
            "form": form,
            "deliveries": deliveries,
            "can_update": access.has("integrations.update"),
            "team_nav": "integrations",
        },
        team=access.team,
        status=400 if form.errors else 200,
    )


def integration_action(request, team_id, integration_id):
    """Return ``(access, integration)`` for a POST that needs integrations.update."""
    access = team_page_access(request, team_id, "integrations.update")
    return access, integration_for_page(access, integration_id)


@login_required
@require_POST
def integration_send_test(request, team_id, integration_id):
    access, integration = integration_action(request, team_id, integration_id)
    try:
        delivery = services.integration_send_test(
            actor=web_actor(request), integration=integration
        )
    except errors.ApiError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Test event sent. Delivery %(id)s is in the log below.")
            % {"id": delivery.public_id},
        )
    return redirect("integration-detail", team_id, integration.public_id)


@login_required
@require_POST
def integration_rotate_secret(request, team_id, integration_id):
    access, integration = integration_action(request, team_id, integration_id)
    integration, secret = services.integration_rotate_secret(
        actor=web_actor(request), integration=integration
    )
    return secret_page(request, access.team, integration, secret, rotated=True)


@login_required
@require_POST
def integration_delete(request, team_id, integration_id):
    access, integration = integration_action(request, team_id, integration_id)
    services.integration_delete(actor=web_actor(request), integration=integration)
    messages.success(
        request, _("Integration “%(name)s” deleted.") % {"name": integration.name}
    )
    return redirect("integration-list", team_id)


def delivery_for_page(access, delivery_id):
    try:
        return selectors.delivery_get(team=access.team, delivery_id=delivery_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def delivery_detail(request, team_id, delivery_id):
    access = team_page_access(request, team_id, "integrations.read")
    delivery = delivery_for_page(access, delivery_id)
    return render_team_page(
        request,
        "integrations/delivery.html",
        {
            "delivery": delivery,
            "attempts": list(delivery.attempts.order_by("-attempted_at", "-id")),
            "body": bytes(delivery.event.body).decode("utf-8", "replace"),
            "can_update": access.has("integrations.update"),
            "team_nav": "integrations",
        },
        team=access.team,
    )


@login_required
@require_POST
def delivery_retry(request, team_id, delivery_id):
    access = team_page_access(request, team_id, "integrations.update")
    delivery = delivery_for_page(access, delivery_id)
    try:
        services.delivery_retry_now(actor=web_actor(request), delivery=delivery)
    except errors.ApiError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Delivery queued to be sent again now."))
    return redirect("delivery-detail", team_id, delivery.public_id)
