from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InfectionConfig(AppConfig):
    name = "oegd.infection"
    label = "infection"
    verbose_name = _("Infection protection")
