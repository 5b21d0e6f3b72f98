from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "oegd.appointments"
    label = "appointments"
