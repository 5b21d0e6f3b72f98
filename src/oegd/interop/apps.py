from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "oegd.interop"
    label = "interop"
