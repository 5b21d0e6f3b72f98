from django.contrib import admin
from django.urls import include, path

from oegd.api import api
from oegd.interop import urls as fhir_urls

urlpatterns = [
    path("", include("oegd.core.urls")),
    path("", include("oegd.appointments.urls")),
    path("", include("oegd.messaging.urls")),
    path("", include("oegd.portal.urls")),
    path("", include("oegd.directory.urls")),
    path("", include("oegd.forms.urls")),
    path("", include("oegd.cases.urls")),
    path("staff/", include("oegd.cases.document_urls")),
    path("staff/processes/", include("oegd.cases.process_urls")),
    path("staff/forms/", include("oegd.forms.authoring_urls")),
    path("staff/appointments/", include("oegd.appointments.staff_urls")),
    path("staff/messages/", include("oegd.messaging.staff_urls")),
    path("staff/infection/persons/", include("oegd.infection.person_urls")),
    path("staff/infection/transfers/", include("oegd.infection.transfer_urls")),
    path("staff/infection/", include("oegd.infection.urls")),
    path("api/v1/", api.urls),
    path("fhir/", include(fhir_urls)),
    path("admin/", admin.site.urls),
]

handler400 = "oegd.portal.views.bad_request"
handler403 = "oegd.portal.views.permission_denied"
handler404 = "oegd.portal.views.page_not_found"
handler500 = "oegd.portal.views.server_error"
