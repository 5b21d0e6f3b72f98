"""FHIR Questionnaire engine: form definitions and response validation (Formularserver)."""
