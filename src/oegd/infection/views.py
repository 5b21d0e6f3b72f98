"""Staff pages of infection protection: the notification inbox (Meldungseingang), one notification
with its triage actions, the case directory (Fallübersicht) with saved views, and the case page.

Lists are one indexed query per page (LIMIT page size + 1, no COUNT over the office). Every write
is a POST through one service; a ``DomainError`` shows its message on the page it came from
(HTTP 400) and changes nothing; invalid form input is answered with 422.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from oegd.cases.selectors import staff_of_office
from oegd.core import audit
from oegd.core.access import has_permission, staff_required
from oegd.core.services import DomainError
from oegd.infection import catalogue, selectors, services
from oegd.infection.classification import suggest_classification
from oegd.infection.demis import NotificationRefused
from oegd.infection.forms import (
    RESPONSIBILITY_CHOICES,
    CaseFilterForm,
    ClassificationForm,
    ClinicalForm,
    ForwardForm,
    InboxFilterForm,
    NoteForm,
    SavedViewForm,
    disease_filter_choices,
)
from oegd.infection.ingestion import forward_notification
from oegd.infection.models import InfectionCase, Notification, SavedView

PAGE_SIZE = 50
MAX_PAGE = 200  # LIMIT/OFFSET stays cheap on the indexed ORDER BY for the first pages only
COUNT_CAP = 1000


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, min(int(raw), MAX_PAGE)) if raw.isascii() and raw.isdigit() else 1


def _window(queryset, page: int) -> tuple[list[Any], bool]:
    """One page of rows, and whether another follows (fetches page size + 1 rows)."""
    start = (page - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE and page < MAX_PAGE


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _staff_member(office, raw: str):
    return staff_of_office(office).filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() else None


# --- inbox ----------------------------------------------------------------------------------------


@staff_required("infection.view")
def inbox(request: HttpRequest) -> HttpResponse:
    return _inbox_page(request)


def _inbox_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    office = request.office
    form = InboxFilterForm(request.GET)
    form.is_valid()  # invalid values are left out of cleaned_data, i.e. not applied
    filters = form.filters()
    page = _page_number(request)
    rows, has_next = _window(selectors.inbox(user=request.user, office=office, filters=filters), page)
    counts = selectors.inbox_counts(office=office, cap=COUNT_CAP)
    tab_query = _query_without(request, "page", "state")
    tabs = [("", _("All"), None)] + [(value, label, counts[value]) for value, label in Notification.State.choices]
    matches, matches_more = selectors.pending_person_matches(office=office)
    return render(
        request,
        "infection/inbox.html",
        {
            "form": form if form.errors else None,
            "filter_form": form,
            "filters": filters,
            "error": error,
            "notifications": rows,
            "page": page,
            "has_next": has_next,
            "tabs": tabs,
            "tab_query": tab_query,
            "query": _query_without(request, "page"),
            "full_query": request.GET.urlencode(),
            "diseases": disease_filter_choices(),
            "kinds": Notification.Kind.choices,
            "responsibilities": RESPONSIBILITY_CHOICES,
            "staff": staff_of_office(office),
            "saved_views": selectors.saved_views(user=request.user, office=office, page=SavedView.Page.INBOX),
            "matches": matches,
            "matches_more": matches_more,
            "review_url": reverse("infection_persons:review"),
            "refused": selectors.refused_bundles(office=office).count(),
            "can_edit": has_permission(request.user, office, "infection.edit"),
        },
        status=status,
    )


@staff_required("infection.edit")
@require_POST
def assign_notifications(request: HttpRequest) -> HttpResponse:
    """Bulk assignment from the inbox: to oneself, to a colleague, or back to the office."""
    office = request.office
    ids = [int(value) for value in request.POST.getlist("notification") if value.isascii() and value.isdigit()]
    action = request.POST.get("action", "")
    if not ids:
        return _inbox_page(request, error=_("Please select at least one notification."), status=400)
    if action == "me":
        assignee = request.user
    elif action == "none":
        assignee = None
    else:
        assignee = _staff_member(office, request.POST.get("assignee", ""))
        if assignee is None:
            return _inbox_page(request, error=_("Please choose the person to assign to."), status=400)
    notifications = list(selectors.notifications_of_office(office=office, ids=ids))
    if not notifications:
        return _inbox_page(request, error=_("Please select at least one notification."), status=400)
    try:
        count = services.assign_notifications(
            actor=request.user, office=office, notifications=notifications, assignee=assignee
        )
    except DomainError as exc:
        return _inbox_page(request, error=exc.message, status=400)
    messages.success(
        request,
        ngettext("%(count)d notification assigned.", "%(count)d notifications assigned.", count) % {"count": count},
    )
    query = request.GET.urlencode()
    return redirect(reverse("infection:inbox") + (f"?{query}" if query else ""))


# --- one notification -----------------------------------------------------------------------------


@staff_required("infection.view")
def refused_bundles(request: HttpRequest) -> HttpResponse:
    """Bundles the pull client could not accept, with the reason (the bundles stay encrypted)."""
    rows = selectors.refused_bundles(office=request.office)[:200]
    return render(request, "infection/refused.html", {"refused": rows})


@staff_required("infection.view")
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.get_notification_for_user(user=request.user, office=request.office, pk=pk, audited=False)
    return _notification_page(request, notification)


def _notification_page(
    request: HttpRequest, notification: Notification, *, error: str = "", form: Any = None, status: int = 200
) -> HttpResponse:
    office = request.office
    # Every page that shows the notification is a read of health data, also one re-shown after a refusal.
    audit.record(request.user, "infection.notification.read", notification, office=office)
    show_bundle = has_permission(request.user, office, "health_data.view")
    summary = notification.summary or {}
    return render(
        request,
        "infection/notification.html",
        {
            "notification": notification,
            "summary": summary,
            "summary_rows": _summary_rows(summary),
            "findings": _summary_findings(summary),
            "disease_label": catalogue.disease_label(notification.disease),
            "pathogen_label": catalogue.disease_label(notification.pathogen),
            "lab_results": selectors.lab_results_of_notification(notification),
            "forwardings": selectors.forwardings_of(notification),
            "person_cases": selectors.cases_of_person(office=office, person=notification.person)[:20],
            "related": selectors.related_notifications(office=office, notification=notification),
            "offices": selectors.other_offices(office),
            "staff": staff_of_office(office),
            "bundle": notification.bundle if show_bundle else "",
            "show_bundle": show_bundle,
            "person_url": reverse("infection_persons:person", args=[notification.person_id])
            if notification.person_id
            else "",
            "form": form,
            "forward_form": form if isinstance(form, ForwardForm) else ForwardForm(),
            "error": error,
            "can_edit": has_permission(request.user, office, "infection.edit"),
            "is_open": notification.state
            not in (Notification.State.CLOSED, Notification.State.FORWARDED, Notification.State.ASSIGNED),
        },
        status=status,
    )


def _yes_no(value: Any) -> str:
    return {True: _("yes"), False: _("no")}.get(value, _("unknown"))


def _symptom_labels(codes: list[str]) -> str:
    return ", ".join(str(services.COMMON_SYMPTOMS.get(code, code)) for code in codes)


def _summary_rows(summary: dict) -> list[tuple[str, str]]:
    """The coded extract of the notification (``Notification.summary``, written by the ingestion) as
    (label, value) rows, codes with their catalogue labels. Findings are shown as a table apart."""
    rows: list[tuple[str, str]] = []
    if summary.get("profile"):
        rows.append((_("Profile"), str(summary["profile"])))
    if summary.get("notification_id"):
        rows.append((_("Notification ID"), str(summary["notification_id"])))
    if summary.get("disease_code"):
        code = str(summary["disease_code"])
        rows.append((_("Disease code"), f"{catalogue.disease_label(code)} ({code})"))
    if "nominal" in summary:
        rows.append((_("By name"), _yes_no(summary["nominal"])))
    routing = summary.get("routing") or {}
    if isinstance(routing, dict) and routing:
        authority = " ".join(str(routing.get(key) or "") for key in ("authority_name", "authority")).strip()
        text = ", ".join(part for part in (str(routing.get("outcome") or ""), authority) if part)
        if routing.get("reason"):
            text += f" – {routing['reason']}"
        rows.append((_("Routing"), text))
    diagnosis = summary.get("diagnosis") or {}
    if isinstance(diagnosis, dict) and diagnosis:
        if diagnosis.get("verification"):
            rows.append((_("Diagnosis"), str(diagnosis["verification"])))
        if diagnosis.get("onset"):
            rows.append((_("Onset of illness"), str(diagnosis["onset"])))
        if diagnosis.get("symptoms"):
            rows.append((_("Symptoms"), _symptom_labels(list(diagnosis["symptoms"]))))
    for key, label in (("hospitalised", _("Hospitalised")), ("deceased", _("Deceased"))):
        if key in summary:
            rows.append((label, _yes_no(summary[key])))
    if summary.get("vaccination"):
        rows.append((_("Vaccination status"), str(summary["vaccination"])))
    if summary.get("laboratory"):
        rows.append((_("Laboratory"), str(summary["laboratory"])))
    return rows


def _summary_findings(summary: dict) -> list[dict]:
    """The findings of the extract, each with the catalogue label of its code."""
    findings = summary.get("findings") or []
    return [
        {**finding, "label": catalogue.disease_label(str(finding.get("code", "")))}
        for finding in findings
        if isinstance(finding, dict)
    ]


def _notification_write(request: HttpRequest, pk: int, write, success: str) -> HttpResponse:
    """Run one service call on the notification; a DomainError is shown on its page (400)."""
    notification = selectors.get_notification_for_user(user=request.user, office=request.office, pk=pk, audited=False)
    try:
        target = write(notification)
    except DomainError as exc:
        notification.refresh_from_db()
        return _notification_page(request, notification, error=exc.message, status=400)
    messages.success(request, success)
    if isinstance(target, InfectionCase):
        return redirect("infection:case", reference=target.reference)
    return redirect("infection:notification", pk=pk)


@staff_required("infection.edit")
@require_POST
def notification_assign(request: HttpRequest, pk: int) -> HttpResponse:
    office = request.office
    action = request.POST.get("action", "")
    assignee = request.user if action == "me" else None
    if action not in ("me", "none"):
        assignee = _staff_member(office, request.POST.get("assignee", ""))
        if assignee is None:
            notification = selectors.get_notification_for_user(user=request.user, office=office, pk=pk, audited=False)
            return _notification_page(
                request, notification, error=_("Please choose the person to assign to."), status=400
            )
    return _notification_write(
        request,
        pk,
        lambda notification: services.assign_notifications(
            actor=request.user, office=office, notifications=[notification], assignee=assignee
        ),
        _("The notification is assigned."),
    )


@staff_required("infection.edit")
@require_POST
def notification_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the notification to an existing case, chosen from the person's cases or typed."""
    office = request.office

    def write(notification: Notification) -> InfectionCase:
        case = selectors.find_infection_case(office=office, reference=request.POST.get("case", ""))
        if case is None:
            raise DomainError(_("No case with this reference."))
        return services.link_notification_to_case(actor=request.user, notification=notification, case=case)

    return _notification_write(request, pk, write, _("The notification is linked to the case."))


