"""The process library (BPMN/DMN) and case types (staff)."""

from django.urls import path

from oegd.cases import process_views as views

app_name = "processes"

urlpatterns = [
    path("", views.process_list, name="list"),
    path("new/", views.library_new, name="library_new"),
    path("library/<slug:key>/", views.library_detail, name="library"),
    path("library/<slug:key>/edit/", views.library_edit, name="library_edit"),
    path("library/<slug:key>/variant/", views.variant_create, name="variant_create"),
    path("library/<slug:key>/v<int:version>.<str:part>", views.library_download, name="library_download"),
    path("variant/<slug:key>/", views.variant_detail, name="variant"),
    path("variant/<slug:key>/edit/", views.variant_edit, name="variant_edit"),
    path("variant/<slug:key>/v<int:version>.<str:part>", views.variant_download, name="variant_download"),
    path("case-types/", views.case_type_list, name="case_types"),
    path("case-types/new/", views.case_type_new, name="case_type_new"),
    path("case-types/<slug:slug>/", views.case_type_edit, name="case_type"),
]
