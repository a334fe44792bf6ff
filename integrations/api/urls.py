from django.urls import path

from integrations.api import views_deliveries, views_events, views_integrations

TEAM = "teams/<str:team_id>/"
INTEGRATION = TEAM + "integrations/<str:integration_id>"

urlpatterns = [
    path(
        "event-types",
        views_events.EventTypeListView.as_view(),
        name="api-event-type-list",
    ),
    path(
        TEAM + "events",
        views_events.EventListView.as_view(),
        name="api-event-list",
    ),
    path(
        TEAM + "integrations",
        views_integrations.IntegrationListView.as_view(),
        name="api-integration-list",
    ),
    path(
        INTEGRATION,
        views_integrations.IntegrationDetailView.as_view(),
        name="api-integration-detail",
    ),
    path(
        INTEGRATION + "/test",
        views_integrations.IntegrationTestView.as_view(),
        name="api-integration-test",
    ),
    path(
        INTEGRATION + "/rotate-secret",
        views_integrations.IntegrationRotateSecretView.as_view(),
        name="api-integration-rotate-secret",
    ),
    path(
        INTEGRATION + "/recover",
        views_integrations.IntegrationRecoverView.as_view(),
        name="api-integration-recover",
    ),
    path(
        INTEGRATION + "/deliveries",
        views_deliveries.IntegrationDeliveryListView.as_view(),
        name="api-integration-delivery-list",
    ),
    path(
        TEAM + "deliveries/<str:delivery_id>",
        views_deliveries.DeliveryDetailView.as_view(),
        name="api-delivery-detail",
    ),
    path(
        TEAM + "deliveries/<str:delivery_id>/retry",
        views_deliveries.DeliveryRetryView.as_view(),
        name="api-delivery-retry",
    ),
]
