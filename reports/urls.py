"""Included under /admin/reports/; every page goes through the admin's login and checks."""

from django.contrib import admin
from django.urls import path

from reports import views

app_name = "reports"


def _admin(view):
    return admin.site.admin_view(view)


urlpatterns = [
    path("", _admin(views.index), name="index"),
    path("sla/", _admin(views.sla_report), name="sla"),
    path("sla.csv", _admin(views.sla_csv), name="sla_csv"),
    path("tickets/", _admin(views.tickets_report), name="tickets"),
    path("tickets.csv", _admin(views.tickets_csv), name="tickets_csv"),
    path("satisfaction/", _admin(views.satisfaction_report), name="satisfaction"),
    path("satisfaction.csv", _admin(views.satisfaction_csv), name="satisfaction_csv"),
    path("hours/", _admin(views.hours_report), name="hours"),
    path("hours.csv", _admin(views.hours_csv), name="hours_csv"),
]
