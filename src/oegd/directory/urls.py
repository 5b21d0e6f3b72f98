from django.urls import path

from oegd.directory import views

app_name = "directory"

urlpatterns = [
    path("responsibility/", views.responsibility, name="responsibility"),
    path("staff/directory/", views.staff_directory, name="staff_directory"),
]
