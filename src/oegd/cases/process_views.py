"""Staff pages of the process library (BPMN/DMN, Prozessbibliothek) and of the case types.

The state library is kept by state administrators (``state.manage``); an office administrator
(``office.manage``) makes an office variant of a library process, which the office's new cases
then run instead. Everyone with ``cases.view`` may look at the diagrams. A diagram that does not
compile is refused with the engine's message (400) and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oegd.cases import case_types, services
from oegd.cases.controlling import step_cycle_times
from oegd.cases.diagrams import plain_diagram
from oegd.cases.engine import InvalidProcess
from oegd.cases.models import CaseType, Milestone, ProcessDefinition, ProcessInstance
from oegd.cases.process_forms import (
    CaseTypeForm,
    MilestoneFormSet,
    NewProcessForm,
    ProcessVersionForm,
    milestone_initial,
)
from oegd.core.access import has_permission, staff_required
from oegd.core.models import Office

VIEW_PERMISSIONS = ("cases.view", "office.manage", "state.manage")


def _may(request: HttpRequest, permission: str) -> bool:
    return has_permission(request.user, request.office, permission)


def _require_viewer(request: HttpRequest) -> None:
    """Diagrams are for case workers and administrators; to others the library does not exist."""
    if not any(_may(request, permission) for permission in VIEW_PERMISSIONS):
        raise Http404


def _versions(key: str, office: Office | None) -> list[ProcessDefinition]:
    return list(
        ProcessDefinition.objects.filter(key=key, office=office).select_related("created_by").order_by("-version")
    )


def _running_counts(request: HttpRequest, definitions: list[ProcessDefinition]) -> tuple[dict[int, int], bool]:
    """Running cases per version: state-wide for state administrators, else the office's own."""
    instances = ProcessInstance.objects.filter(
        status=ProcessInstance.Status.RUNNING, definition__in=[definition.pk for definition in definitions]
    )
    state_wide = _may(request, "state.manage")
    if not state_wide:
        instances = instances.filter(case__office=request.office)
    counts = dict(instances.values_list("definition").annotate(n=Count("id")).values_list("definition", "n"))
    return counts, state_wide


def _library_rows(request: HttpRequest, office: Office | None) -> tuple[list[dict[str, Any]], bool]:
    definitions = list(ProcessDefinition.objects.filter(office=office).order_by("key", "-version"))
    counts, state_wide = _running_counts(request, definitions)
    rows: dict[str, dict[str, Any]] = {}
    for definition in definitions:
        row = rows.setdefault(definition.key, {"key": definition.key, "latest": None, "versions": []})
        if row["latest"] is None and definition.status == ProcessDefinition.Status.PUBLISHED:
            row["latest"] = definition
        row["versions"].append({"definition": definition, "running": counts.get(definition.pk, 0)})
    for row in rows.values():
        row["name"] = (row["latest"] or row["versions"][0]["definition"]).name
    return sorted(rows.values(), key=lambda row: row["name"].lower()), state_wide


# --- the library -------------------------------------------------------------------------------


@staff_required("office.view")
@require_GET
def process_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    library, state_wide = _library_rows(request, None)
    variants, _state_wide = _library_rows(request, request.office)
    variant_keys = {row["key"] for row in variants}
    for row in library:
        row["has_variant"] = row["key"] in variant_keys
    return render(
        request,
        "cases/processes/list.html",
        {
            "library": library,
            "variants": variants,
            "state_wide": state_wide,
            "may_edit_library": _may(request, "state.manage"),
            "may_make_variants": _may(request, "office.manage"),
        },
    )


def _detail(request: HttpRequest, key: str, office: Office | None) -> HttpResponse:
    _require_viewer(request)
    versions = _versions(key, office)
    if not versions:
        raise Http404
    selected = versions[0]
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        selected = next((definition for definition in versions if definition.version == int(wanted)), selected)
    counts, state_wide = _running_counts(request, versions)
    variant = office is not None
    has_variant = variant or ProcessDefinition.objects.filter(key=key, office=request.office).exists()
    return render(
        request,
        "cases/processes/detail.html",
        {
            "key": key,
            "variant": variant,
            "name": versions[0].name,
            "versions": [
                {"definition": definition, "running": counts.get(definition.pk, 0)} for definition in versions
            ],
            "selected": selected,
            "diagram": plain_diagram(selected),
            "state_wide": state_wide and not variant,
            "can_edit": _may(request, "office.manage" if variant else "state.manage"),
            "has_variant": has_variant,
            "may_make_variant": not variant and not has_variant and _may(request, "office.manage"),
            "cycle_times": step_cycle_times(office=request.office, process_key=key) if request.office else [],
        },
    )


