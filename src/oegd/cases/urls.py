from django.urls import path

from oegd.cases import views

app_name = "cases"

urlpatterns = [
    path("staff/tasks/", views.worklist, name="worklist"),
    path("staff/tasks/assign/", views.assign_tasks, name="assign_tasks"),
    path("staff/tasks/<int:task_id>/", views.task_detail, name="task"),
    path("staff/tasks/<int:task_id>/complete/", views.task_complete, name="task_complete"),
    path("staff/tasks/<int:task_id>/hold/", views.task_hold, name="task_hold"),
    path("staff/cases/", views.case_list, name="list"),
    path("staff/cases/<str:reference>/", views.case_detail, name="detail"),
    path("staff/cases/<str:reference>/milestone/", views.add_milestone, name="milestone"),
    path("staff/cases/<str:reference>/update/", views.update_case, name="update"),
    path("staff/cases/<str:reference>/notes/", views.add_note, name="note"),
    path("staff/cases/<str:reference>/entries/", views.add_entry, name="entry"),
    path("staff/cases/<str:reference>/checklist/", views.add_checklist_item, name="checklist_add"),
    path("staff/cases/<str:reference>/checklist/<int:item_id>/", views.tick_checklist_item, name="checklist_tick"),
    path("staff/cases/<str:reference>/tags/", views.set_tags, name="tags"),
    path("staff/cases/<str:reference>/related/", views.relate_case, name="relate"),
    path("staff/cases/<str:reference>/legal-hold/", views.legal_hold, name="legal_hold"),
]
