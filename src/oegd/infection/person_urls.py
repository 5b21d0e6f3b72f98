"""Staff pages for person records and duplicates, mounted at /staff/infection/persons/."""

from django.urls import path

from oegd.infection import person_views as views

app_name = "infection_persons"

urlpatterns: list = [
    path("review/", views.review_queue, name="review"),
    path("review/<int:pk>/", views.match_detail, name="match"),
    path("review/<int:pk>/merge/", views.match_merge, name="match_merge"),
    path("review/<int:pk>/distinct/", views.match_distinct, name="match_distinct"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
    path("<int:pk>/", views.person_detail, name="person"),
]
