"""Routes of the form builder and the service catalogue; included at ``staff/forms/``."""

from django.urls import path

from oegd.forms import authoring_views as views

app_name = "authoring"

urlpatterns = [
    path("", views.form_list, name="form_list"),
    path("new/", views.form_create, name="form_create"),
    # Services first: "services" is a reserved form slug, so it never names a form.
    path("services/", views.service_list, name="service_list"),
    path("services/<slug:slug>/", views.service_edit, name="service_edit"),
    path("services/<slug:slug>/offer/", views.service_offer, name="service_offer"),
    path("services/<slug:slug>/publish-all/", views.service_publish_all, name="service_publish_all"),
    path("<slug:slug>/", views.form_editor, name="form_editor"),
    path("<slug:slug>/draft/", views.form_start_draft, name="form_start_draft"),
    path("<slug:slug>/item/", views.form_item, name="form_item"),
    path("<slug:slug>/item/action/", views.form_item_action, name="form_item_action"),
    path("<slug:slug>/item/translations/", views.form_item_translations, name="form_item_translations"),
    path("<slug:slug>/title/", views.form_title_translations, name="form_title_translations"),
    path("<slug:slug>/preview/", views.form_preview, name="form_preview"),
    path("<slug:slug>/import/", views.form_import, name="form_import"),
    path("<slug:slug>/publish/", views.form_publish, name="form_publish"),
    path("<slug:slug>/versions/<int:version>/export/", views.form_export, name="form_export"),
]