@staff_required("infection.edit")
@require_POST
def notification_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    return _notification_write(
        request,
        pk,
        lambda notification: services.open_case_from_notification(actor=request.user, notification=notification),
        _("A new case is opened for the notification."),
    )


@staff_required("infection.edit")
@require_POST
def notification_done(request: HttpRequest, pk: int) -> HttpResponse:
    return _notification_write(
        request,
        pk,
        lambda notification: services.mark_notification_done(actor=request.user, notification=notification),
        _("The notification is marked as done."),
    )


@staff_required("infection.edit")
@require_POST
def notification_forward(request: HttpRequest, pk: int) -> HttpResponse:
    """Forward the notification to the responsible office (§ 11 IfSG); a reason is required."""
    office = request.office
    notification = selectors.get_notification_for_user(user=request.user, office=office, pk=pk, audited=False)
    form = ForwardForm(request.POST)
    if not form.is_valid():
        return _notification_page(request, notification, form=form, status=422)
    to_office = selectors.other_offices(office).filter(pk=form.cleaned_data["to_office"]).first()
    if to_office is None:
        return _notification_page(request, notification, error=_("Please choose the receiving office."), status=422)
    try:
        forward_notification(
            actor=request.user, notification=notification, to_office=to_office, reason=form.cleaned_data["reason"]
        )
    except (DomainError, NotificationRefused) as exc:
        notification.refresh_from_db()
        return _notification_page(request, notification, error=exc.message, status=400)
    messages.success(request, _("The notification is forwarded to %(office)s.") % {"office": to_office.name})
    return redirect("infection:inbox")


