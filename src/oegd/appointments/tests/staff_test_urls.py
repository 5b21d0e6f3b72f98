"""Test urlconf: the project's routes plus the staff appointment pages at staff/appointments/
(until the lead wires them into ``oegd.urls``)."""

from django.urls import include, path

from oegd.urls import handler400, handler403, handler404, handler500
from oegd.urls import urlpatterns as project_urlpatterns

_wired = any("appointments.staff_urls" in str(getattr(entry, "urlconf_name", "")) for entry in project_urlpatterns)

urlpatterns = [
    *([] if _wired else [path("staff/appointments/", include("oegd.appointments.staff_urls"))]),
    *project_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
