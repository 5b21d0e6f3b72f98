"""Citizen, institution and anonymous routes of secure messaging (staff routes: ``staff_urls``)."""

from django.urls import path

from oegd.messaging import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.index, name="index"),
    path("messages/anonymous/", views.anonymous_start, name="anonymous_start"),
    path("messages/anonymous/return/", views.anonymous_return, name="anonymous_return"),
    path("messages/anonymous/code/", views.anonymous_started, name="anonymous_started"),
    path("messages/anonymous/conversation/", views.anonymous_conversation, name="anonymous_conversation"),
    path(
        "messages/anonymous/conversation/<str:public_id>/files/<str:file_id>/",
        views.anonymous_file,
        name="anonymous_file",
    ),
    path("messages/anonymous/leave/", views.anonymous_leave, name="anonymous_leave"),
    path("messages/anonymous/to/<slug:office_slug>/", views.anonymous_write, name="anonymous_write"),
    path("my/messages/", views.mine, name="mine"),
    path("my/messages/new/", views.new_thread, name="new"),
    path("my/messages/new/<slug:office_slug>/", views.new_write, name="new_write"),
    path("my/messages/link/", views.link_thread, name="link"),
    path("my/messages/<str:public_id>/", views.thread_detail, name="thread"),
    path("my/messages/<str:public_id>/files/<str:file_id>/", views.file_download, name="file"),
]
