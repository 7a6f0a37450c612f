from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import docs, views, views_billing, views_org, views_webhooks

app_name = "api"

urlpatterns = [
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.ApiDocs.as_view(url_name="api:schema"), name="docs"),
    path("v1/me/", views.Me.as_view(), name="me"),
    path("v1/tickets/", views.TicketList.as_view(), name="ticket-list"),
    path("v1/tickets/<slug:number>/", views.TicketDetail.as_view(), name="ticket-detail"),
    path(
        "v1/tickets/<slug:number>/transitions/<slug:name>/",
        views.TicketTransition.as_view(),
        name="ticket-transition",
    ),
    path(
        "v1/tickets/<slug:number>/comments/", views.TicketComments.as_view(), name="ticket-comments"
    ),
    path(
        "v1/tickets/<slug:number>/attachments/",
        views.TicketAttachments.as_view(),
        name="ticket-attachments",
    ),
    path("v1/tickets/<slug:number>/events/", views.TicketEvents.as_view(), name="ticket-events"),
    path("v1/tickets/<slug:number>/assign/", views.TicketAssign.as_view(), name="ticket-assign"),
    path("v1/tickets/<slug:number>/merge/", views.TicketMerge.as_view(), name="ticket-merge"),
    path(
        "v1/tickets/<slug:number>/priority/", views.TicketPriority.as_view(), name="ticket-priority"
    ),
    path("v1/tickets/<slug:number>/type/", views.TicketChangeType.as_view(), name="ticket-type"),
    path(
        "v1/attachments/<int:pk>/download/",
        views.AttachmentDownload.as_view(),
        name="attachment-download",
    ),
    path("v1/events/", views.EventExport.as_view(), name="events"),
    path("v1/sla-policies/", views.SlaPolicies.as_view(), name="sla-policies"),
    path(
        "v1/tickets/<slug:number>/out-of-hours/",
        views_billing.TicketOutOfHours.as_view(),
        name="ticket-out-of-hours",
    ),
    path(
        "v1/out-of-hours/<int:pk>/approve/",
        views_billing.OutOfHoursDecision.as_view(decision="approve"),
        name="out-of-hours-approve",
    ),
    path(
        "v1/out-of-hours/<int:pk>/decline/",
        views_billing.OutOfHoursDecision.as_view(decision="decline"),
        name="out-of-hours-decline",
    ),
    path(
        "v1/tickets/<slug:number>/time-entries/",
        views_billing.TicketTimeEntries.as_view(),
        name="ticket-time-entries",
    ),
    path("v1/people/", views_org.People.as_view(), name="people"),
    path(
        "v1/people/<int:pk>/deactivation-request/",
        views_org.DeactivationRequest.as_view(),
        name="people-deactivation",
    ),
    path("v1/account-requests/", views_org.AccountRequests.as_view(), name="account-requests"),
    path("v1/statements/", views_org.Statements.as_view(), name="statements"),
    path("v1/statements/<int:pk>/", views_org.StatementDetail.as_view(), name="statement"),
    path(
        "v1/statements/<int:pk>/confirm/",
        views_org.StatementAnswer.as_view(answer="confirm"),
        name="statement-confirm",
    ),
    path(
        "v1/statements/<int:pk>/dispute/",
        views_org.StatementAnswer.as_view(answer="dispute"),
        name="statement-dispute",
    ),
    path("v1/webhooks/", views_webhooks.WebhookList.as_view(), name="webhooks"),
    path("v1/webhooks/<int:pk>/", views_webhooks.WebhookDetail.as_view(), name="webhook"),
    path(
        "v1/webhooks/<int:pk>/rotate-secret/",
        views_webhooks.WebhookRotateSecret.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "v1/webhooks/<int:pk>/deliveries/",
        views_webhooks.WebhookDeliveries.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "v1/webhooks/<int:pk>/deliveries/<uuid:delivery>/redeliver/",
        views_webhooks.WebhookRedeliver.as_view(),
        name="webhook-redeliver",
    ),
    # Anything else under /api/ is a problem+json 404, never the portal's HTML page.
    re_path(r"^", views.not_found),
]
