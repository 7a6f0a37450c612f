"""The portal's API-token page: outside /api/, so it is a portal page like any other
(login and second factor as everywhere)."""

from django.urls import path

from api import pages

urlpatterns = [
    path("", pages.api_tokens, name="api_tokens"),
    path("<int:pk>/revoke/", pages.api_token_revoke_view, name="api_token_revoke"),
]
