"""Notices that a new message is waiting. They never carry the message, its subject or its files:
only who wrote (the health office) and a link that needs a login.

- the citizen: an e-mail to the account's address, and a text message if they gave a number;
- an institution: an e-mail to the institution's address;
- an anonymous youth: nothing (there is no contact, on purpose);
- staff: the assignee gets an e-mail when the person writes; a topic's team mailbox gets one when a
  conversation starts.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from oegd.messaging.models import Message, Thread

logger = logging.getLogger("oegd.messaging")


def person_link(thread: Thread) -> str:
    return settings.SITE_URL + reverse("messaging:thread", args=[thread.public_id])


def staff_link(thread: Thread) -> str:
    return settings.SITE_URL + reverse("messaging_staff:thread", args=[thread.public_id])


def new_message_sms_text(thread: Thread) -> str:
    """The text message: that there is a message, and the link. Nothing else."""
    with translation.override(thread.language):
        return gettext("You have a new message from your health office. Log in to read it: %(link)s") % {
            "link": person_link(thread)
        }


def _send(*, to: list[str], subject: str, template: str, context: dict[str, object], reply_to: str = "") -> None:
    body = render_to_string(f"messaging/email/{template}", context)
    EmailMessage(
        subject=" ".join(subject.split()),
        body=re.sub(r"\n{3,}", "\n\n", body).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=[reply_to] if reply_to else None,
    ).send()


def _notify_person(thread: Thread) -> list[str]:
    sent: list[str] = []
    office = thread.office
    context = {"office_name": office.name, "office_phone": office.phone, "link": person_link(thread)}
    if thread.citizen_id is not None and thread.citizen.is_active:
        language = thread.citizen.language or thread.language
        with translation.override(language):
            _send(
                to=[thread.citizen.email],
                subject=gettext("New message from your health office"),
                template="new_message.txt",
                context={**context, "name": thread.citizen.full_name},
            )
        sent.append("email")
        if thread.notify_phone:
            from oegd.appointments.notifications import InvalidPhoneNumber, send_sms

            try:
                send_sms(to=thread.notify_phone, text=new_message_sms_text(thread))
                sent.append("sms")
            except InvalidPhoneNumber:
                logger.warning("thread %s: notify phone unusable", thread.pk)
    elif thread.institution_id is not None and thread.institution.email:
        with translation.override(thread.language):
            _send(
                to=[thread.institution.email],
                subject=gettext("New message from your health office"),
                template="new_message.txt",
                context={**context, "name": thread.institution.name},
            )
        sent.append("email")
    return sent


def _notify_staff(thread: Thread, message: Message, first: bool) -> list[str]:
    sent: list[str] = []
    context = {"link": staff_link(thread), "office_name": thread.office.name}
    with translation.override(settings.LANGUAGE_CODE):
        if thread.assignee_id is not None and thread.assignee.is_active and thread.assignee_id != message.author_id:
            _send(
                to=[thread.assignee.email],
                subject=gettext("New message in a conversation assigned to you"),
                template="staff_new_message.txt",
                context=context,
            )
            sent.append("assignee")
        if first and thread.topic_id is not None and thread.topic.notify_email:
            _send(
                to=[thread.topic.notify_email],
                subject=gettext("New conversation in the team inbox"),
                template="staff_new_thread.txt",
                context=context,
            )
            sent.append("team")
    return sent


def notify_about_message(message_id: int) -> list[str]:
    """Send the notices for one message, once (``notified_at`` is set under a row lock); returns
    what went out ("email", "sms", "assignee", "team")."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related(
                "thread",
                "thread__office",
                "thread__citizen",
                "thread__institution",
                "thread__assignee",
                "thread__topic",
            )
            .filter(pk=message_id, notified_at__isnull=True, internal=False)
            .first()
        )
        if message is None:
            return []
        thread = message.thread
        if message.author_kind == Message.Author.PERSON:
            first = not thread.messages.filter(internal=False, created_at__lt=message.created_at).exists()
            sent = _notify_staff(thread, message, first)
        else:
            sent = _notify_person(thread)
        message.notified_at = timezone.now()
        message.save(update_fields=["notified_at"])
    return sent
