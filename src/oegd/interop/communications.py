"""Secure messages over FHIR R4: ``Communication`` (one per message; internal notes never leave).

- ``GET /fhir/Communication?part-of=<thread id>&identifier=&status=&_lastUpdated=``: the messages an
  API client with the scope "messaging" may see: its office's threads, and if the client acts for an
  institution (school, day-care centre, ...) only that institution's threads.
- ``GET /fhir/Communication/<id>``: one message, with its files inline (base64).
- ``POST /fhir/Communication``: a new message in a thread (``partOf`` names the thread by identifier,
  or ``inResponseTo`` an earlier message); without either, an institution's client starts a new
  thread (``topic.text`` is the subject, ``category`` may name a topic of the office). Files go in
  ``payload.contentAttachment`` with base64 ``data`` and are checked like form attachments. A
  repeated delivery (same ``Idempotency-Key`` header or same ``identifier``) gives 200 with the
  first message and creates nothing.

A thread is identified by ``{"system": THREAD_SYSTEM, "value": <thread uuid>}``, a message by its
uuid (the resource id, also its identifier in ``MESSAGE_SYSTEM``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from pydantic import ValidationError

from oegd.core import audit
from oegd.core.access import api_token_required
from oegd.core.problems import operation_outcome
from oegd.interop.appointments import (
    SearchParameterInvalid,
    _bad_parameter,
    _paging,
    _searchset,
    _tokens,
    parse_date_range,
)
from oegd.interop.capability import ResourceCapability, register_resource
from oegd.interop.views import MAX_BODY_BYTES, fhir_json

THREAD_SYSTEM = "https://oegd.example/fhir/NamingSystem/message-thread"
MESSAGE_SYSTEM = "https://oegd.example/fhir/NamingSystem/message"
TOPIC_SYSTEM = "https://oegd.example/fhir/CodeSystem/message-topic"
CASE_SYSTEM = "https://oegd.example/fhir/NamingSystem/case"
OFFICE_SYSTEM = "https://oegd.example/fhir/NamingSystem/office"
INSTITUTION_SYSTEM = "https://oegd.example/fhir/NamingSystem/institution"
THREAD_STATUS_URL = "https://oegd.example/fhir/StructureDefinition/message-thread-status"

register_resource(
    ResourceCapability(
        "Communication",
        interactions=["create", "read", "search-type"],
        search_params=[
            ("part-of", "reference"),
            ("identifier", "token"),
            ("status", "token"),
            ("_lastUpdated", "date"),
        ],
    )
)


# --- resources -----------------------------------------------------------------------------------


def _office_party(thread: Any) -> dict[str, Any]:
    display = thread.office.name + (f" – {thread.team.name}" if thread.team_id else "")
    return {"identifier": {"system": OFFICE_SYSTEM, "value": thread.office.slug}, "display": display}


def _person_party(thread: Any) -> dict[str, Any]:
    if thread.institution_id is not None:
        return {
            "identifier": {"system": INSTITUTION_SYSTEM, "value": str(thread.institution_id)},
            "display": thread.institution.name,
        }
    if thread.citizen_id is not None:
        return {"display": thread.citizen.full_name or _("Citizen")}
    return {"display": "anonymous"}


def thread_reference(thread: Any) -> dict[str, Any]:
    return {"identifier": {"system": THREAD_SYSTEM, "value": str(thread.public_id)}}


def communication_resource(message: Any, *, with_data: bool = False) -> dict[str, Any]:
    """The FHIR Communication of one message; files inline only when ``with_data``."""
    from oegd.messaging.selectors import AttachmentUnavailable, read_attachment

    thread = message.thread
    from_person = message.author_kind == "person"
    payload: list[dict[str, Any]] = []
    if message.body:
        payload.append({"contentString": message.body})
    for attachment in message.attachments.all():
        content: dict[str, Any] = {
            "contentType": attachment.content_type,
            "title": attachment.filename,
            "size": attachment.size,
            "hash": attachment.sha1,
            "url": f"{settings.SITE_URL}/fhir/Communication/{message.public_id}",
            "creation": attachment.uploaded_at.isoformat(),
        }
        if with_data:
            with contextlib.suppress(AttachmentUnavailable):  # a lost file: its metadata still tells
                content["data"] = base64.b64encode(read_attachment(attachment)).decode("ascii")
        payload.append({"contentAttachment": content})
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "id": str(message.public_id),
        "meta": {"lastUpdated": message.updated_at.isoformat()},
        "identifier": [{"system": MESSAGE_SYSTEM, "value": str(message.public_id)}],
        "partOf": [thread_reference(thread)],
        "status": "completed",
        "topic": {"text": thread.subject},
        "sent": message.created_at.isoformat(),
        "sender": _person_party(thread) if from_person else _office_party(thread),
        "recipient": [_office_party(thread) if from_person else _person_party(thread)],
        "payload": payload,
        "extension": [{"url": THREAD_STATUS_URL, "valueCode": thread.status}],
    }
    if message.read_at is not None:
        resource["received"] = message.read_at.isoformat()
    if thread.topic_id is not None:
        resource["category"] = [
            {"coding": [{"system": TOPIC_SYSTEM, "code": thread.topic.slug, "display": thread.topic.name}]}
        ]
    if thread.case_id is not None:
        resource["about"] = [{"identifier": {"system": CASE_SYSTEM, "value": thread.case.reference}}]
    return resource


# --- reads ---------------------------------------------------------------------------------------


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _token_values(request: HttpRequest, parameter: str, system: str) -> list[str]:
    """Values of a token/reference parameter: ``value``, ``system|value`` or ``Type/value``."""
    values = []
    for token in _tokens(request, parameter):
        token_system, bar, value = token.rpartition("|")
        if bar and token_system not in ("", system):
            values.append("")  # another system: matches nothing
            continue
        values.append(value.rsplit("/", 1)[-1])
    return values


def _visible_messages(client: Any) -> Any:
    from oegd.messaging.selectors import messages_for_client

    return messages_for_client(client).prefetch_related("attachments")


@api_token_required("messaging")
@require_http_methods(["GET", "POST"])
def communication_endpoint(request: HttpRequest) -> HttpResponse:
    """``/fhir/Communication``: GET searches, POST sends a message."""
    if request.method == "POST":
        return communication_create(request)
    return communication_search(request)


def communication_search(request: HttpRequest) -> HttpResponse:
    client = request.api_client  # type: ignore[attr-defined]
    messages = _visible_messages(client)
    try:
        threads = _token_values(request, "part-of", THREAD_SYSTEM)
        if threads:
            messages = messages.filter(thread__public_id__in=[t for t in map(_uuid, threads) if t])
        identifiers = _token_values(request, "identifier", MESSAGE_SYSTEM)
        if identifiers:
            messages = messages.filter(public_id__in=[i for i in map(_uuid, identifiers) if i])
        statuses = _tokens(request, "status")
        if statuses and "completed" not in statuses:
            messages = messages.none()
        low, high = parse_date_range(request.GET.getlist("_lastUpdated"), "_lastUpdated").resolve(_zone())
        count, offset = _paging(request)
    except SearchParameterInvalid as exc:
        return _bad_parameter(exc)
    if low is not None:
        messages = messages.filter(updated_at__gte=low)
    if high is not None:
        messages = messages.filter(updated_at__lt=high)
    messages = messages.order_by("thread_id", "created_at", "id")
    total = messages.count()
    page = list(messages[offset : offset + count])
    for message in page:
        audit.record(client, "message.read", message, office=message.thread.office, purpose="fhir search")
    resources = [communication_resource(message) for message in page]
    return _searchset(request, "Communication", resources, total=total, more=total > offset + count)


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.TIME_ZONE)


@api_token_required("messaging")
@require_GET
def communication_read(request: HttpRequest, message_id: str) -> HttpResponse:
    """``GET /fhir/Communication/<id>``: a message of the client's threads, files inline; 404 otherwise."""
    client = request.api_client  # type: ignore[attr-defined]
    wanted = _uuid(message_id)
    message = _visible_messages(client).filter(public_id=wanted).first() if wanted else None
    if message is None:
        return operation_outcome(404, _("There is no such message."), code="not-found")
    audit.record(client, "message.read", message, office=message.thread.office, purpose="fhir")
    return fhir_json(communication_resource(message, with_data=True))


