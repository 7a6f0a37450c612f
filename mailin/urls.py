from django.urls import re_path

from mailin import views

app_name = "mailin"

urlpatterns = [
    # Mailgun posts the raw MIME message when the URL contains "mime" (use that one);
    # the other form carries the fields Mailgun parsed.
    re_path(r"^mailgun/inbound(_mime)?/$", views.InboundWebhookView.as_view(), name="mailgun"),
]
