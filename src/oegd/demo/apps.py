from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "oegd.demo"
    label = "demo"