# --- writes --------------------------------------------------------------------------------------


def _created(message: Any, status: int) -> HttpResponse:
    fresh = _visible_messages_by_pk(message.pk)
    response = fhir_json(communication_resource(fresh), status=status)
    response["Location"] = f"{settings.SITE_URL}/fhir/Communication/{message.public_id}"
    return response


def _visible_messages_by_pk(pk: int) -> Any:
    from oegd.messaging.models import Message

    return (
        Message.objects.select_related("thread", "thread__office", "thread__team", "thread__topic", "thread__case")
        .select_related("thread__institution", "thread__citizen")
        .prefetch_related("attachments")
        .get(pk=pk)
    )


def _idempotency_key(request: HttpRequest, body: dict[str, Any]) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        identifiers = body.get("identifier") or []
        first = identifiers[0] if identifiers and isinstance(identifiers[0], dict) else {}
        key = "|".join(str(first.get(part, "")) for part in ("system", "value")).strip("|")
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


def communication_create(request: HttpRequest) -> HttpResponse:
    """``POST /fhir/Communication``: 201 with the stored message; 200 for a repeat; 4xx changes nothing."""
    from fhir.resources.R4B.communication import Communication

    from oegd.core.services import DomainError
    from oegd.forms.attachments import AttachmentRefused, decode_inline_attachment
    from oegd.messaging import services
    from oegd.messaging.models import Message
    from oegd.messaging.selectors import threads_for_client, topics_of_office

    client = request.api_client  # type: ignore[attr-defined]
    if len(request.body) > MAX_BODY_BYTES:
        return operation_outcome(413, _("The request is too large."), code="too-costly")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return operation_outcome(400, _("The body is not JSON."), code="structure")
    if not isinstance(body, dict) or body.get("resourceType") != "Communication":
        return operation_outcome(400, _("Send a Communication resource."), code="structure")
    try:
        Communication.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()[:5]
        )
        return operation_outcome(
            400, _("This is not a valid FHIR R4 Communication: %(problems)s") % {"problems": problems}, code="structure"
        )

    key = _idempotency_key(request, body)
    if key:
        earlier = Message.objects.filter(api_client=client, idempotency_key=key).first()
        if earlier is not None:
            return _created(earlier, 200)

    texts, files = [], []
    for index, part in enumerate(body.get("payload") or []):
        if "contentString" in part:
            texts.append(str(part["contentString"]))
        elif "contentAttachment" in part:
            try:
                decoded = decode_inline_attachment(part["contentAttachment"], None)  # type: ignore[arg-type]
                if decoded is None:
                    raise AttachmentRefused(_("The attachment has no content."))
            except AttachmentRefused as exc:
                return operation_outcome(
                    422, exc.message, code="invalid", expression=[f"Communication.payload[{index}].content"]
                )
            files.append(services.IncomingFile(accepted=decoded[0], data=decoded[1]))
        else:
            return operation_outcome(
                422,
                _("A payload part must be contentString or contentAttachment."),
                code="not-supported",
                expression=[f"Communication.payload[{index}].content"],
            )
    text = "\n\n".join(part.strip() for part in texts if part.strip())

    threads = threads_for_client(client).select_related("office", "citizen")
    thread = _thread_named(body, threads)
    try:
        if thread is None and (body.get("partOf") or body.get("inResponseTo")):
            return operation_outcome(
                422, _("There is no such conversation for this client."), code="not-found", expression=["partOf"]
            )
        if thread is not None:
            message = services.post_message(
                actor=client,
                thread=thread,
                author_kind=Message.Author.PERSON if client.institution_id else Message.Author.SYSTEM,
                body=text,
                files=files,
                idempotency_key=key,
            )
        else:
            if client.institution_id is None:
                return operation_outcome(
                    422,
                    _("Name the conversation in partOf. Only an institution's client can start a new one."),
                    code="required",
                    expression=["Communication.partOf"],
                )
            topic = None
            codes = [
                coding.get("code")
                for category in body.get("category") or []
                for coding in category.get("coding") or []
                if coding.get("system") in (None, TOPIC_SYSTEM)
            ]
            if codes:
                topic = topics_of_office(office=client.office).filter(slug=codes[0]).first()
                if topic is None:
                    return operation_outcome(
                        422, _("There is no such topic."), code="not-found", expression=["Communication.category"]
                    )
            created = services.start_thread(
                actor=client,
                office=client.office,
                institution=client.institution,
                subject=str((body.get("topic") or {}).get("text") or ""),
                body=text,
                topic=topic,
                files=files,
                language=request.headers.get("Content-Language", "")[:10] or settings.LANGUAGE_CODE,
                idempotency_key=key,
            )
            message = created.messages.order_by("created_at", "id").first()
    except services.ThreadClosed as exc:
        return operation_outcome(422, exc.message, code="business-rule", expression=["Communication.partOf"])
    except AttachmentRefused as exc:
        return operation_outcome(422, exc.message, code="invalid", expression=["Communication.payload"])
    except DomainError as exc:
        return operation_outcome(422, exc.message, code="invalid")
    except IntegrityError:  # the same key delivered twice at the same moment: the first one won
        earlier = Message.objects.filter(api_client=client, idempotency_key=key).first() if key else None
        if earlier is None:
            raise
        return _created(earlier, 200)
    return _created(message, 201)


def _thread_named(body: dict[str, Any], threads: Any) -> Any:
    """The thread ``partOf`` (by identifier or ``urn:uuid:``) or ``inResponseTo`` (a message) names."""
    from oegd.messaging.models import Message

    for reference in body.get("partOf") or []:
        identifier = reference.get("identifier") or {}
        value = identifier.get("value") if identifier.get("system") in (None, THREAD_SYSTEM) else None
        if value is None and str(reference.get("reference", "")).startswith("urn:uuid:"):
            value = str(reference["reference"])[len("urn:uuid:") :]
        wanted = _uuid(str(value or ""))
        if wanted:
            return threads.filter(public_id=wanted).first()
    for reference in body.get("inResponseTo") or []:
        wanted = _uuid(str(reference.get("reference", "")).rsplit("Communication/", 1)[-1])
        if wanted:
            earlier = Message.objects.filter(public_id=wanted, internal=False, thread__in=threads).first()
            return earlier.thread if earlier else None
    return None
