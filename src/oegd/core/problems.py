"""Error answers for machines: RFC 9457 problem+json (REST) and OperationOutcome (FHIR)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"
FHIR_CONTENT_TYPE = "application/fhir+json"


def problem_response(status: int, title: str, detail: str = "", **extra: Any) -> HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE)


def operation_outcome(
    status: int,
    diagnostics: str,
    *,
    code: str = "processing",
    severity: str = "error",
    expression: list[str] | None = None,
    details: dict[str, Any] | None = None,
) -> HttpResponse:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if details:
        issue["details"] = details  # a CodeableConcept, e.g. naming the record the answer is about
    if expression:
        issue["expression"] = expression
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=FHIR_CONTENT_TYPE)
