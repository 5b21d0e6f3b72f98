"""Staff pages for case documents: download, upload, generate a letter, the xdomea export, and the
letter templates (office admins edit their office's, state admins the state's)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from oegd.cases import document_selectors, documents, export, selectors
from oegd.cases.document_forms import SCOPE_OFFICE, SCOPE_STATE, LetterForm, LetterTemplateForm, UploadForm
from oegd.cases.models import Case, DocumentTemplate
from oegd.core.access import has_permission, staff_required
from oegd.core.services import DomainError

SANDBOX = "sandbox; default-src 'none'"  # a stored file never runs as a page


def _case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.reference]) + "#documents"


def _problem(request: HttpRequest, *, title: str, message: str, status: int, back: str = "") -> HttpResponse:
    return render(
        request, "cases/documents/problem.html", {"title": title, "message": message, "back": back}, status=status
    )


@staff_required("cases.view")
@require_GET
def download(request: HttpRequest, identifier: str) -> HttpResponse:
    document = document_selectors.get_document_for_user(user=request.user, office=request.office, identifier=identifier)
    try:
        data = documents.document_bytes(document)
    except DomainError as exc:
        return _problem(request, title=document.title, message=exc.message, status=410, back=_case_url(document.case))
    response = HttpResponse(data, content_type=document.media_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=document.filename)
    response["Content-Security-Policy"] = SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required("cases.edit")
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_user(user=request.user, office=request.office, reference=reference)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = documents.upload_document(
                actor=request.user, case=case, uploaded_file=form.cleaned_data["file"], title=form.cleaned_data["title"]
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("The document “%(title)s” is filed.") % {"title": document.title})
            return redirect(_case_url(case))
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/documents/upload.html", {"case": case, "form": form}, status=status)


@staff_required("cases.edit")
@require_http_methods(["GET", "POST"])
def generate(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_user(user=request.user, office=request.office, reference=reference)
    form = LetterForm(request.POST or None, choices=document_selectors.letter_choices(request.office))
    if request.method == "POST" and form.is_valid():
        try:
            document = documents.generate_letter(
                actor=request.user,
                case=case,
                template_key=form.cleaned_data["template"],
                title=form.cleaned_data["title"],
                citizen_visible=form.cleaned_data["citizen_visible"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("The letter “%(title)s” (version %(version)s) is filed.")
                % {"title": document.title, "version": document.version},
            )
            return redirect(_case_url(case))
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/documents/generate.html", {"case": case, "form": form}, status=status)


@staff_required("cases.view")
@require_GET
def export_xdomea(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_user(user=request.user, office=request.office, reference=reference)
    try:
        name, package = export.export_package(actor=request.user, case=case)
    except DomainError as exc:
        return _problem(
            request,
            title=_("E-file export"),
            message=exc.message,
            status=409,
            back=reverse("cases:detail", args=[reference]),
        )
    response = HttpResponse(package, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


# --- letter templates ---------------------------------------------------------------------------


def _may_edit(request: HttpRequest, template: DocumentTemplate) -> bool:
    if template.office_id is None:
        return has_permission(request.user, request.office, "state.manage")
    return template.office_id == request.office.pk


@staff_required("office.manage")
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    current = document_selectors.current_templates(request.office)
    return render(
        request,
        "cases/documents/template_list.html",
        {
            "office_templates": [t for t in current if t.office_id is not None],
            "state_templates": [t for t in current if t.office_id is None],
        },
    )


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    can_manage_state = has_permission(request.user, request.office, "state.manage")
    form = LetterTemplateForm(
        request.POST or None, can_manage_state=can_manage_state, initial={"language": "de", "scope": SCOPE_OFFICE}
    )
    if request.method == "POST":
        template = _save_template(request, form)
        if template is not None:
            return redirect("case_documents:template_edit", template_id=template.pk)
    status = 400 if request.method == "POST" else 200
    return _template_page(request, form, None, status=status)


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = document_selectors.get_template_for_admin(office=request.office, template_id=template_id)
    can_manage_state = has_permission(request.user, request.office, "state.manage")
    initial = {
        "key": template.key,
        "name": template.name,
        "language": template.language,
        "scope": SCOPE_STATE if template.office_id is None and can_manage_state else SCOPE_OFFICE,
        "html": template.html,
    }
    form = LetterTemplateForm(request.POST or None, can_manage_state=can_manage_state, editing=True, initial=initial)
    if request.method == "POST":
        saved = _save_template(request, form)
        if saved is not None:
            return redirect("case_documents:template_edit", template_id=saved.pk)
    status = 400 if request.method == "POST" else 200
    return _template_page(request, form, template, status=status)


def _save_template(request: HttpRequest, form: LetterTemplateForm) -> DocumentTemplate | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    state_wide = data["scope"] == SCOPE_STATE
    if state_wide and not has_permission(request.user, request.office, "state.manage"):
        raise Http404
    try:
        template = documents.save_document_template(
            actor=request.user,
            key=data["key"],
            name=data["name"],
            language=data["language"],
            html=data["html"],
            office=None if state_wide else request.office,
        )
    except documents.TemplateRefused as exc:
        for problem in exc.problems:
            form.add_error("html", problem)
        return None
    messages.success(
        request,
        _("The template “%(name)s” is saved as version %(version)s.")
        % {"name": template.name, "version": template.version},
    )
    return template


def _template_page(
    request: HttpRequest, form: LetterTemplateForm, template: DocumentTemplate | None, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "cases/documents/template_form.html",
        {
            "form": form,
            "template": template,
            "may_edit": template is None or _may_edit(request, template),
            "versions": document_selectors.template_versions(template) if template else [],
            "placeholders": sorted(documents.PLACEHOLDERS.items()),
            "families": sorted(documents.PLACEHOLDER_FAMILIES.items()),
        },
        status=status,
    )


@staff_required("office.manage")
@require_GET
def template_preview(request: HttpRequest, template_id: int) -> HttpResponse:
    template = document_selectors.get_template_for_admin(office=request.office, template_id=template_id)
    try:
        pdf = documents.preview_letter(template=template, office=request.office, actor=request.user)
    except DomainError as exc:
        back = reverse("case_documents:template_edit", args=[template.pk])
        return _problem(request, title=template.name, message=exc.message, status=422, back=back)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{template.key}-{template.language}-v{template.version}.pdf"
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    return response
