"""Staff pages of contact tracing, follow-up calls, outbreaks and measures: parse, call a service
or selector, render or redirect. Mounted under /staff/infection/ in the "infection" namespace."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oegd.core.access import has_permission, staff_required
from oegd.core.services import DomainError
from oegd.infection import catalogue, tracing
from oegd.infection import tracing_selectors as selectors
from oegd.infection.models import InfectionCase, Outbreak
from oegd.infection.tracing_forms import (
    CallOutcomeForm,
    CaseReferenceForm,
    ContactForm,
    ContactUpdateForm,
    IsolationForm,
    OutbreakForm,
    OutbreakNoteForm,
)


def _case_url(infection_case: InfectionCase, anchor: str = "tracing") -> str:
    return reverse("infection:case", args=[infection_case.reference]) + f"#{anchor}"


def _case(request: HttpRequest, reference: str, *, audited: bool = False) -> InfectionCase:
    return selectors.get_infection_case_for_user(
        user=request.user, office=request.office, reference=reference, audited=audited
    )


def _can_edit(request: HttpRequest) -> bool:
    return has_permission(request.user, request.office, "infection.edit")


def panel_context(request: HttpRequest, infection_case: InfectionCase, **extra: Any) -> dict[str, Any]:
    """What the case panel (``tracing/_case_panel_body.html``) shows; also used by its template tag."""
    contacts = list(selectors.contacts_of_case(infection_case))
    quarantined = selectors.active_quarantine_contacts(infection_case)
    symptomatic = selectors.symptomatic_contacts(infection_case)
    for contact in contacts:
        contact.has_order = contact.pk in quarantined
        contact.reported_symptoms = contact.pk in symptomatic
    context = {
        "infection_case": infection_case,
        "contacts": contacts,
        "measures": list(selectors.measures_of_case(infection_case)),
        "case_outbreaks": list(selectors.outbreaks_of_case(infection_case)),
        "outbreaks_to_link": list(selectors.outbreaks_to_link(infection_case)),
        "contact_form": ContactForm(prefix="contact"),
        "isolation_form": IsolationForm(prefix="isolation"),
        "isolation_end": tracing.isolation_end(infection_case),
        "can_edit": _can_edit(request) and infection_case.status == InfectionCase.Status.OPEN,
        "today": timezone.localdate(),
    }
    context.update(extra)
    return context


# --- case panel ----------------------------------------------------------------------------------


@staff_required("infection.view")
@require_GET
def case_tracing(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's contacts, measures and outbreaks on a page of their own."""
    infection_case = _case(request, reference, audited=True)
    return render(request, "infection/tracing/case.html", panel_context(request, infection_case))


