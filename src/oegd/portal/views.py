"""The citizen portal shell: start page, the entry pages and "my area"."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from oegd.appointments.selectors import appointments_shown_to_guardian
from oegd.core import audit
from oegd.core import selectors as core_selectors
from oegd.core import services as core_services
from oegd.core.access import citizen_required, portal_user_required, public
from oegd.core.forms import ProfileForm
from oegd.core.problems import operation_outcome, problem_response
from oegd.core.services import DomainError
from oegd.forms import selectors as form_selectors
from oegd.messaging import selectors as messaging_selectors
from oegd.portal import export as portal_export
from oegd.portal import proxy, services
from oegd.portal import selectors as portal_selectors
from oegd.portal.forms import CloseAccountForm, DependantForm, LinkAccountForm
from oegd.portal.models import Dependant


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@public
def info(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/info.html")


@public
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/privacy.html")


@public
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/accessibility.html")


@portal_user_required
def my_area(request: HttpRequest) -> HttpResponse:
    if request.user.kind == request.user.Kind.INSTITUTION:
        return render(
            request,
            "portal/my_institution.html",
            {
                "institutions": request.user.institutions.all(),
                "submissions": form_selectors.submissions_of(request.user)[:50],
                "drafts": form_selectors.open_drafts_of(request.user),
            },
        )
    profile = getattr(request.user, "citizen_profile", None)
    initial = (
        {"postal_code": profile.postal_code, "place": profile.place, "accessibility_needs": profile.accessibility_needs}
        if profile
        else {}
    )
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        core_services.update_citizen_profile(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your details are saved."))
        return redirect("portal:my_area")
    threads = list(messaging_selectors.threads_of_person(request.user)[:5])
    return render(
        request,
        "portal/my_area.html",
        {
            "form": form,
            "access_log": core_selectors.access_log_for_citizen(user=request.user, limit=5),
            "submissions": form_selectors.submissions_of(request.user)[:50],
            "drafts": form_selectors.open_drafts_of(request.user),
            "threads": threads,
            "unread_threads": messaging_selectors.unread_thread_ids(threads),
            "unread_count": messaging_selectors.unread_count_for_person(request.user),
            "documents": list(portal_selectors.documents_of_citizen(request.user)[:5]),
            "dependants": proxy.dependants_of(request.user),
        },
        status=400 if form.errors else 200,
    )


# --- children (Vertretung) -----------------------------------------------------------------------


@citizen_required
@require_http_methods(["GET", "POST"])
def family(request: HttpRequest) -> HttpResponse:
    """The children the parent acts for, what they may see of each, and adding a child."""
    form = DependantForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            dependant = services.add_dependant(guardian=request.user, **form.cleaned_data)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": dependant.given_name})
            return redirect("portal:family")
    return _family_page(request, form=form, error=error)


def _family_page(
    request: HttpRequest, *, form: DependantForm, error: str = "", new_code: tuple[Dependant, str] | None = None
) -> HttpResponse:
    today = timezone.localdate()
    rows = []
    for dependant in proxy.dependants_of(request.user).select_related("account"):
        access = proxy.proxy_access(request.user, dependant, today)
        rows.append(
            {
                "dependant": dependant,
                "age": dependant.age_on(today),
                "access": access,
                "appointments": (
                    list(appointments_shown_to_guardian(dependant.account).select_related("office")[:10])
                    if dependant.account_id and access != proxy.NONE
                    else []
                ),
            }
        )
    return render(
        request,
        "portal/family.html",
        {
            "form": form,
            "error": error,
            "rows": rows,
            "acting": proxy.acting_for(request),
            "new_code": new_code and {"dependant": new_code[0], "code": services.format_link_code(new_code[1])},
        },
        status=400 if (form.errors or error) else 200,
    )


@citizen_required
@require_POST
def link_code(request: HttpRequest, dependant_id: int) -> HttpResponse:
    """A one-time code for the child's own account, shown on this answer only (never again)."""
    dependant = get_object_or_404(proxy.dependants_of(request.user), pk=dependant_id)
    try:
        code = services.create_link_code(guardian=request.user, dependant=dependant)
    except DomainError as exc:
        return _family_page(request, form=DependantForm(), error=exc.message)
    return _family_page(request, form=DependantForm(), new_code=(dependant, code))


