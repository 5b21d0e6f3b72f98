"""Download all my data (GDPR Art. 15 and 20): one JSON document for machines, one PDF for people.

Everything comes from the person's own rows: profile, requests with their answers, appointments,
conversations with messages (decrypted; the team's internal notes are not the person's data and
stay out), documents released to them, the children they act for, and who accessed their data.
"""

from __future__ import annotations

import json
from typing import Any

import weasyprint
from django.template.loader import render_to_string
from django.utils import timezone

from oegd.appointments.selectors import appointments_of_citizen
from oegd.core import audit
from oegd.core.models import User
from oegd.forms import selectors as form_selectors
from oegd.messaging.models import Thread
from oegd.portal import proxy
from oegd.portal.selectors import access_log_of_citizen, documents_of_citizen


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def personal_data(user: User) -> dict[str, Any]:
    """The person's data as plain JSON-ready values (their own threads only, not their children's)."""
    profile = getattr(user, "citizen_profile", None)
    threads = (
        Thread.objects.filter(citizen=user).select_related("office", "topic", "on_behalf_of").order_by("created_at")
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "email": user.email,
            "full_name": user.full_name,
            "language": user.language,
            "registered_at": _when(user.date_joined),
            "postal_code": profile.postal_code if profile else "",
            "place": profile.place if profile else "",
            "accessibility_needs": profile.accessibility_needs if profile else "",
        },
        "requests": [
            {
                "reference": submission.reference,
                "service": str(submission.service),
                "submitted_at": _when(submission.submitted_at),
                "status": submission.case.get_status_display() if submission.case_id else "",
                "answers": json.loads(submission.response or "{}"),
            }
            for submission in form_selectors.submissions_of(user)
        ],
        "appointments": [
            {
                "type": str(appointment.appointment_type),
                "office": appointment.office.name,
                "start": _when(appointment.start),
                "end": _when(appointment.end),
                "status": appointment.status,
                "name": appointment.name,
                "email": appointment.email,
                "phone": appointment.phone,
                "note": appointment.note,
            }
            for appointment in appointments_of_citizen(user).select_related("office", "appointment_type")
        ],
        "conversations": [
            {
                "subject": thread.subject,
                "office": thread.office.name,
                "topic": thread.topic.name if thread.topic else "",
                "status": thread.status,
                "confidential": thread.confidential,
                "on_behalf_of": str(thread.on_behalf_of) if thread.on_behalf_of else "",
                "started_at": _when(thread.created_at),
                "messages": [
                    {
                        "from": message.author_kind,
                        "sent_at": _when(message.created_at),
                        "text": message.body,
                        "files": [attachment.filename for attachment in message.attachments.all()],
                    }
                    for message in thread.messages.filter(internal=False).prefetch_related("attachments")
                ],
            }
            for thread in threads
        ],
        "documents": [
            {
                "title": document.title,
                "office": document.case.office.name,
                "created_at": _when(document.created_at),
                "sha256": document.sha256,
                "verification_code": document.verification_code,
            }
            for document in documents_of_citizen(user)
        ],
        "children": [
            {
                "given_name": dependant.given_name,
                "family_name": dependant.family_name,
                "birth_date": dependant.birth_date.isoformat(),
            }
            for dependant in proxy.dependants_of(user)
        ],
        "access_log": [
            {"at": _when(event.at), "who": event.actor_label, "action": event.action, "purpose": event.purpose}
            for event in access_log_of_citizen(user)
        ],
    }


def export_json(*, user: User) -> bytes:
    """The JSON download (audited)."""
    data = personal_data(user)
    audit.record(user, "account.export", user, subject=user, purpose="json")
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def export_pdf(*, user: User) -> bytes:
    """A readable summary of the same data as PDF (audited)."""
    from oegd.forms.receipts import data_only_url_fetcher

    html = render_to_string("portal/export.html", {"data": personal_data(user)})
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=data_only_url_fetcher()).write_pdf()
    audit.record(user, "account.export", user, subject=user, purpose="pdf")
    return pdf
