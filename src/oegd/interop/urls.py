from django.urls import path

from oegd.interop import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("<path:rest>", views.unknown, name="unknown"),
]
