"""Writes of secure messaging. Each is one transaction and records its audit event.

Who writes: a person (citizen, institution user or anonymous youth) on their side of a thread; a
staff member on the office's side (replies, internal notes, assignment, due dates, closing); an
API client for its office or institution. Follow-up notices go out on commit and never carry
the content of a message.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.core import audit
from oegd.core.crypto import encrypt_bytes
from oegd.core.models import ApiClient, Department, Office, User
from oegd.core.services import DomainError
from oegd.forms.attachments import AcceptedFile, PrivateStorage, scan_for_viruses
from oegd.messaging import access_codes
from oegd.messaging.models import AnonymousAccess, Message, MessageAttachment, TextBlock, Thread, Topic

logger = logging.getLogger("oegd.messaging")

MAX_BODY_CHARS = 10_000
MAX_SUBJECT_CHARS = 200
MAX_FILES_PER_MESSAGE = 5
MAX_WRONG_PINS = 5
LOCK_DURATION = timedelta(minutes=30)
# An anonymous access code works this long after its last use.
CODE_LIFETIME = timedelta(days=180)
ATTACHMENT_CONTEXT = "messaging.attachment"
# Checked against when a code is unknown, so both answers take the same time.
_DUMMY_PIN_HASH = make_password("00000000")


# --- refusals ------------------------------------------------------------------------------------


class ThreadClosed(DomainError):
    """A message to a closed thread."""


class MessageInvalid(DomainError):
    """An empty, too long or otherwise unusable message."""


class AccessRefused(DomainError):
    """Wrong code or wrong PIN: one message for both, so nothing tells whether a code exists."""


class AccessLocked(AccessRefused):
    """Too many wrong PINs for this code: locked for a while."""


class AccessExpired(AccessRefused):
    """Code and PIN are right, but the code is too old (or the thread moved into an account)."""


class PinInvalid(DomainError):
    """A PIN that is not 4 to 8 digits, or too easy to guess."""


def _refused() -> AccessRefused:
    return AccessRefused(_("The access code or the PIN is not right. Check them and try again."))


def _locked() -> AccessLocked:
    minutes = int(LOCK_DURATION.total_seconds() // 60)
    return AccessLocked(
        _("Too many wrong tries. For your safety, this code is locked for %(minutes)s minutes. Try again later.")
        % {"minutes": minutes}
    )


# --- files ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingFile:
    """A file that passed ``forms.attachments.check_upload``, with its bytes."""

    accepted: AcceptedFile
    data: bytes


def message_storage() -> PrivateStorage:
    """Encrypted attachment files under ``MEDIA_ROOT/messages`` (read on each call, so tests can move it)."""
    return PrivateStorage(
        location=Path(settings.MEDIA_ROOT) / "messages", file_permissions_mode=0o600, directory_permissions_mode=0o700
    )


def _write_files(files: list[IncomingFile]) -> list[tuple[IncomingFile, str, str]]:
    """Scan and write each file encrypted; returns (file, storage name, scan result). Raises on a refusal."""
    scanned = [(incoming, scan_for_viruses(incoming.data)) for incoming in files]  # all before any write
    storage = message_storage()
    written: list[tuple[IncomingFile, str, str]] = []
    try:
        for incoming, scan in scanned:
            if hashlib.sha256(incoming.data).hexdigest() != incoming.accepted.sha256:
                raise ValueError("data is not the file that was checked")
            key = uuid.uuid4().hex
            name = storage.save(
                f"{key[:2]}/{key[2:4]}/{key}", ContentFile(encrypt_bytes(incoming.data, context=ATTACHMENT_CONTEXT))
            )
            written.append((incoming, name, str(scan)))
    except BaseException:
        _delete_files([name for _incoming, name, _scan in written])
        raise
    return written


def _delete_files(names: list[str]) -> None:
    storage = message_storage()
    for name in names:
        storage.delete(name)


# --- messages ------------------------------------------------------------------------------------


def _clean_body(body: str, *, has_files: bool) -> str:
    text = (body or "").strip()
    if not text and not has_files:
        raise MessageInvalid(_("Please write a message."))
    if len(text) > MAX_BODY_CHARS:
        raise MessageInvalid(
            _("Your message is too long. Please use at most %(count)s characters.") % {"count": MAX_BODY_CHARS}
        )
    return text


def _check_files(files: list[IncomingFile]) -> None:
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise MessageInvalid(_("You can send at most %(count)s files at once.") % {"count": MAX_FILES_PER_MESSAGE})


def _add_message(
    *,
    actor: Any,
    thread: Thread,
    author_kind: str,
    body: str,
    files: list[IncomingFile],
    internal: bool = False,
    author: User | None = None,
    api_client: Any = None,
    idempotency_key: str = "",
    written: list[tuple[IncomingFile, str, str]],
) -> Message:
    """The message row, its attachments and the thread's new state (inside the caller's transaction)."""
    now = timezone.now()
    message = Message.objects.create(
        thread=thread,
        author_kind=author_kind,
        author=author,
        api_client=api_client,
        body=body,
        internal=internal,
        created_at=now,
        idempotency_key=idempotency_key,
    )
    MessageAttachment.objects.bulk_create(
        MessageAttachment(
            message=message,
            filename=incoming.accepted.filename,
            content_type=incoming.accepted.content_type,
            size=incoming.accepted.size,
            sha256=incoming.accepted.sha256,
            sha1=incoming.accepted.sha1_b64,
            storage_name=name,
            scan=scan,
            uploaded_at=now,
        )
        for incoming, name, scan in written
    )
    if not internal:
        thread.last_message_at = now
        thread.needs_reply = author_kind == Message.Author.PERSON
        thread.save(update_fields=["last_message_at", "needs_reply"])
    audit.record(
        actor,
        "message.note" if internal else "message.send",
        message,
        office=thread.office,
        subject=thread.citizen,
        purpose=f"{len(written)} file(s)" if written else "",
    )
    if not internal:
        from oegd.messaging.tasks import notify_about_message_task

        message_id = message.pk
        transaction.on_commit(lambda: notify_about_message_task.enqueue(message_id))
    return message


def post_message(
    *,
    actor: Any,
    thread: Thread,
    author_kind: str,
    body: str,
    files: list[IncomingFile] | None = None,
    internal: bool = False,
    idempotency_key: str = "",
) -> Message:
    """Add a message to an open thread (Nachricht senden); staff may add internal notes instead.

    ``actor``: the User writing, an ApiClient, or None for an anonymous youth. Refused: a closed
    thread (``ThreadClosed``), an empty or too long text, too many files. Files are scanned and
    written encrypted before the transaction; a refusal or a failure leaves nothing behind.
    """
    files = list(files or [])
    text = _clean_body(body, has_files=bool(files))
    _check_files(files)
    if internal and author_kind != Message.Author.STAFF:
        raise MessageInvalid(_("Only staff can write internal notes."))
    if internal and files:
        raise MessageInvalid(_("Internal notes cannot carry files."))
    if not internal and not Thread.objects.filter(pk=thread.pk, status=Thread.Status.OPEN).exists():
        raise ThreadClosed(_("This conversation is closed. You cannot write in it any more."))  # before any file
    written = _write_files(files)
    try:
        with transaction.atomic():
            locked = (
                Thread.objects.select_for_update(of=("self",)).select_related("office", "citizen").get(pk=thread.pk)
            )
            if not locked.is_open and not internal:
                raise ThreadClosed(_("This conversation is closed. You cannot write in it any more."))
            message = _add_message(
                actor=actor,
                thread=locked,
                author_kind=author_kind,
                author=actor if isinstance(actor, User) else None,
                api_client=actor if isinstance(actor, ApiClient) else None,
                body=text,
                files=files,
                internal=internal,
                idempotency_key=idempotency_key,
                written=written,
            )
    except BaseException:
        _delete_files([name for _incoming, name, _scan in written])
        raise
    thread.last_message_at, thread.needs_reply = locked.last_message_at, locked.needs_reply
    return message


def _clean_subject(subject: str) -> str:
    text = " ".join((subject or "").split())
    if not text:
        raise MessageInvalid(_("Please give your message a subject."))
    if len(text) > MAX_SUBJECT_CHARS:
        raise MessageInvalid(
            _("The subject is too long. Please use at most %(count)s characters.") % {"count": MAX_SUBJECT_CHARS}
        )
    return text


def _topic_of(office: Office, topic: Topic | None, *, anonymous: bool = False) -> Topic | None:
    if topic is None:
        return None
    if topic.office_id != office.pk or not topic.is_active or (anonymous and not topic.open_to_anonymous):
        raise MessageInvalid(_("Please choose one of the topics shown."))
    return topic


def start_thread(
    *,
    actor: Any,
    office: Office,
    subject: str,
    body: str,
    topic: Topic | None = None,
    citizen: User | None = None,
    institution: Any = None,
    files: list[IncomingFile] | None = None,
    language: str = "",
    notify_phone: str = "",
    case: Any = None,
    idempotency_key: str = "",
    on_behalf_of: Any = None,
    confidential: bool = False,
) -> Thread:
    """Start a conversation with an office (and the topic's team) as a citizen or an institution.

    The first message is the person's. ``notify_phone`` (normalised E.164) asks for a text message
    when the office answers. ``on_behalf_of``: the child (``portal.Dependant``) a parent writes for;
    refused unless the parent may act for them. ``confidential``: a youth's conversation that parents
    never see. Nothing is created when the office is inactive or anything is refused.
    """
    if on_behalf_of is not None:
        from oegd.portal.proxy import NONE, proxy_access

        if citizen is None or proxy_access(citizen, on_behalf_of, timezone.localdate()) == NONE:
            raise MessageInvalid(_("You can no longer write for this person."))
    if not office.is_active:
        raise MessageInvalid(_("This health office does not take messages here."))
    if citizen is None and institution is None:
        raise MessageInvalid(_("A conversation needs a person or an institution."))
    files = list(files or [])
    clean_subject = _clean_subject(subject)
    text = _clean_body(body, has_files=bool(files))
    _check_files(files)
    chosen = _topic_of(office, topic)
    written = _write_files(files)
    try:
        with transaction.atomic():
            thread = Thread.objects.create(
                office=office,
                team=chosen.team if chosen else None,
                topic=chosen,
                case=case,
                citizen=citizen,
                institution=institution,
                on_behalf_of=on_behalf_of,
                confidential=confidential,
                subject=clean_subject,
                language=(language or settings.LANGUAGE_CODE)[:10],
                notify_phone=notify_phone,
            )
            audit.record(
                actor,
                "message_thread.start",
                thread,
                office=office,
                subject=citizen,
                purpose=f"on behalf of dependant {on_behalf_of.pk}" if on_behalf_of is not None else "",
            )
            _add_message(
                actor=actor,
                thread=thread,
                author_kind=Message.Author.PERSON,
                author=actor if isinstance(actor, User) else None,
                api_client=actor if isinstance(actor, ApiClient) else None,
                body=text,
                files=files,
                idempotency_key=idempotency_key,
                written=written,
            )
    except BaseException:
        _delete_files([name for _incoming, name, _scan in written])
        raise
    return thread


# --- anonymous conversations ---------------------------------------------------------------------


def check_pin(pin: str) -> str:
    """The PIN if it is 4 to 8 digits and not trivially guessable; PinInvalid otherwise."""
    value = (pin or "").strip()
    if not (4 <= len(value) <= 8) or not value.isascii() or not value.isdigit():
        raise PinInvalid(_("Your PIN must have 4 to 8 digits."))
    steps = {int(b) - int(a) for a, b in zip(value, value[1:], strict=False)}
    if len(set(value)) == 1 or steps in ({1}, {-1}):
        raise PinInvalid(_("This PIN is too easy to guess. Please choose other digits."))
    return value


def start_anonymous_thread(
    *, office: Office, topic: Topic | None, subject: str, body: str, pin: str, language: str = "", files=None
) -> tuple[Thread, str]:
    """Start a conversation without an account (for young people); returns the thread and its code.

    The code is returned once and stored only as a keyed digest; the PIN only as a password hash.
    Nothing about the person is stored: no name, no address, no IP address, no contact.
    """
    if not office.is_active:
        raise MessageInvalid(_("This health office does not take messages here."))
    files = list(files or [])
    clean_subject = _clean_subject(subject)
    text = _clean_body(body, has_files=bool(files))
    _check_files(files)
    clean_pin = check_pin(pin)
    chosen = _topic_of(office, topic, anonymous=True)
    written = _write_files(files)
    try:
        with transaction.atomic():
            thread = Thread.objects.create(
                office=office,
                team=chosen.team if chosen else None,
                topic=chosen,
                started_anonymously=True,
                confidential=True,
                subject=clean_subject,
                language=(language or settings.LANGUAGE_CODE)[:10],
            )
            for _attempt in range(5):  # a clash of 100-bit codes is not going to happen; still, never reuse
                code = access_codes.generate_access_code()
                try:
                    with transaction.atomic():
                        AnonymousAccess.objects.create(
                            thread=thread,
                            code_digest=access_codes.access_code_digest(code),
                            pin_hash=make_password(clean_pin),
                            expires_at=timezone.now() + CODE_LIFETIME,
                        )
                    break
                except IntegrityError:
                    continue
            else:  # pragma: no cover - five clashes in a row
                raise RuntimeError("no free access code")
            audit.record(None, "message_thread.start_anonymous", thread, office=office)
            _add_message(
                actor=None, thread=thread, author_kind=Message.Author.PERSON, body=text, files=files, written=written
            )
    except BaseException:
        _delete_files([name for _incoming, name, _scan in written])
        raise
    return thread, code


def open_anonymous_thread(*, code: str, pin: str) -> Thread:
    """The thread behind an access code and PIN (zurückkehren), or a refusal.

    Wrong code and wrong PIN give the same ``AccessRefused``. After five wrong PINs for one code
    (known or not) the code is locked for 30 minutes (``AccessLocked``), even for the right PIN.
    A right PIN on an expired code, or on a thread moved into an account, gives ``AccessExpired``.
    """
    normalised = access_codes.normalise_access_code(code)
    pin = (pin or "").strip()
    if not normalised:
        check_password(pin, _DUMMY_PIN_HASH)
        raise _refused()
    digest = access_codes.access_code_digest(normalised)
    now = timezone.now()
    outcome: str
    with transaction.atomic():
        access = (
            AnonymousAccess.objects.select_for_update(of=("self",))
            .select_related("thread", "thread__office")
            .filter(code_digest=digest)
            .first()
        )
        if access is None:
            check_password(pin, _DUMMY_PIN_HASH)
            outcome = _count_unknown_code_failure(digest)
        elif access.locked_until is not None and access.locked_until > now:
            outcome = "locked"
        elif not check_password(pin, access.pin_hash):
            access.failed_attempts += 1
            outcome = "refused"
            if access.failed_attempts >= MAX_WRONG_PINS:
                access.failed_attempts, access.locked_until, outcome = 0, now + LOCK_DURATION, "locked"
            access.save(update_fields=["failed_attempts", "locked_until"])
            audit.record(None, "message_thread.wrong_pin", access.thread, office=access.thread.office)
        elif access.linked_at is not None:
            outcome = "linked"
        elif access.expires_at <= now:
            outcome = "expired"
        else:
            access.failed_attempts, access.locked_until = 0, None
            access.last_used_at, access.expires_at = now, now + CODE_LIFETIME
            access.save(update_fields=["failed_attempts", "locked_until", "last_used_at", "expires_at"])
            audit.record(None, "message_thread.return_anonymous", access.thread, office=access.thread.office)
            outcome = "ok"
    if outcome == "ok" and access is not None:
        return access.thread
    if outcome == "locked":
        raise _locked()
    if outcome == "linked":
        raise AccessExpired(_("You have moved this conversation into your account. Log in to read it."))
    if outcome == "expired":
        raise AccessExpired(_("This access code has expired. If you want, start a new conversation."))
    raise _refused()


def _count_unknown_code_failure(digest: str) -> str:
    window = int(LOCK_DURATION.total_seconds())
    if access_codes.unknown_code_failures(digest) >= MAX_WRONG_PINS:
        return "locked"
    count = access_codes.count_unknown_code_failure(digest, window)
    return "locked" if count >= MAX_WRONG_PINS else "refused"


def link_anonymous_thread(*, user: User, code: str, pin: str) -> Thread:
    """Move an anonymous conversation into a citizen's account; the history stays, the code stops working.

    The same checks (and lockout) as ``open_anonymous_thread``; only citizens with a confirmed
    e-mail address can link, so the office's answers can be announced to them.
    """
    if user.kind != User.Kind.CITIZEN:
        raise DomainError(_("Only a citizen account can take over a conversation."))
    thread = open_anonymous_thread(code=code, pin=pin)
    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=thread.pk)
        access = AnonymousAccess.objects.select_for_update().get(thread=locked)
        if access.linked_at is not None or locked.citizen_id is not None:
            raise AccessExpired(_("You have moved this conversation into your account. Log in to read it."))
        locked.citizen = user
        locked.language = user.language or locked.language
        locked.save(update_fields=["citizen", "language"])
        access.linked_at = timezone.now()
        access.save(update_fields=["linked_at"])
        audit.record(user, "message_thread.link_account", locked, office=locked.office, subject=user)
    return locked


# --- read receipts -------------------------------------------------------------------------------


def mark_read_by_person(*, thread: Thread) -> int:
    """The person opened the thread: the office's messages count as read (Lesebestätigung)."""
    return (
        thread.messages.filter(read_at__isnull=True, internal=False)
        .exclude(author_kind=Message.Author.PERSON)
        .update(read_at=timezone.now())
    )


def mark_read_by_staff(*, user: User, thread: Thread) -> int:
    """A staff member opened the thread: the person's messages count as read, by them."""
    return thread.messages.filter(read_at__isnull=True, author_kind=Message.Author.PERSON).update(
        read_at=timezone.now(), read_by=user
    )


# --- the team's side -----------------------------------------------------------------------------


def _staff_thread(thread: Thread) -> Thread:
    return Thread.objects.select_for_update(of=("self",)).select_related("office", "citizen").get(pk=thread.pk)


def assign_thread(*, actor: User, thread: Thread, assignee: User | None) -> Thread:
    """Give the thread to a staff member of its office (or to nobody)."""
    if assignee is not None and not assignee.offices().filter(pk=thread.office_id).exists():
        raise DomainError(_("This person does not work for this office."))
    with transaction.atomic():
        locked = _staff_thread(thread)
        locked.assignee = assignee
        locked.save(update_fields=["assignee"])
        audit.record(
            actor, "message_thread.assign", locked, subject=locked.citizen, purpose=assignee.email if assignee else ""
        )
    return locked


def set_due_date(*, actor: User, thread: Thread, due_on: date | None) -> Thread:
    """Set or clear the date by which the team wants to have answered (Wiedervorlage)."""
    with transaction.atomic():
        locked = _staff_thread(thread)
        locked.due_on = due_on
        locked.save(update_fields=["due_on"])
        audit.record(actor, "message_thread.due_date", locked, subject=locked.citizen, purpose=str(due_on or ""))
    return locked


def move_to_team(*, actor: User, thread: Thread, team: Department | None) -> Thread:
    """Hand the thread to another team of the same office."""
    if team is not None and team.office_id != thread.office_id:
        raise DomainError(_("This team belongs to another office."))
    with transaction.atomic():
        locked = _staff_thread(thread)
        locked.team = team
        locked.save(update_fields=["team"])
        audit.record(actor, "message_thread.move", locked, subject=locked.citizen, purpose=team.name if team else "")
    return locked


def link_case(*, actor: User, thread: Thread, case: Any) -> Thread:
    """Link the thread to a case file of the same office (or unlink it with None)."""
    if case is not None and case.office_id != thread.office_id:
        raise DomainError(_("This case belongs to another office."))
    with transaction.atomic():
        locked = _staff_thread(thread)
        locked.case = case
        locked.save(update_fields=["case"])
        audit.record(actor, "message_thread.link_case", locked, subject=locked.citizen, purpose=str(case or ""))
    return locked


def close_thread(*, actor: Any, thread: Thread) -> Thread:
    """Close the conversation: nobody can write in it any more; it can be reopened by staff."""
    with transaction.atomic():
        locked = _staff_thread(thread)
        if locked.status != Thread.Status.CLOSED:
            locked.status, locked.closed_at, locked.needs_reply = Thread.Status.CLOSED, timezone.now(), False
            locked.save(update_fields=["status", "closed_at", "needs_reply"])
            audit.record(actor, "message_thread.close", locked, subject=locked.citizen)
    return locked


def reopen_thread(*, actor: User, thread: Thread) -> Thread:
    with transaction.atomic():
        locked = _staff_thread(thread)
        if locked.status != Thread.Status.OPEN:
            locked.status, locked.closed_at = Thread.Status.OPEN, None
            locked.save(update_fields=["status", "closed_at"])
            audit.record(actor, "message_thread.reopen", locked, subject=locked.citizen)
    return locked


# --- topics and text blocks ----------------------------------------------------------------------


def save_topic(
    *,
    actor: User,
    office: Office,
    topic: Topic | None = None,
    slug: str,
    name_de: str,
    name_en: str = "",
    team: Department | None = None,
    open_to_anonymous: bool = False,
    notify_email: str = "",
    is_active: bool = True,
    position: int = 0,
) -> Topic:
    """Create or change a topic people can write about (office administrators)."""
    if team is not None and team.office_id != office.pk:
        raise DomainError(_("This team belongs to another office."))
    duplicate = Topic.objects.filter(office=office, slug=slug)
    if topic is not None:
        duplicate = duplicate.exclude(pk=topic.pk)
    if duplicate.exists():
        raise DomainError(_("A topic with this short name exists already."))
    with transaction.atomic():
        if topic is None:
            topic = Topic(office=office)
        texts = dict(topic.texts or {})
        texts["de"] = {**texts.get("de", {}), "name": name_de.strip()}
        if name_en.strip():
            texts["en"] = {**texts.get("en", {}), "name": name_en.strip()}
        topic.slug, topic.texts, topic.team = slug, texts, team
        topic.open_to_anonymous, topic.notify_email = open_to_anonymous, notify_email
        topic.is_active, topic.position = is_active, position
        topic.save()
        audit.record(actor, "message_topic.save", topic, office=office)
    return topic


def save_text_block(
    *,
    actor: User,
    office: Office,
    block: TextBlock | None = None,
    title: str,
    body: str,
    team: Department | None = None,
    is_active: bool = True,
) -> TextBlock:
    """Create or change a text block (Textbaustein) of the office."""
    if team is not None and team.office_id != office.pk:
        raise DomainError(_("This team belongs to another office."))
    duplicate = TextBlock.objects.filter(office=office, title=title.strip())
    if block is not None:
        duplicate = duplicate.exclude(pk=block.pk)
    if duplicate.exists():
        raise DomainError(_("A text block with this title exists already."))
    with transaction.atomic():
        if block is None:
            block = TextBlock(office=office)
        block.title, block.body, block.team, block.is_active = title.strip(), body.strip(), team, is_active
        block.save()
        audit.record(actor, "text_block.save", block, office=office)
    return block
