from django.contrib import admin
from django.urls import include, path

from helpdesk import health, metrics

urlpatterns = [
    path("health/ready", health.ready, name="health_ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("mail/in/", include("mailin.urls")),
    path("mail/", include("notifications.urls")),
    path("billing/", include("billing.urls")),
    path("api/", include("api.urls")),
    path("api-tokens/", include("api.page_urls")),
    path("", include("portal.urls")),
]
