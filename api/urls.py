from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import docs, views

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
    # Anything else under /api/ is a problem+json 404, never the portal's HTML page.
    re_path(r"^", views.not_found),
]
