from django.urls import include, path

from notifications.views import mail_settings
from notifications.webhooks import tracking_patterns

urlpatterns = [
    path("settings/", mail_settings, name="mail_settings"),
    # anymail's delivery-tracking webhooks, e.g. /mail/anymail/postmark/tracking/.
    path("anymail/", include((tracking_patterns(), "anymail_tracking"))),
]
