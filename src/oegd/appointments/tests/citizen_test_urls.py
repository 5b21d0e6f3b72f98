"""Test urlconf: the citizen appointment pages first (they replace the portal's placeholder at
/appointments/), then the project's routes."""

from django.urls import include, path

from oegd.urls import handler400, handler403, handler404, handler500
from oegd.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("", include("oegd.appointments.urls")),
    *[
        entry
        for entry in project_urlpatterns
        if "oegd.appointments.urls" not in str(getattr(entry, "urlconf_name", ""))
    ],
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
