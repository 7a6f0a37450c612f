from django.contrib import admin
from django.urls import include, path

urlpatterns = [
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
