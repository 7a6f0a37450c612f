from django.urls import include, path

from notifications.webhooks import tracking_patterns

urlpatterns = [
    # anymail's delivery-tracking webhooks, e.g. /mail/anymail/postmark/tracking/.
    path("anymail/", include((tracking_patterns(), "anymail_tracking"))),
]
