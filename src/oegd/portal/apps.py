from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "oegd.portal"
    label = "portal"
