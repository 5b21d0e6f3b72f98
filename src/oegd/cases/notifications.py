"""What a case tells its citizen: that there is news (never what it is), and invitations to book."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from oegd.cases.models import Case
from oegd.core.services import DomainError


def _citizen_language(case: Case) -> str:
    return (case.subject.language if case.subject else "") or settings.LANGUAGE_CODE


def send_case_news(case: Case) -> None:
    """E-mail the citizen that their request has news, on commit; the mail holds only the reference
    and a link to the status page, never health data."""
    if case.subject is None or not case.subject.email:
        return
    language = _citizen_language(case)
    email = case.subject.email
    with translation.override(language):
        subject = _("News about your request %(reference)s") % {"reference": case.reference}
        body = render_to_string(
            "cases/email/case_news.txt",
            {
                "reference": case.reference,
                "office": case.office.name,
                "status_url": settings.SITE_URL.rstrip("/") + reverse("portal:my_area"),
            },
        )
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))


def invite_citizen_to_appointment(*, actor: Any, case: Case, type_slug: str) -> None:
    """Invite the case's citizen to book an appointment of the case's office (e-mail on commit)."""
    from oegd.appointments import notifications as appointment_notifications
    from oegd.appointments import services as appointment_services
    from oegd.appointments.models import AppointmentType

    appointment_type = AppointmentType.objects.filter(office=case.office, slug=type_slug, is_active=True).first()
    if appointment_type is None:
        raise DomainError(_("The office has no active appointment type %(slug)s to invite to.") % {"slug": type_slug})
    if case.subject is None or not case.subject.email:
        raise DomainError(_("The case has no citizen with an e-mail address to invite."))
    invitation, token = appointment_services.create_invitation(
        actor=actor,
        appointment_type=appointment_type,
        name=case.subject.full_name or case.subject.email,
        email=case.subject.email,
        case=case,
    )
    language = _citizen_language(case)
    transaction.on_commit(lambda: appointment_notifications.send_invitation(invitation, token, language))
