"""Reads of secure messaging, always scoped to who asks: the person, the staff member's office,
or the API client's office and institution. Anything else is a 404."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from oegd.core import audit
from oegd.core.crypto import decrypt_bytes
from oegd.core.models import Department, Office, User
from oegd.core.services import DomainError
from oegd.core.stored_files import StoredFileUnreadable, read_verified
from oegd.messaging.models import Message, MessageAttachment, TextBlock, Thread, Topic

logger = logging.getLogger("oegd.messaging")

INBOX_PAGE_SIZE = 25


class AttachmentUnavailable(DomainError):
    """A stored file that is missing, altered or cannot be decrypted."""


def _uuid_or_404(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise Http404 from None


# --- what people can choose ----------------------------------------------------------------------


def offices_taking_messages() -> QuerySet[Office]:
    return Office.objects.filter(is_active=True).order_by("name")


def topics_of_office(*, office: Office, anonymous: bool = False) -> QuerySet[Topic]:
    """Active topics of an office; with ``anonymous`` only those open to young people without an account."""
    topics = Topic.objects.filter(office=office, is_active=True)
    if anonymous:
        topics = topics.filter(open_to_anonymous=True)
    return topics.order_by("position", "slug")


def offices_for_anonymous() -> QuerySet[Office]:
    """Active offices with at least one topic open to anonymous young people."""
    topics = Topic.objects.filter(is_active=True, open_to_anonymous=True).values("office_id")
    return offices_taking_messages().filter(pk__in=topics)


# --- the person's side ---------------------------------------------------------------------------


def threads_of_person(user: User) -> QuerySet[Thread]:
    """A citizen's own threads (and, as a parent, their children's by age: ``portal.proxy``), or an
    institution user's institutions' threads, newest first."""
    from oegd.portal.proxy import guardian_thread_filter

    if user.kind == User.Kind.INSTITUTION:
        threads = Thread.objects.filter(institution__in=user.institutions.all())
    else:
        threads = Thread.objects.filter(guardian_thread_filter(user))
    return threads.select_related("office", "topic", "institution", "on_behalf_of").order_by("-last_message_at", "-id")


def get_thread_for_person(*, user: User, public_id: str) -> Thread:
    """The person's thread; 404 for any other. A parent refused a child's thread is recorded (nothing shown)."""
    from oegd.portal.proxy import refused_child_thread

    wanted = _uuid_or_404(public_id)
    thread = threads_of_person(user).filter(public_id=wanted).first()
    if thread is None:
        other = Thread.objects.filter(public_id=wanted).select_related("office", "citizen").first()
        if other is not None and user.kind == User.Kind.CITIZEN and refused_child_thread(user, other):
            audit.record(user, "message_thread.proxy_refused", other, office=other.office, subject=other.citizen)
        raise Http404
    return thread


def messages_for_person(thread: Thread) -> list[Message]:
    """What the person sees: every message but the team's internal notes, oldest first."""
    return list(
        thread.messages.filter(internal=False)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=MessageAttachment.objects.order_by("uploaded_at", "id")))
        .order_by("created_at", "id")
    )


def unread_count_for_person(user: User) -> int:
    """How many of the office's messages the person has not opened yet."""
    return (
        Message.objects.filter(thread__in=threads_of_person(user), internal=False, read_at__isnull=True)
        .exclude(author_kind=Message.Author.PERSON)
        .count()
    )


def unread_thread_ids(threads: list[Thread]) -> set[int]:
    """Which of these threads hold an office message the person has not opened yet (one query)."""
    return set(
        Message.objects.filter(thread__in=threads, internal=False, read_at__isnull=True)
        .exclude(author_kind=Message.Author.PERSON)
        .values_list("thread_id", flat=True)
    )


def get_anonymous_thread(thread_id: int) -> Thread | None:
    """An anonymous thread still reachable with its code (not moved into an account)."""
    return (
        Thread.objects.select_related("office", "topic", "anonymous_access")
        .filter(
            pk=thread_id,
            started_anonymously=True,
            citizen__isnull=True,
            anonymous_access__isnull=False,
            anonymous_access__linked_at__isnull=True,
        )
        .first()
    )


def get_attachment_for_person(*, thread: Thread, public_id: str) -> MessageAttachment:
    return get_object_or_404(
        MessageAttachment.objects.select_related("message"),
        message__thread=thread,
        message__internal=False,
        public_id=_uuid_or_404(public_id),
    )


# --- the office's side ---------------------------------------------------------------------------


def threads_of_office(office: Office) -> QuerySet[Thread]:
    return Thread.objects.filter(office=office)


def get_thread_for_staff(*, user: User, office: Office, public_id: str) -> Thread:
    """A thread of the active office (the read is audited); 404 for every other office's thread."""
    thread = get_object_or_404(
        threads_of_office(office).select_related(
            "office", "team", "topic", "case", "citizen", "institution", "assignee", "anonymous_access"
        ),
        public_id=_uuid_or_404(public_id),
    )
    audit.record(user, "message_thread.read", thread, office=office, subject=thread.citizen)
    return thread


def messages_for_staff(thread: Thread) -> list[Message]:
    """Every message including internal notes, oldest first, with authors, readers and files."""
    return list(
        thread.messages.select_related("author", "read_by", "api_client")
        .prefetch_related(Prefetch("attachments", queryset=MessageAttachment.objects.order_by("uploaded_at", "id")))
        .order_by("created_at", "id")
    )


