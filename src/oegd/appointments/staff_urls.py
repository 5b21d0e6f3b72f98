"""Staff routes of online appointments; the project includes them at ``staff/appointments/``."""

from django.urls import path

from oegd.appointments import staff_views as views

app_name = "appointments_staff"

urlpatterns = [
    path("", views.calendar_day, name="day"),
    path("week/", views.calendar_week, name="week"),
    path("book/", views.book_on_behalf, name="book"),
    path("statistics/", views.statistics, name="statistics"),
    path("planning/", views.planning_index, name="planning"),
    path("types/", views.type_list, name="types"),
    path("types/new/", views.type_new, name="type_new"),
    path("types/<int:type_id>/", views.type_edit, name="type_edit"),
    path("types/<int:type_id>/invite/", views.type_invite, name="type_invite"),
    path("planning/resources/<int:resource_id>/", views.resource_detail, name="resource"),
    path("planning/resources/<int:resource_id>/plans/", views.plan_add, name="plan_add"),
    path("planning/resources/<int:resource_id>/exceptions/", views.exception_add, name="exception_add"),
    path("planning/plans/<int:plan_id>/delete/", views.plan_delete, name="plan_delete"),
    path("planning/exceptions/<int:exception_id>/delete/", views.exception_delete, name="exception_delete"),
    path("planning/locations/<int:location_id>/closures/", views.closure_add, name="closure_add"),
    path("planning/closures/<int:exception_id>/delete/", views.closure_delete, name="closure_delete"),
    # Appointment ids are UUIDs; a str converter keeps a malformed id a plain 404 from the view.
    path("<str:public_id>/", views.appointment_detail, name="detail"),
    path("<str:public_id>/outcome/", views.appointment_outcome, name="outcome"),
    path("<str:public_id>/cancel/", views.appointment_cancel, name="cancel"),
]