@staff_required("office.view")
@require_GET
def library_detail(request: HttpRequest, key: str) -> HttpResponse:
    return _detail(request, key, None)


@staff_required("office.view")
@require_GET
def variant_detail(request: HttpRequest, key: str) -> HttpResponse:
    return _detail(request, key, request.office)


def _render_editor(
    request: HttpRequest, form: ProcessVersionForm, *, key: str, office: Office | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "cases/processes/edit.html",
        {"form": form, "key": key, "variant": office is not None, "new": isinstance(form, NewProcessForm)},
        status=status,
    )


def _publish(request: HttpRequest, form: ProcessVersionForm, *, key: str, office: Office | None) -> HttpResponse | None:
    """Publish the form's diagram; None when it was refused (the error is on the form)."""
    data = form.cleaned_data
    try:
        definition = services.publish_process_definition(
            actor=request.user,
            key=key,
            name=data["name"],
            bpmn_xml=data["bpmn"],
            dmn_xml=data["dmn"],
            office=office,
            comment=data.get("comment", ""),
        )
    except InvalidProcess as exc:
        form.add_error(None, exc.message)
        return None
    messages.success(
        request,
        _("Version %(version)s of “%(name)s” is published. New cases start on it; running cases keep theirs.")
        % {"version": definition.version, "name": definition.name},
    )
    return redirect("processes:variant" if office else "processes:library", key=key)


def _edit(request: HttpRequest, key: str, office: Office | None) -> HttpResponse:
    versions = _versions(key, office)
    if not versions:
        raise Http404
    latest = versions[0]
    if request.method == "POST":
        form = ProcessVersionForm(request.POST, request.FILES)
        if form.is_valid():
            published = _publish(request, form, key=key, office=office)
            if published is not None:
                return published
        return _render_editor(request, form, key=key, office=office, status=400)
    form = ProcessVersionForm(initial={"name": latest.name, "bpmn_xml": latest.bpmn_xml, "dmn_xml": latest.dmn_xml})
    return _render_editor(request, form, key=key, office=office)


@staff_required("state.manage")
@require_http_methods(["GET", "POST"])
def library_edit(request: HttpRequest, key: str) -> HttpResponse:
    return _edit(request, key, None)


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def variant_edit(request: HttpRequest, key: str) -> HttpResponse:
    return _edit(request, key, request.office)


@staff_required("state.manage")
@require_http_methods(["GET", "POST"])
def library_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = NewProcessForm(request.POST, request.FILES)
        if form.is_valid():
            key = form.cleaned_data["key"]
            if ProcessDefinition.objects.filter(key=key, office__isnull=True).exists():
                form.add_error(
                    "key", _("The library has a process with this key already; publish a new version of it.")
                )
            else:
                published = _publish(request, form, key=key, office=None)
                if published is not None:
                    return published
        return _render_editor(request, form, key="", office=None, status=400)
    starter = render_to_string(
        "cases/processes/starter.bpmn",
        {"name": _("New process"), "received": _("Request received"), "done": _("Completed")},
    )
    return _render_editor(request, NewProcessForm(initial={"bpmn_xml": starter}), key="", office=None)