# --- case directory -------------------------------------------------------------------------------


@staff_required("infection.view")
def case_directory(request: HttpRequest) -> HttpResponse:
    return _directory_page(request)


def _directory_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    office = request.office
    form = CaseFilterForm(request.GET)
    form.is_valid()
    page = _page_number(request)
    cases = selectors.case_directory(user=request.user, office=office, filters=form.filters())
    rows, has_next = _window(cases, page)
    return render(
        request,
        "infection/cases.html",
        {
            "form": form if form.errors else None,
            "filter_form": form,
            "error": error,
            "cases": rows,
            "page": page,
            "has_next": has_next,
            "query": _query_without(request, "page"),
            "full_query": request.GET.urlencode(),
            "diseases": disease_filter_choices(),
            "saved_views": selectors.saved_views(user=request.user, office=office, page=SavedView.Page.CASES),
        },
        status=status,
    )


# --- saved views ----------------------------------------------------------------------------------


@staff_required("infection.view")
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    page = request.POST.get("page", "")
    render_page = _inbox_page if page == SavedView.Page.INBOX else _directory_page
    if not form.is_valid():
        return render_page(request, error=_("Please give the view a name."), status=422)
    data = form.cleaned_data
    query = data["query"].lstrip("?")
    try:
        services.save_view(actor=request.user, office=request.office, page=data["page"], name=data["name"], query=query)
    except DomainError as exc:
        return render_page(request, error=exc.message, status=400)
    messages.success(request, _("The view is saved."))
    target = reverse("infection:inbox" if data["page"] == SavedView.Page.INBOX else "infection:cases")
    return redirect(target + (f"?{query}" if query else ""))


