from django.urls import path

from oegd.cases import views

app_name = "cases"

urlpatterns = [
    path("staff/cases/", views.case_list, name="list"),
    path("staff/cases/<str:reference>/", views.case_detail, name="detail"),
    path("staff/cases/<str:reference>/milestone/", views.add_milestone, name="milestone"),
]
