"""Staff pages of infection protection, mounted at /staff/infection/."""

from django.urls import include, path

from oegd.infection import views

app_name = "infection"

urlpatterns: list = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/assign/", views.assign_notifications, name="inbox_assign"),
    path("inbox/refused/", views.refused_bundles, name="refused"),
    path("notifications/<int:pk>/", views.notification_detail, name="notification"),
    path("notifications/<int:pk>/assign/", views.notification_assign, name="notification_assign"),
    path("notifications/<int:pk>/link/", views.notification_link, name="notification_link"),
    path("notifications/<int:pk>/open-case/", views.notification_open_case, name="notification_open_case"),
    path("notifications/<int:pk>/done/", views.notification_done, name="notification_done"),
    path("notifications/<int:pk>/forward/", views.notification_forward, name="notification_forward"),
    path("cases/", views.case_directory, name="cases"),
    path("views/", views.save_view, name="save_view"),
    path("views/<int:pk>/delete/", views.delete_view, name="delete_view"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/assign/", views.case_assign, name="case_assign"),
    path("cases/<str:reference>/classification/", views.case_classify, name="case_classify"),
    path("cases/<str:reference>/clinical/", views.case_clinical, name="case_clinical"),
    path("cases/<str:reference>/notes/", views.case_note, name="case_note"),
    path("cases/<str:reference>/close/", views.case_close, name="case_close"),
    path("cases/<str:reference>/reopen/", views.case_reopen, name="case_reopen"),
    path("cases/<str:reference>/link-notification/", views.case_link_notification, name="case_link_notification"),
    # Contacts, follow-up calls, outbreaks and measures (helper C2's module).
    path("", include("oegd.infection.tracing_urls")),
]
