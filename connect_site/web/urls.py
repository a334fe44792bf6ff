"""Sign-in, sign-out, password reset, language switch and API key pages."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from connect_site.web import views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
    path("account/api-keys/", views.api_key_list, name="api-key-list"),
    path(
        "account/api-keys/<str:key_id>/revoke/",
        views.api_key_revoke_view,
        name="api-key-revoke",
    ),
]
