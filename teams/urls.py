from django.urls import path  # noqa: F401

# Web pages of this app.
urlpatterns = []
