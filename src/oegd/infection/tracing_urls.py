"""Contact tracing, follow-up calls, outbreaks and measures, under /staff/infection/ ("infection" namespace)."""

from django.urls import path

from oegd.infection import tracing_views as views

urlpatterns = [
    path("cases/<str:reference>/tracing/", views.case_tracing, name="case_tracing"),
    path("cases/<str:reference>/contacts/add/", views.contact_add, name="contact_add"),
    path("cases/<str:reference>/measures/quarantine/", views.quarantine_orders, name="quarantine_orders"),
    path("cases/<str:reference>/measures/isolation/", views.isolation_order, name="isolation_order"),
    path("cases/<str:reference>/outbreaks/link/", views.case_outbreak_link, name="case_outbreak_link"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/end/", views.contact_end, name="contact_end"),
    path("contacts/<int:pk>/became-case/", views.contact_became_case, name="contact_became_case"),
    path("measures/<int:pk>/lift/", views.measure_lift, name="measure_lift"),
    path("calls/", views.call_list, name="calls"),
    path("calls/<int:pk>/", views.call_record, name="call_record"),
    path("outbreaks/", views.outbreak_list, name="outbreaks"),
    path("outbreaks/<str:reference>/", views.outbreak_detail, name="outbreak"),
    path("outbreaks/<str:reference>/cases/", views.outbreak_case_add, name="outbreak_case_add"),
    path(
        "outbreaks/<str:reference>/cases/<str:case_reference>/remove/",
        views.outbreak_case_remove,
        name="outbreak_case_remove",
    ),
    path("outbreaks/<str:reference>/notes/", views.outbreak_note, name="outbreak_note"),
    path("outbreaks/<str:reference>/close/", views.outbreak_close, name="outbreak_close"),
]
