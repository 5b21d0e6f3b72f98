"""Citizen and institution pages of the form server: catalogue, form pages, review, status."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oegd.core.access import has_permission, public, staff_is_verified
from oegd.forms import rendering, selectors, services
from oegd.forms.attachments import open_attachment
from oegd.forms.receipts import receipt_filename, render_receipt_pdf
from oegd.forms.summary import answer_summary
from oegd.forms.validation import ValidationIssue, validate_response

SESSION_DRAFTS = "oegd_drafts"
SESSION_STATUS = "oegd_status"


# --- catalogue --------------------------------------------------------------------------------


@public
def catalogue(request: HttpRequest) -> HttpResponse:
    services_by_kind: dict[str, list] = {}
    for service in selectors.offered_services():
        services_by_kind.setdefault(service.get_kind_display(), []).append(service)
    return render(request, "forms/catalogue.html", {"services_by_kind": services_by_kind})


@public
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = selectors.get_offered_service(slug)
    return render(
        request,
        "forms/service.html",
        {
            "service": service,
            "who": selectors.who_may_use(service),
            "may_use": selectors.may_use(user=request.user, service=service),
            "institutions": selectors.institutions_for_service(user=request.user, service=service),
            "offices": selectors.offices_offering(service),
        },
    )


@public
@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    service = selectors.get_offered_service(slug)
    if not selectors.may_use(user=request.user, service=service):
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("forms:service", args=[slug]), settings.LOGIN_URL)
        return render(request, "forms/service.html", {"service": service, "refused": True}, status=403)
    institution = None
    if service.institution_kinds and request.user.kind == request.user.Kind.INSTITUTION:
        institution = (
            selectors.institutions_for_service(user=request.user, service=service)
            .filter(pk=request.POST.get("institution") or 0)
            .first()
        ) or selectors.institutions_for_service(user=request.user, service=service).first()
    try:
        draft = services.start_draft(
            service=service,
            user=request.user if request.user.is_authenticated else None,
            institution=institution,
            language=request.LANGUAGE_CODE,
        )
    except services.ServiceUnavailable as exc:
        return render(request, "forms/service.html", {"service": service, "error": exc.message}, status=409)
    _remember_draft(request, str(draft.public_id))
    return redirect("forms:page", public_id=draft.public_id, page=0)


def _remember_draft(request: HttpRequest, public_id: str) -> None:
    drafts = [known for known in request.session.get(SESSION_DRAFTS, []) if known != public_id][-19:]
    request.session[SESSION_DRAFTS] = [*drafts, public_id]


# --- filling in -------------------------------------------------------------------------------


@public
def form_page(request: HttpRequest, public_id: str, page: int) -> HttpResponse:
    draft = selectors.get_draft_for_request(user=request.user, session=request.session, public_id=public_id)
    definition = selectors.definition_of(draft.form_version)
    pages = rendering.pages_of(definition)
    if page >= len(pages):
        raise Http404
    current = pages[page]
    items = services.draft_items(draft)
    issues: list[ValidationIssue] = []
    status = 200
    if request.method == "POST":
        files = {name[2:]: request.FILES.getlist(name) for name in request.FILES if name.startswith("q:")}
        uploaded, upload_issues = services.store_uploads(
            actor=request.user, draft=draft, files=files, remove=request.POST.getlist("remove-attachment")
        )
        page_items, parse_issues = rendering.answers_from_post(
            definition=definition, page=current, data=request.POST, uploaded=uploaded
        )
        items = rendering.merge_page(definition, items, current, page_items)
        services.save_draft_page(actor=request.user, draft=draft, items=items, page=page)
        action = request.POST.get("action", "next")
        issues = parse_issues + upload_issues
        if request.POST.get("add") or request.POST.get("remove"):
            pass  # "add another" / "remove": show the page again with one row more or less
        elif action == "back" and not issues:
            return redirect(
                "forms:page", public_id=draft.public_id, page=_neighbour(definition, pages, items, page, -1)
            )
        elif action == "save" and not issues:
            return redirect("forms:save", public_id=draft.public_id)
        elif action == "next":
            response = {"resourceType": "QuestionnaireResponse", "status": "in-progress", "item": items}
            issues += rendering.page_issues(definition, current, validate_response(definition, response))
            if not issues:
                following = _neighbour(definition, pages, items, page, +1)
                if following != page:
                    return redirect("forms:page", public_id=draft.public_id, page=following)
                return redirect("forms:review", public_id=draft.public_id)
        status = 400 if issues else 200
    step, total = rendering.progress(pages, page)
    return render(
        request,
        "forms/page.html",
        {
            "draft": draft,
            "service": draft.service,
            "title": definition.title_in(request.LANGUAGE_CODE) or draft.service.title,
            "page": current,
            "page_title": current.title_in(request.LANGUAGE_CODE),
            "page_number": page,
            "step": step,
            "total": total,
            "is_last": page + 1 == len(pages),
            "fields": rendering.render_page(
                definition=definition,
                page=current,
                items=items,
                issues=issues,
                language=request.LANGUAGE_CODE,
                attachments=selectors.attachments_of_draft(draft),
            ),
            "errors": rendering.error_summary(definition, issues, request.LANGUAGE_CODE),
        },
        status=status,
    )


def _neighbour(definition, pages, items, page: int, step: int) -> int:
    """The next (or previous) page that applies with these answers; ``page`` itself if none."""
    index = page + step
    while 0 <= index < len(pages):
        if rendering.page_is_enabled(definition, pages[index], items):
            return index
        index += step
    return page


@public
def save_for_later(request: HttpRequest, public_id: str) -> HttpResponse:
    """Ask for an e-mail address and send the resume link (anonymous users; account holders find
    their drafts in their area as well)."""
    draft = selectors.get_draft_for_request(user=request.user, session=request.session, public_id=public_id)
    error = ""
    email = request.user.email if request.user.is_authenticated else ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        try:
            validate_email(email)
        except ValidationError:
            error = _("Please enter a valid e-mail address.")
        else:
            services.send_resume_link(actor=request.user, draft=draft, email=email)
            return render(request, "forms/saved.html", {"draft": draft, "email": email})
    return render(
        request, "forms/save.html", {"draft": draft, "email": email, "error": error}, status=400 if error else 200
    )


@public
def resume(request: HttpRequest, token: str) -> HttpResponse:
    try:
        draft = services.resume_draft(token=token)
    except services.DraftNotAvailable as exc:
        return render(request, "forms/resume_failed.html", {"error": exc.message}, status=404)
    if draft.user_id is not None and request.user.pk != draft.user_id:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    _remember_draft(request, str(draft.public_id))
    return redirect("forms:page", public_id=draft.public_id, page=draft.page)


@public
def review(request: HttpRequest, public_id: str) -> HttpResponse:
    draft = selectors.get_draft_for_request(user=request.user, session=request.session, public_id=public_id)
    definition = selectors.definition_of(draft.form_version)
    pages = rendering.pages_of(definition)
    items = services.draft_items(draft)
    error = ""
    errors: list[tuple[str, str, str]] = []
    email = ""
    status = 200
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        try:
            if email:
                validate_email(email)
            result = services.submit_draft(actor=request.user, draft=draft, email=email)
        except ValidationError:
            error, status = _("Please enter a valid e-mail address."), 400
        except services.ResponseInvalid as exc:
            errors, status = _errors_with_pages(definition, pages, exc.issues, public_id, request.LANGUAGE_CODE), 400
        except services.RoutingFailed as exc:
            issue = ValidationIssue(exc.link_id, "routing", exc.message)
            errors, status = _errors_with_pages(definition, pages, [issue], public_id, request.LANGUAGE_CODE), 400
        else:
            reference = result.submission.reference
            request.session[SESSION_STATUS] = {**request.session.get(SESSION_STATUS, {}), reference: True}
            return redirect("forms:submitted", reference=reference)
    return render(
        request,
        "forms/review.html",
        {
            "draft": draft,
            "service": draft.service,
            "title": definition.title_in(request.LANGUAGE_CODE) or draft.service.title,
            "rows": answer_summary(definition, items, request.LANGUAGE_CODE),
            "pages": [(page.index, page.title_in(request.LANGUAGE_CODE)) for page in pages],
            "error": error,
            "errors": errors,
            "email": email,
            "needs_email": not request.user.is_authenticated,
        },
        status=status,
    )


def _errors_with_pages(definition, pages, issues, public_id, language):
    """Error summary entries that link to the question on its page."""
    page_of_anchor = {
        rendering.element_id(node.link_id): page.index for page in pages for item in page.items for node in item.walk()
    }
    return [
        (reverse("forms:page", args=[public_id, page_of_anchor.get(anchor, 0)]) + f"#{anchor}", label, message)
        for anchor, label, message in rendering.error_summary(definition, issues, language)
    ]


# --- after submission -------------------------------------------------------------------------


@public
def submitted(request: HttpRequest, reference: str) -> HttpResponse:
    submission = selectors.get_submission_for_viewer(user=request.user, session=request.session, reference=reference)
    return render(
        request,
        "forms/submitted.html",
        {"submission": submission, "service": submission.service, "secret": submission.status_secret},
    )


@public
def status_entry(request: HttpRequest) -> HttpResponse:
    own = selectors.submissions_of(request.user) if request.user.is_authenticated else []
    return render(request, "forms/status_entry.html", {"own": own})


@public
def status_check(request: HttpRequest) -> HttpResponse:
    """Reference and secret from the receipt (typed, or the QR code's link) open the status page."""
    reference = request.GET.get("reference", "")
    secret = request.GET.get("secret", "")
    submission = selectors.find_submission_for_status(reference=reference, secret=secret) if secret else None
    if submission is None:
        error = _("We found no request with this reference and secret. Please check both.")
        return render(
            request,
            "forms/status_entry.html",
            {"error": error, "reference": reference, "own": []},
            status=404 if secret else 400,
        )
    request.session[SESSION_STATUS] = {**request.session.get(SESSION_STATUS, {}), submission.reference: True}
    return redirect("forms:status", reference=submission.reference)


@public
def status_detail(request: HttpRequest, reference: str) -> HttpResponse:
    from oegd.cases.selectors import citizen_timeline

    submission = selectors.get_submission_for_viewer(user=request.user, session=request.session, reference=reference)
    return render(
        request,
        "forms/status.html",
        {"submission": submission, "service": submission.service, "timeline": citizen_timeline(submission.case)},
    )


@public
def receipt(request: HttpRequest, reference: str) -> HttpResponse:
    submission = selectors.get_submission_for_viewer(user=request.user, session=request.session, reference=reference)
    pdf = render_receipt_pdf(selectors.receipt_for(submission))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(submission.reference)}"'
    return response


@public
def attachment_download(request: HttpRequest, public_id: str) -> HttpResponse:
    office = getattr(request, "office", None)
    staff_office = office if staff_is_verified(request) and has_permission(request.user, office, "cases.view") else None
    attachment = selectors.get_attachment_for_viewer(
        user=request.user, session=request.session, public_id=public_id, office=staff_office
    )
    response = HttpResponse(open_attachment(attachment), content_type=attachment.content_type)
    # RFC 6266 with filename*: any name a citizen gave the file is safe in the header
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=attachment.filename)
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"  # an upload never runs as a page
    return response
