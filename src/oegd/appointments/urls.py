"""Citizen routes of online appointments (the staff pages have their own urlconf)."""

from django.urls import path

from oegd.appointments import views

app_name = "appointments"

urlpatterns = [
    path("appointments/", views.index, name="index"),
    path("appointments/book/<int:type_id>/<str:start>/", views.book, name="book"),
    path("appointments/check-your-email/", views.check_email, name="check_email"),
    path("appointments/invitation/<str:token>/", views.invitation, name="invitation"),
    path("appointments/manage/<str:token>/", views.manage, name="manage"),
    path("appointments/manage/<str:token>/move/", views.rebook, name="rebook"),
    path("appointments/manage/<str:token>/appointment.ics", views.ics, name="ics"),
    path("appointments/video/<uuid:public_id>/", views.video, name="video"),
    path("appointments/waiting-list/", views.waiting_list, name="waiting_list"),
    path("appointments/waiting-list/done/", views.waiting_list_done, name="waiting_list_done"),
    path("appointments/feed/<str:token>.ics", views.feed, name="feed"),
    path("my/appointments/", views.mine, name="mine"),
    path("my/appointments/<str:public_id>/", views.mine_detail, name="mine_detail"),
    path("my/appointments/<str:public_id>/move/", views.mine_rebook, name="mine_rebook"),
    path("my/appointments/<str:public_id>/appointment.ics", views.mine_ics, name="mine_ics"),
]
