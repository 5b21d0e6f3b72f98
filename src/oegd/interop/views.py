from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from oegd.core.access import public
from oegd.core.problems import FHIR_CONTENT_TYPE, operation_outcome
from oegd.interop.capability import capability_statement


@public
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/metadata``: what this FHIR server offers (public, as FHIR requires)."""
    return HttpResponse(capability_statement().model_dump_json(), content_type=FHIR_CONTENT_TYPE)


@public
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return operation_outcome(404, f"Unknown FHIR path: {rest}", code="not-found")
