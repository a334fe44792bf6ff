from django.urls import path

from integrations import views

TEAM = "teams/<str:team_id>/"

# Web pages of this app.
urlpatterns = [
    path(f"{TEAM}integrations/", views.integration_list, name="integration-list"),
    path(
        f"{TEAM}integrations/new/", views.integration_create, name="integration-create"
    ),
    path(
        f"{TEAM}integrations/<str:integration_id>/",
        views.integration_detail,
        name="integration-detail",
    ),
    path(
        f"{TEAM}integrations/<str:integration_id>/test/",
        views.integration_send_test,
        name="integration-test",
    ),
    path(
        f"{TEAM}integrations/<str:integration_id>/rotate-secret/",
        views.integration_rotate_secret,
        name="integration-rotate-secret",
    ),
    path(
        f"{TEAM}integrations/<str:integration_id>/delete/",
        views.integration_delete,
        name="integration-delete",
    ),
    path(
        f"{TEAM}deliveries/<str:delivery_id>/",
        views.delivery_detail,
        name="delivery-detail",
    ),
    path(
        f"{TEAM}deliveries/<str:delivery_id>/retry/",
        views.delivery_retry,
        name="delivery-retry",
    ),
]
