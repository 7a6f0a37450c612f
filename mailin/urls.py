from django.urls import re_path

from mailin import views
from notifications.webhooks import require_webhook_secret

app_name = "mailin"

urlpatterns = [
    # Mailgun posts the raw MIME message when the URL contains "mime" (use that one);
    # the other form carries the fields Mailgun parsed.
    # Unconfigured (no webhook secret, or no signing key): 403 with the reason, never 500.
    re_path(
        r"^mailgun/inbound(_mime)?/$",
        require_webhook_secret(views.InboundWebhookView.as_view()),
        name="mailgun",
    ),
]
