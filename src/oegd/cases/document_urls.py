"""Documents, letters, letter templates and the e-file export of cases (staff)."""

from django.urls import path

from oegd.cases import document_views

app_name = "case_documents"

urlpatterns = [
    path("documents/<str:identifier>/", document_views.download, name="download"),
    path("cases/<str:reference>/documents/upload/", document_views.upload, name="upload"),
    path("cases/<str:reference>/documents/letter/", document_views.generate, name="generate"),
    path("cases/<str:reference>/export/xdomea/", document_views.export_xdomea, name="export"),
    path("letter-templates/", document_views.template_list, name="templates"),
    path("letter-templates/new/", document_views.template_new, name="template_new"),
    path("letter-templates/<int:template_id>/", document_views.template_edit, name="template_edit"),
    path("letter-templates/<int:template_id>/preview/", document_views.template_preview, name="template_preview"),
]
