from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "oegd.cases"
    label = "cases"
