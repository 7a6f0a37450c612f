from django.urls import include, path

from notifications.views import mail_settings, unsubscribe
from notifications.webhooks import tracking_patterns

urlpatterns = [
    path("settings/", mail_settings, name="mail_settings"),
    path("unsubscribe/<str:token>/", unsubscribe, name="mail_unsubscribe"),
    # anymail's delivery-tracking webhooks, e.g. /mail/anymail/postmark/tracking/.
    path("anymail/", include((tracking_patterns(), "anymail_tracking"))),
]
