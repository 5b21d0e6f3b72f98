"""Staff routes of secure messaging; the project includes them at ``staff/messages/``."""

from django.urls import path

from oegd.messaging import staff_views as views

app_name = "messaging_staff"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/topics/<int:topic_id>/", views.topic_edit, name="topic_edit"),
    path("settings/text-blocks/<int:block_id>/", views.text_block_edit, name="text_block_edit"),
    path("<str:public_id>/", views.thread_detail, name="thread"),
    path("<str:public_id>/manage/", views.thread_manage, name="manage"),
    path("<str:public_id>/files/<str:file_id>/", views.file_download, name="file"),
]
