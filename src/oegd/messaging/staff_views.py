"""Staff pages of secure messaging: the team inbox, a conversation, topics and text blocks.

Reading needs ``cases.view``, answering and managing threads ``cases.edit``, topics and text
blocks ``office.manage``; everything is scoped to the active office (other offices: 404).
Anonymous conversations show "anonymous" and nothing else: there is nothing else to show.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from oegd.core.access import has_permission, staff_required
from oegd.core.services import DomainError
from oegd.messaging import selectors, services
from oegd.messaging.forms import ManageForm, NoteForm, StaffReplyForm, TextBlockForm, TopicForm
from oegd.messaging.models import Message, Thread
from oegd.messaging.views import _file_response


def _filter_from(request: HttpRequest) -> selectors.InboxFilter:
    status = request.GET.get("status", Thread.Status.OPEN)
    if status not in Thread.Status.values:
        status = Thread.Status.OPEN
    assignee = request.GET.get("assignee", "")
    if assignee not in ("", "me", "none"):
        assignee = ""
    if "team" in request.GET:
        team = request.GET["team"]
    else:  # the staff member's own team first
        own = selectors.team_of(request.user, request.office)
        team = str(own.pk) if own else ""
    return selectors.InboxFilter(
        team=team, status=status, assignee=assignee, needs_reply=request.GET.get("needs_reply") == "1"
    )


@staff_required("cases.view")
def inbox(request: HttpRequest) -> HttpResponse:
    """The team inbox (Postfach): newest activity first, filtered by team, status and assignee."""
    wanted = _filter_from(request)
    page = selectors.team_inbox(
        user=request.user, office=request.office, wanted=wanted, cursor=request.GET.get("after", "")
    )
    query = request.GET.copy()
    query["team"] = wanted.team
    query["after"] = page.next_cursor
    return render(
        request,
        "messaging/staff/inbox.html",
        {
            "page": page,
            "wanted": wanted,
            "teams": selectors.teams_of_office(request.office),
            "statuses": Thread.Status.choices,
            "next_query": query.urlencode() if page.next_cursor else "",
            "can_manage": has_permission(request.user, request.office, "office.manage"),
        },
    )


def _thread_context(request: HttpRequest, thread: Thread, **extra: Any) -> dict[str, Any]:
    can_edit = has_permission(request.user, request.office, "cases.edit")
    blocks = list(selectors.text_blocks_for(office=request.office, team=thread.team))
    manage = ManageForm(
        initial={
            "assignee": thread.assignee_id,
            "team": thread.team_id,
            "due_on": thread.due_on,
            "case": thread.case.reference if thread.case_id else "",
        },
        staff=selectors.staff_of_office(request.office),
        teams=selectors.teams_of_office(request.office),
    )
    if thread.citizen_id is not None:
        person_label = thread.citizen.full_name or thread.citizen.email
    elif thread.institution_id is not None:
        person_label = thread.institution.name
    else:
        person_label = _("anonymous")
    return {
        "thread": thread,
        "person_label": person_label,
        "messages_list": selectors.messages_for_staff(thread),
        "can_edit": can_edit,
        "reply_form": extra.pop("reply_form", None) or StaffReplyForm(blocks=blocks),
        "note_form": extra.pop("note_form", None) or NoteForm(),
        "manage_form": manage,
        **extra,
    }


@staff_required("cases.view")
@require_http_methods(["GET", "POST"])
def thread_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """One conversation with internal notes; answer it, insert a text block, write a note."""
    thread = selectors.get_thread_for_staff(user=request.user, office=request.office, public_id=public_id)
    if request.method == "GET":
        services.mark_read_by_staff(user=request.user, thread=thread)
        return render(request, "messaging/staff/thread.html", _thread_context(request, thread))
    if not has_permission(request.user, request.office, "cases.edit"):
        return render(
            request,
            "messaging/staff/thread.html",
            _thread_context(request, thread, error=_("You may read this conversation but not answer it.")),
            status=403,
        )
    action = request.POST.get("action", "reply")
    blocks = list(selectors.text_blocks_for(office=request.office, team=thread.team))
    if action == "insert_block":
        block = selectors.get_text_block(office=request.office, block_id=request.POST.get("text_block"))
        draft = request.POST.get("body", "").rstrip()
        if block is not None:
            draft = f"{draft}\n\n{block.body}".strip() if draft else block.body
        form = StaffReplyForm(initial={"body": draft, "text_block": ""}, blocks=blocks)
        return render(request, "messaging/staff/thread.html", _thread_context(request, thread, reply_form=form))
    if action == "note":
        note_form = NoteForm(request.POST)
        if note_form.is_valid():
            try:
                services.post_message(
                    actor=request.user,
                    thread=thread,
                    author_kind=Message.Author.STAFF,
                    body=note_form.cleaned_data["note"],
                    internal=True,
                )
            except DomainError as exc:
                note_form.add_error("note", exc.message)
            else:
                messages.success(request, _("The internal note is saved."))
                return redirect("messaging_staff:thread", thread.public_id)
        return render(
            request, "messaging/staff/thread.html", _thread_context(request, thread, note_form=note_form), status=400
        )
    form = StaffReplyForm(request.POST, request.FILES, blocks=blocks)
    error = ""
    if form.is_valid():
        try:
            services.post_message(
                actor=request.user,
                thread=thread,
                author_kind=Message.Author.STAFF,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your answer has been sent."))
            return redirect("messaging_staff:thread", thread.public_id)
    return render(
        request,
        "messaging/staff/thread.html",
        _thread_context(request, thread, reply_form=form, error=error),
        status=400,
    )


@staff_required("cases.edit")
@require_POST
def thread_manage(request: HttpRequest, public_id: str) -> HttpResponse:
    """Assign (to me or someone), move to a team, set a due date, link a case, close or reopen."""
    from oegd.cases.selectors import cases_of_office

    thread = selectors.get_thread_for_staff(user=request.user, office=request.office, public_id=public_id)
    action = request.POST.get("action", "")
    try:
        if action == "assign_me":
            services.assign_thread(actor=request.user, thread=thread, assignee=request.user)
            messages.success(request, _("The conversation is assigned to you."))
        elif action == "close":
            services.close_thread(actor=request.user, thread=thread)
            messages.success(request, _("The conversation is closed."))
        elif action == "reopen":
            services.reopen_thread(actor=request.user, thread=thread)
            messages.success(request, _("The conversation is open again."))
        elif action == "save":
            form = ManageForm(
                request.POST,
                staff=selectors.staff_of_office(request.office),
                teams=selectors.teams_of_office(request.office),
            )
            if not form.is_valid():
                context = _thread_context(request, thread)
                context["manage_form"] = form
                return render(request, "messaging/staff/thread.html", context, status=400)
            data = form.cleaned_data
            case = None
            if data["case"]:
                case = cases_of_office(office=request.office).filter(reference=data["case"].strip()).first()
                if case is None:
                    form.add_error("case", _("There is no case with this reference in this office."))
                    context = _thread_context(request, thread)
                    context["manage_form"] = form
                    return render(request, "messaging/staff/thread.html", context, status=400)
            if data["assignee"] != thread.assignee:
                services.assign_thread(actor=request.user, thread=thread, assignee=data["assignee"])
            if data["team"] != thread.team:
                services.move_to_team(actor=request.user, thread=thread, team=data["team"])
            if data["due_on"] != thread.due_on:
                services.set_due_date(actor=request.user, thread=thread, due_on=data["due_on"])
            if case != thread.case:
                services.link_case(actor=request.user, thread=thread, case=case)
            messages.success(request, _("The changes are saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("messaging_staff:thread", thread.public_id)


@staff_required("cases.view")
def file_download(request: HttpRequest, public_id: str, file_id: str) -> HttpResponse:
    thread = selectors.get_thread_for_staff(user=request.user, office=request.office, public_id=public_id)
    return _file_response(selectors.get_attachment_for_staff(thread=thread, public_id=file_id))


# --- topics and text blocks ----------------------------------------------------------------------


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Topics people can write about, and the office's text blocks; add new ones here."""
    office = request.office
    teams = selectors.teams_of_office(office)
    topic_form = TopicForm(request.POST if request.POST.get("kind") == "topic" else None, teams=teams)
    block_form = TextBlockForm(request.POST if request.POST.get("kind") == "block" else None, teams=teams)
    if request.method == "POST":
        form = topic_form if request.POST.get("kind") == "topic" else block_form
        if form.is_valid():
            try:
                if form is topic_form:
                    services.save_topic(actor=request.user, office=office, **form.cleaned_data)
                else:
                    services.save_text_block(actor=request.user, office=office, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("messaging_staff:settings")
    return render(
        request,
        "messaging/staff/settings.html",
        {
            "topics": selectors.topics_for_admin(office),
            "blocks": selectors.text_blocks_for_admin(office),
            "topic_form": topic_form,
            "block_form": block_form,
        },
        status=400 if (topic_form.errors or block_form.errors) else 200,
    )


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, topic_id: int) -> HttpResponse:
    office = request.office
    topic = get_object_or_404(selectors.topics_for_admin(office), pk=topic_id)
    teams = selectors.teams_of_office(office)
    initial = {
        "slug": topic.slug,
        "name_de": (topic.texts.get("de") or {}).get("name", ""),
        "name_en": (topic.texts.get("en") or {}).get("name", ""),
        "team": topic.team_id,
        "open_to_anonymous": topic.open_to_anonymous,
        "notify_email": topic.notify_email,
        "position": topic.position,
        "is_active": topic.is_active,
    }
    form = TopicForm(request.POST or None, initial=initial, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_topic(actor=request.user, office=office, topic=topic, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("messaging_staff:settings")
    return render(
        request,
        "messaging/staff/edit.html",
        {"form": form, "title": _("Edit topic")},
        status=400 if form.errors else 200,
    )


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def text_block_edit(request: HttpRequest, block_id: int) -> HttpResponse:
    office = request.office
    block = get_object_or_404(selectors.text_blocks_for_admin(office), pk=block_id)
    initial = {"title": block.title, "body": block.body, "team": block.team_id, "is_active": block.is_active}
    form = TextBlockForm(request.POST or None, initial=initial, teams=selectors.teams_of_office(office))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_text_block(actor=request.user, office=office, block=block, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("messaging_staff:settings")
    return render(
        request,
        "messaging/staff/edit.html",
        {"form": form, "title": _("Edit text block")},
        status=400 if form.errors else 200,
    )
