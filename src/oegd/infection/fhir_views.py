"""``POST /fhir/$process-notification``: DEMIS delivers a notification bundle to the office.

The API client (scope ``demis``) belongs to the receiving office; the notification is stored for
the office responsible for the notified person's residence (§ 11 IfSG). Answers are
OperationOutcomes: 201 for a new notification (Location of the stored record), 200 for a repeat
of a bundle identifier we already hold (nothing changes), 400/422 for a refused bundle.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oegd.core.access import api_token_required
from oegd.core.problems import operation_outcome
from oegd.infection.demis import NotificationRefused
from oegd.infection.ingestion import ingest_demis_bundle
from oegd.infection.models import Notification
from oegd.interop.capability import register_system_operation

MAX_NOTIFICATION_BYTES = 5 * 1024 * 1024  # the largest real § 6 bundles are ~40 KB
ACCEPTED_CONTENT_TYPES = {"application/fhir+json", "application/json"}
NOTIFICATION_SYSTEM = "https://oegd.example/fhir/NamingSystem/notification"

register_system_operation("process-notification")


def _outcome(status: int, notification: Notification, text: str) -> HttpResponse:
    """201/200 naming the stored notification, with the inbox item staff open as Location."""
    response = operation_outcome(
        status,
        text,
        code="informational",
        severity="information",
        details={"coding": [{"system": NOTIFICATION_SYSTEM, "code": str(notification.pk)}]},
    )
    response["Location"] = settings.SITE_URL + reverse("infection:notification", args=[notification.pk])
    return response


@api_token_required("demis")
@require_POST
def process_notification(request: HttpRequest) -> HttpResponse:
    """Receive one DEMIS notification bundle (or the Parameters of the operation holding it)."""
    content_type = request.content_type or ""
    if content_type not in ACCEPTED_CONTENT_TYPES:
        return operation_outcome(415, _("Send the notification as application/fhir+json."), code="not-supported")
    declared = request.headers.get("Content-Length", "")
    if (declared.isdigit() and int(declared) > MAX_NOTIFICATION_BYTES) or len(request.body) > MAX_NOTIFICATION_BYTES:
        return operation_outcome(413, _("The notification is too large."), code="too-costly")
    client = request.api_client  # type: ignore[attr-defined]
    try:
        result = ingest_demis_bundle(
            receiving_office=client.office, raw=request.body, source=Notification.Source.PUSH, actor=client
        )
    except NotificationRefused as refusal:
        return operation_outcome(
            refusal.status,
            refusal.message,
            code=refusal.code,
            expression=[refusal.expression] if refusal.expression else None,
        )
    notification = result.notification
    if result.created:
        return _outcome(
            201,
            notification,
            _("Notification %(identifier)s received (record %(id)s).")
            % {"identifier": notification.bundle_identifier, "id": notification.pk},
        )
    return _outcome(
        200,
        notification,
        _("Notification %(identifier)s was already received (record %(id)s); nothing changed.")
        % {"identifier": notification.bundle_identifier, "id": notification.pk},
    )