def get_attachment_for_staff(*, thread: Thread, public_id: str) -> MessageAttachment:
    return get_object_or_404(
        MessageAttachment.objects.select_related("message"), message__thread=thread, public_id=_uuid_or_404(public_id)
    )


def topics_for_admin(office: Office) -> QuerySet[Topic]:
    return Topic.objects.filter(office=office).select_related("team").order_by("position", "slug")


def text_blocks_for_admin(office: Office) -> QuerySet[TextBlock]:
    return TextBlock.objects.filter(office=office).select_related("team").order_by("title")


def teams_of_office(office: Office) -> QuerySet[Department]:
    return Department.objects.filter(office=office).order_by("name")


def staff_of_office(office: Office) -> QuerySet[User]:
    return (
        User.objects.filter(kind=User.Kind.STAFF, is_active=True, memberships__office=office)
        .distinct()
        .order_by("full_name", "email")
    )


def team_of(user: User, office: Office) -> Department | None:
    """The staff member's own team in the office (from their membership), if any."""
    membership = user.memberships.filter(office=office, department__isnull=False).select_related("department").first()
    return membership.department if membership else None


def text_blocks_for(*, office: Office, team: Department | None = None) -> QuerySet[TextBlock]:
    """Active text blocks of the office: those for everyone and those of ``team``."""
    blocks = TextBlock.objects.filter(office=office, is_active=True)
    blocks = blocks.filter(Q(team__isnull=True) | Q(team=team)) if team is not None else blocks
    return blocks.order_by("title")


def get_text_block(*, office: Office, block_id: Any) -> TextBlock | None:
    try:
        return text_blocks_for(office=office).filter(pk=int(block_id)).first()
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class InboxFilter:
    """What the team inbox shows: a team ("" all, "none" without team, or a team id), a status,
    whose threads ("" anyone's, "me", "none" unassigned) and whether only those awaiting an answer."""

    team: str = ""
    status: str = Thread.Status.OPEN
    assignee: str = ""
    needs_reply: bool = False


@dataclass(frozen=True)
class InboxPage:
    threads: list[Thread]
    next_cursor: str


def _cursor(thread: Thread) -> str:
    return f"{thread.last_message_at.isoformat()}_{thread.pk}"


def _parse_cursor(cursor: str) -> tuple[datetime, int] | None:
    moment, _sep, pk = (cursor or "").replace(" ", "+").rpartition("_")
    try:
        return datetime.fromisoformat(moment), int(pk)
    except ValueError:
        return None


def team_inbox(
    *, user: User, office: Office, wanted: InboxFilter, cursor: str = "", limit: int = INBOX_PAGE_SIZE
) -> InboxPage:
    """One page of the office's threads, newest activity first (keyset paging: no OFFSET, no count).

    The filters map onto the indexes ``thread_team_inbox`` (office, team, status, last_message_at),
    ``thread_office_inbox`` and ``thread_assignee_inbox``; one query for the rows and their topic,
    team, assignee, citizen and institution.
    """
    threads = Thread.objects.filter(status=wanted.status)
    if wanted.assignee == "me":
        threads = threads.filter(assignee=user, office=office)
    else:
        threads = threads.filter(office=office)
        if wanted.assignee == "none":
            threads = threads.filter(assignee__isnull=True)
    if wanted.team == "none":
        threads = threads.filter(team__isnull=True)
    elif wanted.team:
        try:
            threads = threads.filter(team_id=int(wanted.team))
        except ValueError:
            threads = threads.none()
    if wanted.needs_reply:
        threads = threads.filter(needs_reply=True)
    after = _parse_cursor(cursor)
    if after is not None:
        moment, pk = after
        threads = threads.filter(Q(last_message_at__lt=moment) | Q(last_message_at=moment, pk__lt=pk))
    rows = list(
        threads.select_related("topic", "team", "assignee", "citizen", "institution").order_by(
            "-last_message_at", "-id"
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(threads=rows, next_cursor=_cursor(rows[-1]) if more and rows else "")


# --- files ---------------------------------------------------------------------------------------


def read_attachment(attachment: MessageAttachment) -> bytes:
    """The decrypted bytes of ``attachment``, checked against their SHA-256. Check permission first."""
    from oegd.messaging.services import ATTACHMENT_CONTEXT, message_storage

    try:
        return read_verified(
            message_storage(),
            attachment.storage_name,
            attachment.sha256,
            label=f"message attachment {attachment.public_id}",
            decode=lambda data: decrypt_bytes(data, context=ATTACHMENT_CONTEXT),
        )
    except StoredFileUnreadable as exc:
        raise AttachmentUnavailable(_unavailable()) from exc


def _unavailable() -> str:
    from django.utils.translation import gettext

    return gettext("The file is no longer available.")


# --- API clients ---------------------------------------------------------------------------------


def threads_for_client(client: Any) -> QuerySet[Thread]:
    """The threads an API client may see: its office's, and of those only its institution's if it has one."""
    threads = Thread.objects.filter(office_id=client.office_id)
    if client.institution_id is not None:
        threads = threads.filter(institution_id=client.institution_id)
    return threads


def messages_for_client(client: Any) -> QuerySet[Message]:
    """Visible messages (no internal notes) of the client's threads."""
    return Message.objects.filter(thread__in=threads_for_client(client), internal=False).select_related(
        "thread",
        "thread__office",
        "thread__team",
        "thread__topic",
        "thread__case",
        "thread__institution",
        "thread__citizen",
        "author",
    )
