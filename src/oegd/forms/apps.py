from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "oegd.forms"
    label = "forms"