@staff_required("infection.edit")
@require_POST
def contact_add(request: HttpRequest, reference: str) -> HttpResponse:
    infection_case = _case(request, reference)
    form = ContactForm(request.POST, prefix="contact")
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            contact = tracing.add_contact(
                actor=request.user,
                infection_case=infection_case,
                category=data["category"],
                setting=data["setting"],
                exposure_date=data["exposure_date"],
                note=data["note"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                birth_date=data["birth_date"],
                phone=data["phone"],
                street=data["street"],
                postal_code=data["postal_code"],
                place=data["place"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("%(name)s is recorded as a contact.")
                % {"name": f"{contact.person.given_name} {contact.person.family_name}"},
            )
            return redirect(_case_url(infection_case))
    context = panel_context(request, infection_case, contact_form=form, error=error, form=form)
    return render(request, "infection/tracing/case.html", context, status=400)


@staff_required("infection.edit")
@require_POST
def quarantine_orders(request: HttpRequest, reference: str) -> HttpResponse:
    """Issue quarantine orders for the contacts ticked on the case panel."""
    infection_case = _case(request, reference)
    ids = [int(value) for value in request.POST.getlist("contact") if value.isascii() and value.isdigit()]
    contacts = list(selectors.contacts_of_office(office=request.office, ids=ids))
    if ids and len(contacts) != len(set(ids)):
        return render(
            request,
            "infection/tracing/case.html",
            panel_context(request, infection_case, error=_("A selected contact was not found.")),
            status=400,
        )
    try:
        result = tracing.issue_quarantine_orders(actor=request.user, infection_case=infection_case, contacts=contacts)
    except DomainError as exc:
        return render(
            request,
            "infection/tracing/case.html",
            panel_context(request, infection_case, error=exc.message),
            status=400,
        )
    if result.measures:
        messages.success(
            request,
            _("%(count)s quarantine order(s) issued; the letters are filed in the e-file.")
            % {"count": len(result.measures)},
        )
    if result.skipped:
        names = "; ".join(
            f"{contact.person.given_name} {contact.person.family_name} ({reason})" for contact, reason in result.skipped
        )
        messages.warning(request, _("Not ordered: %(names)s.") % {"names": names})
    return redirect(_case_url(infection_case))


@staff_required("infection.edit")
@require_POST
def isolation_order(request: HttpRequest, reference: str) -> HttpResponse:
    infection_case = _case(request, reference)
    form = IsolationForm(request.POST, prefix="isolation")
    error = ""
    if form.is_valid():
        try:
            tracing.issue_isolation_order(
                actor=request.user, infection_case=infection_case, ends_on=form.cleaned_data["ends_on"]
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("The isolation order is issued; the letter is filed in the e-file."))
            return redirect(_case_url(infection_case))
    context = panel_context(request, infection_case, isolation_form=form, error=error, form=form)
    return render(request, "infection/tracing/case.html", context, status=400)


@staff_required("infection.edit")
@require_POST
def case_outbreak_link(request: HttpRequest, reference: str) -> HttpResponse:
    """Link the case to an outbreak chosen on the case panel."""
    infection_case = _case(request, reference)
    chosen = request.POST.get("outbreak", "")
    outbreak = selectors.find_outbreak(office=request.office, reference=chosen)
    if outbreak is None:
        context = panel_context(request, infection_case, error=_("Please choose an outbreak."))
        return render(request, "infection/tracing/case.html", context, status=400)
    try:
        tracing.add_case_to_outbreak(actor=request.user, outbreak=outbreak, infection_case=infection_case)
    except DomainError as exc:
        return render(
            request,
            "infection/tracing/case.html",
            panel_context(request, infection_case, error=exc.message),
            status=400,
        )
    messages.success(request, _("The case is linked to the outbreak %(name)s.") % {"name": outbreak.name})
    return redirect(_case_url(infection_case))


# --- contacts ------------------------------------------------------------------------------------


@staff_required("infection.view")
@require_http_methods(["GET", "POST"])
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact with its follow-up calls; staff with edit rights change category or exposure here."""
    contact = selectors.get_contact_for_user(user=request.user, office=request.office, pk=pk)
    initial = {"category": contact.category, "setting": contact.setting, "exposure_date": contact.exposure_date}
    form = ContactUpdateForm(request.POST or None, initial=initial)
    error = ""
    if request.method == "POST":
        if not _can_edit(request):
            raise Http404
        if form.is_valid():
            try:
                tracing.update_contact(actor=request.user, contact=contact, **form.cleaned_data)
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, _("The contact is updated."))
                return redirect("infection:contact", pk=contact.pk)
    return _contact_page(request, contact, form=form, error=error, status=400 if request.method == "POST" else 200)


def _contact_page(
    request: HttpRequest, contact: Any, *, form: ContactUpdateForm | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    if form is None:
        initial = {"category": contact.category, "setting": contact.setting, "exposure_date": contact.exposure_date}
        form = ContactUpdateForm(initial=initial)
    context = {
        "contact": contact,
        "calls": list(selectors.calls_of_contact(contact)),
        "form": form,
        "error": error,
        "can_edit": _can_edit(request),
        "disease": catalogue.disease_label(contact.index_case.disease),
    }
    return render(request, "infection/tracing/contact.html", context, status=status)


@staff_required("infection.edit")
@require_POST
def contact_end(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.get_contact_for_user(user=request.user, office=request.office, pk=pk)
    try:
        tracing.end_observation(actor=request.user, contact=contact)
    except DomainError as exc:
        return _contact_page(request, contact, error=exc.message, status=400)
    messages.success(request, _("The observation has ended."))
    return redirect("infection:contact", pk=contact.pk)


@staff_required("infection.edit")
@require_POST
def contact_became_case(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.get_contact_for_user(user=request.user, office=request.office, pk=pk)
    try:
        new_case = tracing.contact_became_case(actor=request.user, contact=contact)
    except DomainError as exc:
        return _contact_page(request, contact, error=exc.message, status=400)
    messages.success(request, _("The contact is now the case %(reference)s.") % {"reference": new_case.reference})
    return redirect("infection:case", reference=new_case.reference)


@staff_required("infection.edit")
@require_POST
def measure_lift(request: HttpRequest, pk: int) -> HttpResponse:
    measure = selectors.get_measure_for_user(office=request.office, pk=pk)
    case = measure.infection_case or measure.contact.index_case
    try:
        tracing.lift_measure(actor=request.user, measure=measure)
    except DomainError as exc:
        context = panel_context(request, case, error=exc.message)
        return render(request, "infection/tracing/case.html", context, status=400)
    messages.success(request, _("The order is lifted."))
    return redirect(_case_url(case))


# --- follow-up calls -----------------------------------------------------------------------------


@staff_required("infection.view")
@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    """Calls due today and overdue (Anrufliste): mine or the whole office's."""
    view = request.GET.get("view", "mine")
    if view not in selectors.CALL_VIEWS:
        view = "mine"
    return _calls_page(request, view)


def _calls_page(request: HttpRequest, view: str, *, error: str = "", status: int = 200) -> HttpResponse:
    calls = selectors.calls_due(user=request.user, office=request.office, view=view)
    context = {"calls": calls, "view": view, "today": timezone.localdate(), "can_edit": _can_edit(request)}
    return render(request, "infection/tracing/calls.html", {**context, "error": error}, status=status)


@staff_required("infection.edit")
@require_POST
def call_record(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.get_call_for_user(office=request.office, pk=pk)
    form = CallOutcomeForm(request.POST)
    view = "all" if request.POST.get("view") == "all" else "mine"
    back = reverse("infection:calls") + ("?view=all" if view == "all" else "")
    if not form.is_valid():
        return _calls_page(request, view, error=_("Please choose the outcome of the call."), status=400)
    outcome = form.cleaned_data["outcome"]
    try:
        tracing.record_call(
            actor=request.user,
            call=call,
            reached=outcome != "missed",
            symptoms=outcome == "symptoms" if outcome != "missed" else None,
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        return _calls_page(request, view, error=exc.message, status=400)
    if outcome == "symptoms":
        messages.warning(
            request,
            _("Symptoms reported: please check whether the contact became a case."),
        )
        return redirect("infection:contact", pk=call.contact_id)
    if outcome == "missed":
        messages.success(request, _("Not reached: another call is planned for tomorrow."))
    else:
        messages.success(request, _("The call is recorded."))
    return redirect(back)


# --- outbreaks -----------------------------------------------------------------------------------


@staff_required("infection.view")
@require_http_methods(["GET", "POST"])
def outbreak_list(request: HttpRequest) -> HttpResponse:
    """The office's outbreaks; a new one is created from the form on this page."""
    form = OutbreakForm(request.POST or None, prefix="outbreak")
    error = ""
    if request.method == "POST":
        if not _can_edit(request):
            raise Http404
        if form.is_valid():
            try:
                outbreak = tracing.create_outbreak(actor=request.user, office=request.office, **form.cleaned_data)
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, _("The outbreak %(name)s is opened.") % {"name": outbreak.name})
                return redirect("infection:outbreak", reference=outbreak.reference)
    status = request.GET.get("status", "")
    if status not in Outbreak.Status.values:
        status = ""
    context = {
        "outbreaks": list(selectors.outbreaks_of_office(office=request.office, status=status)),
        "status": status,
        "statuses": Outbreak.Status.choices,
        "form": form,
        "error": error,
        "can_edit": _can_edit(request),
    }
    return render(request, "infection/tracing/outbreaks.html", context, status=400 if request.method == "POST" else 200)


def _outbreak_page(request: HttpRequest, outbreak: Outbreak, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "outbreak": outbreak,
        "disease": catalogue.disease_label(outbreak.disease),
        "cases": list(selectors.cases_of_outbreak(outbreak)),
        "contacts": list(selectors.contacts_of_outbreak(outbreak)),
        "timeline": selectors.outbreak_timeline(outbreak),
        "reference_form": CaseReferenceForm(),
        "note_form": OutbreakNoteForm(),
        "can_edit": _can_edit(request) and outbreak.status == Outbreak.Status.OPEN,
    }
    context.update(extra)
    return render(request, "infection/tracing/outbreak.html", context, status=status)


@staff_required("infection.view")
@require_GET
def outbreak_detail(request: HttpRequest, reference: str) -> HttpResponse:
    outbreak = selectors.get_outbreak_for_user(user=request.user, office=request.office, reference=reference)
    return _outbreak_page(request, outbreak)


@staff_required("infection.edit")
@require_POST
def outbreak_case_add(request: HttpRequest, reference: str) -> HttpResponse:
    outbreak = selectors.get_outbreak_for_user(user=request.user, office=request.office, reference=reference)
    form = CaseReferenceForm(request.POST)
    if not form.is_valid():
        return _outbreak_page(request, outbreak, status=400, reference_form=form, form=form)
    infection_case = selectors.find_infection_case(office=request.office, reference=form.cleaned_data["reference"])
    if infection_case is None:
        form.add_error("reference", _("There is no case with this reference in your office."))
        return _outbreak_page(request, outbreak, status=400, reference_form=form, form=form)
    try:
        tracing.add_case_to_outbreak(actor=request.user, outbreak=outbreak, infection_case=infection_case)
    except DomainError as exc:
        form.add_error("reference", exc.message)
        return _outbreak_page(request, outbreak, status=400, reference_form=form, form=form)
    messages.success(request, _("The case %(reference)s is linked.") % {"reference": infection_case.reference})
    return redirect("infection:outbreak", reference=outbreak.reference)


@staff_required("infection.edit")
@require_POST
def outbreak_case_remove(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    outbreak = selectors.get_outbreak_for_user(user=request.user, office=request.office, reference=reference)
    infection_case = _case(request, case_reference)
    try:
        tracing.remove_case_from_outbreak(actor=request.user, outbreak=outbreak, infection_case=infection_case)
    except DomainError as exc:
        return _outbreak_page(request, outbreak, status=400, error=exc.message)
    messages.success(request, _("The case %(reference)s is unlinked.") % {"reference": infection_case.reference})
    return redirect("infection:outbreak", reference=outbreak.reference)


@staff_required("infection.edit")
@require_POST
def outbreak_note(request: HttpRequest, reference: str) -> HttpResponse:
    outbreak = selectors.get_outbreak_for_user(user=request.user, office=request.office, reference=reference)
    form = OutbreakNoteForm(request.POST)
    if not form.is_valid():
        return _outbreak_page(request, outbreak, status=400, note_form=form, form=form)
    try:
        tracing.add_outbreak_note(actor=request.user, outbreak=outbreak, text=form.cleaned_data["text"])
    except DomainError as exc:
        return _outbreak_page(request, outbreak, status=400, note_form=form, error=exc.message)
    messages.success(request, _("The note is added."))
    return redirect("infection:outbreak", reference=outbreak.reference)


@staff_required("infection.edit")
@require_POST
def outbreak_close(request: HttpRequest, reference: str) -> HttpResponse:
    outbreak = selectors.get_outbreak_for_user(user=request.user, office=request.office, reference=reference)
    try:
        tracing.close_outbreak(actor=request.user, outbreak=outbreak)
    except DomainError as exc:
        return _outbreak_page(request, outbreak, status=400, error=exc.message)
    messages.success(request, _("The outbreak is closed."))
    return redirect("infection:outbreak", reference=outbreak.reference)
