"""Test urlconf: the project's routes plus the form builder at staff/forms/ (until the lead wires it)."""

from django.urls import include, path

from oegd.urls import handler400, handler403, handler404, handler500
from oegd.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("staff/forms/", include("oegd.forms.authoring_urls")),
    *[entry for entry in project_urlpatterns if "authoring" not in str(getattr(entry, "urlconf_name", ""))],
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