@staff_required("infection.view")
@require_POST
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.get_saved_view_for_user(user=request.user, office=request.office, pk=pk)
    page = view.page
    services.delete_saved_view(actor=request.user, view=view)
    messages.success(request, _("The view is deleted."))
    return redirect("infection:inbox" if page == SavedView.Page.INBOX else "infection:cases")


# --- case page ------------------------------------------------------------------------------------


@staff_required("infection.view")
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_infection_case_for_user(
        user=request.user, office=request.office, reference=reference, audited=False
    )
    return _case_page(request, case)


def _case_page(
    request: HttpRequest, case: InfectionCase, *, error: str = "", form: Any = None, status: int = 200
) -> HttpResponse:
    office = request.office
    audit.record(request.user, "infection.case.read", case, office=office)  # also when re-shown after a refusal
    suggestion = suggest_classification(case)
    clinical_form = form if isinstance(form, ClinicalForm) else None
    return render(
        request,
        "infection/case.html",
        {
            "infection_case": case,
            "case": case,
            "disease_label": catalogue.disease_label(case.disease),
            "pathogen_label": catalogue.disease_label(case.pathogen),
            "is_open": case.status == InfectionCase.Status.OPEN,
            "suggestion": suggestion,
            "suggestion_label": InfectionCase.Classification(suggestion).label
            if suggestion in InfectionCase.Classification.values
            else "",
            "classifications": InfectionCase.Classification.choices,
            "vaccinations": InfectionCase.Vaccination.choices,
            "symptoms": [
                (code, label, code in (case.symptoms or [])) for code, label in services.COMMON_SYMPTOMS.items()
            ]
            + [(code, code, True) for code in case.symptoms or [] if code not in services.COMMON_SYMPTOMS],
            "symptom_labels": [str(services.COMMON_SYMPTOMS.get(code, code)) for code in case.symptoms or []],
            "clinical_form": clinical_form,
            "lab_results": selectors.lab_results_of(case),
            "notifications": selectors.notifications_of_case(case),
            "unlinked": selectors.unlinked_notifications_of_person(office=office, case=case),
            "timeline": selectors.case_timeline(case),
            "staff": staff_of_office(office),
            "person_url": reverse("infection_persons:person", args=[case.person_id]) if case.person_id else "",
            "transfer_url": reverse("infection_transfers:send", args=[case.reference]),
            "transfers_url": reverse("infection_transfers:case", args=[case.reference]),
            "form": form,
            "error": error,
            "can_edit": has_permission(request.user, office, "infection.edit"),
            "today": timezone.localdate(),
        },
        status=status,
    )


