"""Transfers of infection cases to the state authority / RKI, under /staff/infection/transfers/."""

from django.urls import path

from oegd.infection import transfer_views as views

app_name = "infection_transfers"

urlpatterns = [
    path("", views.office_transfers, name="list"),
    path("<str:reference>/", views.case_transfers, name="case"),
    path("<str:reference>/send/", views.send, name="send"),
    path("<str:reference>/<int:pk>/download/", views.download, name="download"),
]
