from django.urls import path

from oegd.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("info/", views.info, name="info"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("my/", views.my_area, name="my_area"),
]
