"""Citizen, institution and anonymous pages of secure messaging.

Anonymous conversations (for young people) need no account: the youth gets an access code (shown
once, also as a QR code) and chooses a PIN. With both they come back; this browser session then
holds the conversation for a short while (``ANONYMOUS_IDLE``) and forgets it on "leave". Nothing
that could identify the youth is stored. All pages work without JavaScript.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from oegd.core import audit
from oegd.core.access import citizen_required, portal_user_required, public
from oegd.core.models import Office, User
from oegd.core.qr import qr_svg_data_uri
from oegd.core.services import DomainError
from oegd.messaging import access_codes, selectors, services
from oegd.messaging.forms import (
    AccessForm,
    AnonymousStartForm,
    CitizenStartForm,
    InstitutionStartForm,
    OfficeSearchForm,
    ReplyForm,
)
from oegd.messaging.models import Message, Thread
from oegd.portal.proxy import acting_for, may_write_in

SESSION_ANONYMOUS = "oegd_messaging_anonymous"
SESSION_NEW_CODE = "oegd_messaging_new_code"
ANONYMOUS_IDLE = 20 * 60  # seconds before the code and PIN are asked again


def _private(response: HttpResponse) -> HttpResponse:
    """Pages with a conversation or a code: never kept in any cache."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "") or settings.LANGUAGE_CODE


# --- choosing the office -------------------------------------------------------------------------


def _office_from_search(form: OfficeSearchForm, offices: Any) -> tuple[Office | None, str, list[Office]]:
    """The chosen office, or an error text, or several offices to choose from (shared postal code)."""
    from oegd.directory.selectors import PostalCodeUnknown, route_by_postal_code

    if form.cleaned_data.get("office"):
        return form.cleaned_data["office"], "", []
    try:
        found = route_by_postal_code(postal_code=form.cleaned_data["postal_code"])
    except PostalCodeUnknown as exc:
        return None, exc.message, []
    allowed = {office.pk: office for office in offices}
    candidates = [c.office for c in found.candidates if c.office is not None and c.office.pk in allowed]
    if found.responsible is not None and found.responsible.office is not None:
        if found.responsible.office.pk in allowed:
            return found.responsible.office, "", []
        candidates = []
    if len(candidates) == 1:
        return candidates[0], "", []
    if candidates:
        return None, "", candidates
    return None, _("Your health office does not take messages here yet. Please choose one from the list."), []


def _choose_office(
    request: HttpRequest, *, offices: Any, next_name: str, template_context: dict[str, Any]
) -> HttpResponse:
    form = OfficeSearchForm(request.POST or None, offices=offices)
    error, choices = "", []
    if request.method == "POST" and form.is_valid():
        office, error, choices = _office_from_search(form, offices)
        if office is not None:
            return redirect(next_name, office.slug)
    status = 400 if (form.errors or error) else 200
    context = {"form": form, "error": error, "choices": choices, "next_name": next_name, **template_context}
    return render(request, "messaging/choose_office.html", context, status=status)


# --- entry ---------------------------------------------------------------------------------------


@public
def index(request: HttpRequest) -> HttpResponse:
    """``/messages/``: what secure messages are; people with an account go to their messages."""
    user = request.user
    if user.is_authenticated and user.kind in (User.Kind.CITIZEN, User.Kind.INSTITUTION):
        return redirect("messaging:mine")
    return render(request, "messaging/index.html")


# --- citizens and institutions -------------------------------------------------------------------


@portal_user_required
def mine(request: HttpRequest) -> HttpResponse:
    threads = list(selectors.threads_of_person(request.user)[:200])
    unread = selectors.unread_thread_ids(threads)
    return render(
        request,
        "messaging/mine.html",
        {"threads": threads, "unread": unread, "can_link": request.user.kind == User.Kind.CITIZEN},
    )


def _offices_for_user(user: User) -> Any:
    offices = selectors.offices_taking_messages()
    if user.kind == User.Kind.INSTITUTION:
        offices = offices.filter(institutions__members=user).distinct()
    return offices


@portal_user_required
@require_http_methods(["GET", "POST"])
def new_thread(request: HttpRequest) -> HttpResponse:
    """Step 1: which health office (by postal code or from the list)."""
    offices = _offices_for_user(request.user)
    if request.user.kind == User.Kind.INSTITUTION and offices.count() == 1:
        return redirect("messaging:new_write", offices.get().slug)
    return _choose_office(
        request,
        offices=offices,
        next_name="messaging:new_write",
        template_context={"title": _("New message"), "anonymous": False},
    )


