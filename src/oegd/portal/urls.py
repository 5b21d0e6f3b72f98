from django.urls import path

from oegd.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("info/", views.info, name="info"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("my/", views.my_area, name="my_area"),
    path("my/family/", views.family, name="family"),
    path("my/family/<int:dependant_id>/act/", views.act_for, name="act_for"),
    path("my/family/<int:dependant_id>/link-code/", views.link_code, name="link_code"),
    path("my/family/stop/", views.stop_acting, name="stop_acting"),
    path("my/family/link/", views.link_account, name="link_account"),
    path("my/documents/", views.documents, name="documents"),
    path("my/documents/<str:identifier>/", views.document_download, name="document_download"),
    path("my/access/", views.access_log, name="access_log"),
    path("my/export/", views.export, name="export"),
    path("my/export/my-data.json", views.export_json, name="export_json"),
    path("my/export/my-data.pdf", views.export_pdf, name="export_pdf"),
    path("my/close/", views.close_account, name="close_account"),
    path("my/closed/", views.account_closed, name="account_closed"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