@citizen_required
@require_http_methods(["GET", "POST"])
def link_account(request: HttpRequest) -> HttpResponse:
    """The youth enters their parent's code in their own account (Konto verknüpfen)."""
    form = LinkAccountForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.link_youth_account(youth=request.user, code=form.cleaned_data["code"])
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your account is now linked to your parent's."))
            return redirect("portal:my_area")
    return render(
        request,
        "portal/link_account.html",
        {"form": form, "error": error},
        status=400 if (form.errors or error) else 200,
    )


@citizen_required
@require_POST
def act_for(request: HttpRequest, dependant_id: int) -> HttpResponse:
    dependant = get_object_or_404(proxy.dependants_of(request.user), pk=dependant_id)
    try:
        services.start_acting_for(request=request, dependant=dependant)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:family")
    messages.success(request, _("You are now acting for %(name)s.") % {"name": dependant.given_name})
    return redirect("messaging:mine")


@citizen_required
@require_POST
def stop_acting(request: HttpRequest) -> HttpResponse:
    services.stop_acting(request=request)
    messages.success(request, _("You are acting for yourself again."))
    return redirect("portal:my_area")


# --- documents and their verification ------------------------------------------------------------


@citizen_required
def documents(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/documents.html", {"documents": portal_selectors.documents_of_citizen(request.user)[:200]}
    )


@citizen_required
def document_download(request: HttpRequest, identifier: str) -> HttpResponse:
    """A released document, checked against its SHA-256 (the download is audited)."""
    from oegd.cases.documents import DocumentUnavailable, document_bytes

    document = portal_selectors.get_document_of_citizen(user=request.user, identifier=identifier)
    try:
        data = document_bytes(document)
    except DocumentUnavailable as exc:
        return HttpResponse(exc.message, status=410, content_type="text/plain; charset=utf-8")
    audit.record(request.user, "document.download", document, office=document.case.office, subject=request.user)
    response = HttpResponse(data, content_type=document.media_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=document.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@public
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public check of a letter's QR code: title, office and date, nothing about the person."""
    document = portal_selectors.verify_document(code)
    return render(request, "portal/verify.html", {"document": document})


# --- access log, export, closing the account ----------------------------------------------------


@citizen_required
def access_log(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(portal_selectors.access_log_of_citizen(request.user), portal_selectors.ACCESS_LOG_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "portal/access_log.html", {"page": page})


@citizen_required
def export(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/export_start.html")


@citizen_required
def export_json(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(portal_export.export_json(user=request.user), content_type="application/json")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename="my-data.json")
    response["Cache-Control"] = "no-store"
    return response


@citizen_required
def export_pdf(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(portal_export.export_pdf(user=request.user), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename="my-data.pdf")
    response["Cache-Control"] = "no-store"
    return response


@citizen_required
@require_http_methods(["GET", "POST"])
def close_account(request: HttpRequest) -> HttpResponse:
    """Close the account after the password is entered again."""
    form = CloseAccountForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.close_account(request=request, password=form.cleaned_data["password"])
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("portal:account_closed")
    return render(
        request, "portal/close.html", {"form": form, "error": error}, status=400 if (form.errors or error) else 200
    )


@public
def account_closed(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/closed.html")


def _machine_error(request: HttpRequest, status: int, title: str) -> HttpResponse | None:
    if request.path.startswith("/api/"):
        return problem_response(status, title)
    if request.path.startswith("/fhir/"):
        return operation_outcome(status, title, code="not-found" if status == 404 else "processing")
    return None


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title = _("The request could not be understood.")
    return _machine_error(request, 400, title) or render(request, "portal/error.html", {"title": title}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title = _("You may not open this page.")
    return _machine_error(request, 403, title) or render(request, "portal/error.html", {"title": title}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title = _("This page does not exist.")
    return _machine_error(request, 404, title) or render(request, "portal/error.html", {"title": title}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    title = _("Something went wrong on our side. Please try again later.")
    return _machine_error(request, 500, title) or render(request, "portal/error.html", {"title": title}, status=500)