@portal_user_required
@require_http_methods(["GET", "POST"])
def new_write(request: HttpRequest, office_slug: str) -> HttpResponse:
    """Step 2: topic, subject, message, files; sent to the office's team for the topic."""
    user = request.user
    office = get_object_or_404(_offices_for_user(user), slug=office_slug)
    topics = selectors.topics_of_office(office=office)
    acting = acting_for(request) if user.kind == User.Kind.CITIZEN else None
    data = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    if user.kind == User.Kind.INSTITUTION:
        form: Any = InstitutionStartForm(
            *data, topics=topics, institutions=user.institutions.filter(office=office).order_by("name")
        )
    else:
        form = CitizenStartForm(*data, topics=topics, may_be_confidential=_has_guardian(user) and not acting)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.start_thread(
                on_behalf_of=acting[0] if acting else None,
                confidential=bool(form.cleaned_data.get("confidential")),
                actor=user,
                office=office,
                topic=form.cleaned_data.get("topic"),
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
                citizen=user if user.kind == User.Kind.CITIZEN else None,
                institution=form.cleaned_data.get("institution"),
                language=_language(request),
                notify_phone=form.cleaned_data.get("phone", ""),
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your message has been sent."))
            return redirect("messaging:thread", thread.public_id)
    return render(
        request,
        "messaging/write.html",
        {"form": form, "office": office, "error": error, "anonymous": False, "acting": acting},
        status=400 if (form.errors or error) else 200,
    )


def _has_guardian(user: User) -> bool:
    from oegd.portal.models import Dependant

    return Dependant.objects.filter(account=user).exists()


@portal_user_required
@require_http_methods(["GET", "POST"])
def thread_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """A conversation of the person (or their institution): read it, answer it."""
    thread = selectors.get_thread_for_person(user=request.user, public_id=public_id)
    own = thread.citizen_id == request.user.pk or request.user.kind == User.Kind.INSTITUTION
    may_write = own or may_write_in(request.user, thread)
    if not own:  # a parent reading a child's own conversation
        audit.record(request.user, "message_thread.proxy_read", thread, office=thread.office, subject=thread.citizen)
    form = ReplyForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and not may_write:
        error = _("You can read this conversation, but not write in it.")
    elif request.method == "POST" and form.is_valid():
        try:
            services.post_message(
                actor=request.user,
                thread=thread,
                author_kind=Message.Author.PERSON,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your message has been sent."))
            return redirect("messaging:thread", thread.public_id)
    if own:  # read receipts are the person's own
        services.mark_read_by_person(thread=thread)
    return _private(
        render(
            request,
            "messaging/thread.html",
            {
                "thread": thread,
                "messages_list": selectors.messages_for_person(thread),
                "form": form,
                "error": error,
                "anonymous": False,
                "file_url_name": "messaging:file",
                "may_write": may_write,
            },
            status=400 if (form.errors or error) else 200,
        )
    )


@portal_user_required
def file_download(request: HttpRequest, public_id: str, file_id: str) -> HttpResponse:
    thread = selectors.get_thread_for_person(user=request.user, public_id=public_id)
    return _file_response(selectors.get_attachment_for_person(thread=thread, public_id=file_id))


def _file_response(attachment: Any) -> HttpResponse:
    try:
        data = selectors.read_attachment(attachment)
    except selectors.AttachmentUnavailable as exc:
        return HttpResponse(exc.message, status=410, content_type="text/plain; charset=utf-8")
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return _private(response)


@citizen_required
@require_http_methods(["GET", "POST"])
def link_thread(request: HttpRequest) -> HttpResponse:
    """Take an anonymous conversation into the account with its access code and PIN."""
    form = AccessForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        if access_codes.over_limit(request, "return"):
            error, status = _too_many(), 429
        elif form.is_valid():
            try:
                thread = services.link_anonymous_thread(
                    user=request.user, code=form.cleaned_data["code"], pin=form.cleaned_data["pin"]
                )
            except DomainError as exc:
                error, status = exc.message, 400
            else:
                request.session.pop(SESSION_ANONYMOUS, None)
                messages.success(request, _("The conversation is now in your account."))
                return redirect("messaging:thread", thread.public_id)
        else:
            status = 400
    return _private(render(request, "messaging/link.html", {"form": form, "error": error}, status=status))


# --- anonymous (young people) --------------------------------------------------------------------


def _too_many() -> str:
    return _("Too many tries from here. Please wait a while and try again.")


@public
@require_http_methods(["GET", "POST"])
def anonymous_start(request: HttpRequest) -> HttpResponse:
    """Step 1 for young people: which health office (postal code or list)."""
    return _choose_office(
        request,
        offices=selectors.offices_for_anonymous(),
        next_name="messaging:anonymous_write",
        template_context={"title": _("Write to us without your name"), "anonymous": True},
    )


@public
@require_http_methods(["GET", "POST"])
def anonymous_write(request: HttpRequest, office_slug: str) -> HttpResponse:
    """Step 2 for young people: topic, message, PIN. Then the access code is shown once."""
    office = get_object_or_404(selectors.offices_for_anonymous(), slug=office_slug)
    topics = selectors.topics_of_office(office=office, anonymous=True)
    form = AnonymousStartForm(request.POST or None, request.FILES or None, topics=topics)
    error, status = "", 200
    if request.method == "POST":
        if access_codes.over_limit(request, "start"):
            error, status = _too_many(), 429
        elif form.is_valid():
            try:
                thread, code = services.start_anonymous_thread(
                    office=office,
                    topic=form.cleaned_data.get("topic"),
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    pin=form.cleaned_data["pin"],
                    files=form.cleaned_data["files"],
                    language=_language(request),
                )
            except DomainError as exc:
                error, status = exc.message, 400
            else:
                request.session.cycle_key()
                request.session[SESSION_NEW_CODE] = {"code": code, "thread": thread.pk}
                _enter(request, thread)
                return redirect("messaging:anonymous_started")
        else:
            status = 400
    return _private(
        render(
            request,
            "messaging/write.html",
            {"form": form, "office": office, "error": error, "anonymous": True},
            status=status,
        )
    )


def return_url(code: str = "") -> str:
    """The return page; with ``code`` in the fragment (it never reaches the server or its logs)."""
    url = settings.SITE_URL + reverse("messaging:anonymous_return")
    return f"{url}#code={access_codes.format_access_code(code)}" if code else url


@public
def anonymous_started(request: HttpRequest) -> HttpResponse:
    """The access code, shown this once (and as a QR code); a reload shows it no more."""
    new = request.session.pop(SESSION_NEW_CODE, None)
    context: dict[str, Any] = {"shown": False}
    if new:
        code = access_codes.format_access_code(new["code"])
        context = {"shown": True, "code": code, "qr": qr_svg_data_uri(return_url(new["code"]), box_size=6)}
    return _private(render(request, "messaging/started.html", context))


def _enter(request: HttpRequest, thread: Thread) -> None:
    request.session[SESSION_ANONYMOUS] = {"thread": thread.pk, "seen": time.time()}


def _anonymous_thread(request: HttpRequest) -> Thread | None:
    """The conversation this browser opened with code and PIN, while it was used recently."""
    entry = request.session.get(SESSION_ANONYMOUS)
    if not entry or time.time() - float(entry.get("seen", 0)) > ANONYMOUS_IDLE:
        request.session.pop(SESSION_ANONYMOUS, None)
        return None
    thread = selectors.get_anonymous_thread(int(entry.get("thread", 0)))
    if thread is None:
        request.session.pop(SESSION_ANONYMOUS, None)
        return None
    entry["seen"] = time.time()
    request.session[SESSION_ANONYMOUS] = entry
    return thread


@public
@require_http_methods(["GET", "POST"])
def anonymous_return(request: HttpRequest) -> HttpResponse:
    """Come back with access code and PIN. Wrong code and wrong PIN give the same answer."""
    form = AccessForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        if access_codes.over_limit(request, "return"):
            error, status = _too_many(), 429
        elif form.is_valid():
            try:
                thread = services.open_anonymous_thread(code=form.cleaned_data["code"], pin=form.cleaned_data["pin"])
            except DomainError as exc:
                error, status = exc.message, 400
            else:
                request.session.cycle_key()
                _enter(request, thread)
                return redirect("messaging:anonymous_conversation")
        else:
            status = 400
    return _private(render(request, "messaging/return.html", {"form": form, "error": error}, status=status))


@public
@require_http_methods(["GET", "POST"])
def anonymous_conversation(request: HttpRequest) -> HttpResponse:
    thread = _anonymous_thread(request)
    if thread is None:
        messages.info(request, _("Please enter your access code and PIN."))
        return redirect("messaging:anonymous_return")
    form = ReplyForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.post_message(
                actor=None,
                thread=thread,
                author_kind=Message.Author.PERSON,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your message has been sent."))
            return redirect("messaging:anonymous_conversation")
    services.mark_read_by_person(thread=thread)
    return _private(
        render(
            request,
            "messaging/thread.html",
            {
                "thread": thread,
                "messages_list": selectors.messages_for_person(thread),
                "form": form,
                "error": error,
                "anonymous": True,
                "file_url_name": "messaging:anonymous_file",
            },
            status=400 if (form.errors or error) else 200,
        )
    )


@public
def anonymous_file(request: HttpRequest, public_id: str, file_id: str) -> HttpResponse:
    thread = _anonymous_thread(request)
    if thread is None or str(thread.public_id) != str(public_id):
        return redirect("messaging:anonymous_return")
    return _file_response(selectors.get_attachment_for_person(thread=thread, public_id=file_id))


@public
@require_POST
def anonymous_leave(request: HttpRequest) -> HttpResponse:
    """Forget the conversation in this browser (for shared phones and computers)."""
    request.session.pop(SESSION_ANONYMOUS, None)
    request.session.cycle_key()
    messages.success(request, _("You have left the conversation. Come back any time with your code and PIN."))
    return redirect("messaging:index")