def _case_write(request: HttpRequest, reference: str, write, success: str, anchor: str = "") -> HttpResponse:
    """Run one service call on the case; its DomainError is shown on the case page (400)."""
    case = selectors.get_infection_case_for_user(
        user=request.user, office=request.office, reference=reference, audited=False
    )
    try:
        write(case)
    except DomainError as exc:
        case.refresh_from_db()
        return _case_page(request, case, error=exc.message, status=400)
    messages.success(request, success)
    return redirect(reverse("infection:case", kwargs={"reference": case.reference}) + (f"#{anchor}" if anchor else ""))


@staff_required("infection.edit")
@require_POST
def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    office = request.office
    action = request.POST.get("action", "")

    def write(case: InfectionCase) -> None:
        if action == "me":
            assignee = request.user
        elif action == "none":
            assignee = None
        else:
            assignee = _staff_member(office, request.POST.get("assignee", ""))
            if assignee is None:
                raise DomainError(_("Please choose the person to assign to."))
        services.assign_case(actor=request.user, case=case, assignee=assignee)

    return _case_write(request, reference, write, _("The case is assigned."))


@staff_required("infection.edit")
@require_POST
def case_classify(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_infection_case_for_user(
        user=request.user, office=request.office, reference=reference, audited=False
    )
    form = ClassificationForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, error=_("Unknown classification."), status=422)
    return _case_write(
        request,
        reference,
        lambda case: services.classify_case(
            actor=request.user, case=case, classification=form.cleaned_data["classification"]
        ),
        _("The classification is saved."),
        "classification-heading",
    )


@staff_required("infection.edit")
@require_POST
def case_clinical(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_infection_case_for_user(
        user=request.user, office=request.office, reference=reference, audited=False
    )
    form = ClinicalForm(request.POST, recorded_symptoms=case.symptoms)
    if not form.is_valid():
        return _case_page(request, case, form=form, status=422)
    return _case_write(
        request,
        reference,
        lambda case: services.update_case_clinical(actor=request.user, case=case, **form.values()),
        _("The clinical details are saved."),
        "clinical-heading",
    )


@staff_required("infection.edit")
@require_POST
def case_note(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_infection_case_for_user(
        user=request.user, office=request.office, reference=reference, audited=False
    )
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, form=form, status=422)
    return _case_write(
        request,
        reference,
        lambda case: services.add_case_note(actor=request.user, case=case, text=form.cleaned_data["text"]),
        _("The note is added."),
        "timeline-heading",
    )


@staff_required("infection.edit")
@require_POST
def case_close(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_write(
        request,
        reference,
        lambda case: services.close_case(actor=request.user, case=case),
        _("The case is closed."),
    )


@staff_required("infection.edit")
@require_POST
def case_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_write(
        request,
        reference,
        lambda case: services.reopen_case(actor=request.user, case=case),
        _("The case is reopened."),
    )


@staff_required("infection.edit")
@require_POST
def case_link_notification(request: HttpRequest, reference: str) -> HttpResponse:
    """Put another notification of the same person on this case."""
    office = request.office

    def write(case: InfectionCase) -> None:
        raw = request.POST.get("notification", "")
        notification = (
            selectors.notifications_of_office(office=office, ids=[int(raw)]).first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        if notification is None:
            raise DomainError(_("Please choose a notification."))
        services.link_notification_to_case(actor=request.user, notification=notification, case=case)

    return _case_write(request, reference, write, _("The notification is linked to the case."), "notifications-heading")