@staff_required("office.manage")
@require_POST
def variant_create(request: HttpRequest, key: str) -> HttpResponse:
    """An office's variant of a library process, starting as a copy of the library's newest version."""
    if ProcessDefinition.objects.filter(key=key, office=request.office).exists():
        messages.info(request, _("This office has a variant of the process already."))
        return redirect("processes:variant", key=key)
    library = (
        ProcessDefinition.objects.filter(key=key, office__isnull=True, status=ProcessDefinition.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if library is None:
        raise Http404
    try:
        services.publish_process_definition(
            actor=request.user,
            key=key,
            name=library.name,
            bpmn_xml=library.bpmn_xml,
            dmn_xml=library.dmn_xml,
            office=request.office,
            comment=_("Copy of version %(version)s of the state library") % {"version": library.version},
        )
    except InvalidProcess as exc:
        messages.error(request, exc.message)
        return redirect("processes:library", key=key)
    messages.success(request, _("The office's variant is created. New cases of this office start on it."))
    return redirect("processes:variant", key=key)


def _download(request: HttpRequest, key: str, version: int, part: str, office: Office | None) -> HttpResponse:
    _require_viewer(request)
    if part not in ("bpmn", "dmn"):
        raise Http404
    definition = ProcessDefinition.objects.filter(key=key, office=office, version=version).first()
    text = "" if definition is None else (definition.dmn_xml if part == "dmn" else definition.bpmn_xml)
    if not text:
        raise Http404
    response = HttpResponse(text, content_type="application/xml; charset=utf-8")
    scope = f"-{office.slug}" if office else ""
    response["Content-Disposition"] = f'attachment; filename="{key}{scope}-v{version}.{part}"'
    return response


@staff_required("office.view")
@require_GET
def library_download(request: HttpRequest, key: str, version: int, part: str) -> HttpResponse:
    return _download(request, key, version, part, None)


@staff_required("office.view")
@require_GET
def variant_download(request: HttpRequest, key: str, version: int, part: str) -> HttpResponse:
    return _download(request, key, version, part, request.office)


# --- case types --------------------------------------------------------------------------------


@staff_required("state.manage")
@require_GET
def case_type_list(request: HttpRequest) -> HttpResponse:
    names = dict(case_types.library_process_keys())
    rows = [
        {"case_type": case_type, "process_name": names.get(case_type.process_key, case_type.process_key)}
        for case_type in case_types.current_case_types()
    ]
    return render(request, "cases/processes/case_types.html", {"rows": rows})


def _case_type_page(request: HttpRequest, current: CaseType | None) -> HttpResponse:
    process_keys = case_types.library_process_keys()
    editing = current is not None
    error = ""
    if request.method == "POST":
        form = CaseTypeForm(
            request.POST,
            process_keys=process_keys,
            editing=editing,
            initial={"slug": current.slug} if current else None,
        )
        formset = MilestoneFormSet(request.POST, prefix="milestones")
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                saved = case_types.save_case_type(
                    actor=request.user,
                    slug=current.slug if current else data["slug"],
                    name=data["name"],
                    process_key=data["process_key"],
                    milestones=[milestone for row in formset.forms if (milestone := row.milestone())],
                    checklist=form.checklist_lines(),
                    filing_code=data["filing_code"],
                    retention_days=data["retention_days"],
                    retention_action=data["retention_action"],
                )
            except case_types.CaseTypeInvalid as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    error = exc.message
            else:
                messages.success(
                    request,
                    _("Version %(version)s of the case type is saved. New cases get it; open cases keep theirs.")
                    % {"version": saved.version},
                )
                return redirect("processes:case_type", slug=saved.slug)
        if not error and formset.non_form_errors():
            error = " ".join(formset.non_form_errors())
        status = 400
    else:
        initial = (
            {
                "slug": current.slug,
                "name": current.name,
                "process_key": current.process_key,
                "checklist": "\n".join(str(line) for line in current.checklist),
                "filing_code": current.filing_code,
                "retention_days": current.retention_days,
                "retention_action": current.retention_action,
            }
            if current
            else {"retention_action": CaseType.RetentionAction.DELETE}
        )
        form = CaseTypeForm(initial=initial, process_keys=process_keys, editing=editing)
        formset = MilestoneFormSet(
            initial=milestone_initial(current.milestones if current else []), prefix="milestones"
        )
        status = 200
    return render(
        request,
        "cases/processes/case_type_edit.html",
        {
            "form": form,
            "formset": formset,
            "error": error,
            "current": current,
            "versions": case_types.versions_of(current.slug) if current else [],
            "builtin_codes": Milestone.Code.values,
        },
        status=status,
    )


@staff_required("state.manage")
@require_http_methods(["GET", "POST"])
def case_type_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and CaseType.objects.filter(slug=request.POST.get("slug", "")).exists():
        messages.error(request, _("A case type with this key exists already; edit it instead."))
        return redirect("processes:case_type", slug=request.POST["slug"])
    return _case_type_page(request, None)


@staff_required("state.manage")
@require_http_methods(["GET", "POST"])
def case_type_edit(request: HttpRequest, slug: str) -> HttpResponse:
    current = CaseType.objects.filter(slug=slug, is_current=True).first()
    if current is None:
        raise Http404
    return _case_type_page(request, current)
