from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    # Before tickets/<number>/, which would take "similar" for a number.
    path("tickets/similar/", views.similar_tickets, name="similar_tickets"),
    path("tickets/check-text/", views.check_text, name="check_text"),
    path("search/", views.search_page, name="search"),
    path("tickets/<slug:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<slug:number>/comment/", views.ticket_comment, name="ticket_comment"),
    path("tickets/<slug:number>/watch/", views.ticket_watch, name="ticket_watch"),
    path("tickets/<slug:number>/rate/", views.ticket_rate, name="ticket_rate"),
    # The satisfaction link of a mail: no login, the signed token is the proof.
    path("rate/<str:token>/", views.rating_link, name="rating_link"),
    path(
        "tickets/<slug:number>/do/<slug:transition>/",
        views.ticket_transition,
        name="ticket_transition",
    ),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    # Only on the content origin (USER_CONTENT_URL), when one is set.
    path("files/<str:token>/", views.user_content_file, name="user_content"),
    path("rules/", views.rules, name="rules"),
]
