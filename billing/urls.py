from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("tickets/<slug:number>/out-of-hours/", views.ooh_request, name="ooh_request"),
    path("tickets/<slug:number>/out-of-hours/urgent/", views.ooh_urgent, name="ooh_urgent"),
    path("out-of-hours/<int:pk>/decide/", views.ooh_decide, name="ooh_decide"),
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/answer/", views.statement_answer, name="statement_answer"),
    path("statements/<int:pk>/csv/", views.statement_csv, name="statement_csv"),
]
