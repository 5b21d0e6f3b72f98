from django.urls import path

from oegd.interop import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Questionnaire", views.questionnaire_search, name="questionnaire_search"),
    path("Questionnaire/<str:fhir_id>", views.questionnaire_read, name="questionnaire_read"),
    path("QuestionnaireResponse", views.questionnaire_response_create, name="questionnaire_response_create"),
    path("QuestionnaireResponse/<str:reference>", views.questionnaire_response_read, name="questionnaire_response"),
    path("<path:rest>", views.unknown, name="unknown"),
]
