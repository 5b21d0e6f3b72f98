from django.urls import path

from oegd.forms import views

app_name = "forms"

urlpatterns = [
    path("services/", views.catalogue, name="catalogue"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("services/<slug:slug>/start/", views.start, name="start"),
    path("forms/<uuid:public_id>/page/<int:page>/", views.form_page, name="page"),
    path("forms/<uuid:public_id>/save/", views.save_for_later, name="save"),
    path("forms/<uuid:public_id>/review/", views.review, name="review"),
    path("forms/resume/<str:token>/", views.resume, name="resume"),
    path("forms/attachments/<uuid:public_id>/", views.attachment_download, name="attachment"),
    path("submitted/<str:reference>/", views.submitted, name="submitted"),
    path("status/", views.status_entry, name="status_entry"),
    path("status/check/", views.status_check, name="status_check"),
    path("status/<str:reference>/", views.status_detail, name="status"),
    path("status/<str:reference>/receipt.pdf", views.receipt, name="receipt"),
]
