from django.urls import path

from oegd.infection import fhir_views as fhir_demis
from oegd.interop import appointments as fhir_appointments
from oegd.interop import communications as fhir_communications
from oegd.interop import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Questionnaire", views.questionnaire_search, name="questionnaire_search"),
    path("Questionnaire/<str:fhir_id>", views.questionnaire_read, name="questionnaire_read"),
    path("QuestionnaireResponse", views.questionnaire_response_create, name="questionnaire_response_create"),
    path("QuestionnaireResponse/<str:reference>", views.questionnaire_response_read, name="questionnaire_response"),
    path("Schedule", fhir_appointments.schedule_search, name="schedule_search"),
    path("Schedule/<str:fhir_id>", fhir_appointments.schedule_read, name="schedule_read"),
    path("Slot", fhir_appointments.slot_search, name="slot_search"),
    path("Appointment", fhir_appointments.appointment_endpoint, name="appointment"),
    path("Appointment/<str:public_id>", fhir_appointments.appointment_read, name="appointment_read"),
    path("Communication", fhir_communications.communication_endpoint, name="communication"),
    path("Communication/<str:message_id>", fhir_communications.communication_read, name="communication_read"),
    path("$process-notification", fhir_demis.process_notification, name="process_notification"),
    path("<path:rest>", views.unknown, name="unknown"),
]
