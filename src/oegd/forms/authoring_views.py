"""Staff pages of the form builder and the service catalogue: parse, call authoring, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oegd.core.access import has_permission, staff_required
from oegd.directory.models import Institution
from oegd.forms import authoring, rendering
from oegd.forms.models import FormDefinition, Service
from oegd.forms.questionnaire import QuestionnaireInvalid

LANGUAGE_NAMES = dict(settings.LANGUAGES)
TYPE_LABELS = {
    "group": gettext_lazy("group – a heading with questions below"),
    "display": gettext_lazy("display – text without an answer"),
    "string": gettext_lazy("string – short text"),
    "text": gettext_lazy("text – long text"),
    "boolean": gettext_lazy("boolean – yes or no"),
    "integer": gettext_lazy("integer – whole number"),
    "decimal": gettext_lazy("decimal – number"),
    "date": gettext_lazy("date"),
    "dateTime": gettext_lazy("dateTime – date and time"),
    "time": gettext_lazy("time"),
    "url": gettext_lazy("url – web address"),
    "choice": gettext_lazy("choice – one of the options"),
    "open-choice": gettext_lazy("open-choice – an option or own text"),
    "attachment": gettext_lazy("attachment – file upload"),
    "quantity": gettext_lazy("quantity – number with unit"),
}
OPERATOR_ORDER = ["=", "!=", ">", "<", ">=", "<=", "exists"]


# --- Django forms (kept here: they exist only for these pages) -----------------------------------


class NewFormForm(forms.Form):
    slug = forms.SlugField(
        label=gettext_lazy("Short name"),
        max_length=50,
        help_text=gettext_lazy("Lower-case letters, digits and hyphens; part of the form's web address."),
    )
    title = forms.CharField(label=gettext_lazy("Title (German)"), max_length=300)
    state_wide = forms.BooleanField(label=gettext_lazy("State-wide form (for all offices)"), required=False)


class ItemForm(forms.Form):
    link_id = forms.RegexField(
        label=gettext_lazy("linkId"),
        max_length=100,
        regex=r"^\S+$",
        help_text=gettext_lazy("A unique name of the item without spaces, e.g. “child-birthdate”."),
        error_messages={"invalid": gettext_lazy("A linkId may not contain spaces.")},
    )
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=list(TYPE_LABELS.items()))
    text = forms.CharField(label=gettext_lazy("Text (German)"), required=False, widget=forms.Textarea({"rows": 2}))
    required = forms.BooleanField(label=gettext_lazy("Answer required"), required=False)
    repeats = forms.BooleanField(label=gettext_lazy("Repeats (several answers)"), required=False)
    read_only = forms.BooleanField(label=gettext_lazy("Read only"), required=False)
    max_length = forms.IntegerField(label=gettext_lazy("Maximum length"), required=False, min_value=1)
    min_value = forms.CharField(
        label=gettext_lazy("Minimum"), required=False, help_text=gettext_lazy("Numbers; dates as YYYY-MM-DD.")
    )
    max_value = forms.CharField(label=gettext_lazy("Maximum"), required=False)
    regex = forms.CharField(label=gettext_lazy("Regular expression for the answer"), required=False)
    options = forms.CharField(
        label=gettext_lazy("Answer options"),
        required=False,
        widget=forms.Textarea({"rows": 4}),
        help_text=gettext_lazy("One per line as code|text, e.g. “yes|Ja”."),
    )
    enable_behavior = forms.ChoiceField(
        label=gettext_lazy("Show the item when"),
        choices=[("all", gettext_lazy("all conditions are met")), ("any", gettext_lazy("any condition is met"))],
    )

    def clean_options(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.cleaned_data["options"].splitlines():
            if not line.strip():
                continue
            code, _sep, display = line.partition("|")
            code = code.strip()
            if not code:
                raise forms.ValidationError(_("Every option needs a code before the |."))
            rows.append((code, display.strip()))
        codes = [code for code, _display in rows]
        if len(set(codes)) != len(codes):
            raise forms.ValidationError(_("Each option code may appear only once."))
        return rows


class EnableWhenForm(forms.Form):
    question = forms.ChoiceField(label=gettext_lazy("Question"), required=False)
    operator = forms.ChoiceField(label=gettext_lazy("Operator"), choices=[(op, op) for op in OPERATOR_ORDER])
    answer = forms.CharField(label=gettext_lazy("Answer"), required=False)

    def __init__(self, *args: Any, questions: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = [("", "–"), *questions]


EnableWhenFormSet = forms.formset_factory(EnableWhenForm, extra=2, max_num=20)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("JSON file"), required=False)
    json_text = forms.CharField(
        label=gettext_lazy("or paste the JSON here"), required=False, widget=forms.Textarea({"rows": 6})
    )

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("file") and not (data.get("json_text") or "").strip():
            raise forms.ValidationError(_("Please choose a file or paste the Questionnaire JSON."))
        return data

    def payload(self) -> bytes:
        upload = self.cleaned_data.get("file")
        if upload:
            if upload.size > authoring.MAX_IMPORT_BYTES:
                return b" " * (authoring.MAX_IMPORT_BYTES + 1)  # refused by the service with its message
            return upload.read()
        return self.cleaned_data["json_text"].encode()


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Service.Kind.choices)
    form = forms.ModelChoiceField(label=gettext_lazy("Form"), queryset=FormDefinition.objects.none())
    case_type = forms.CharField(label=gettext_lazy("Case type"), max_length=100)
    leika_code = forms.CharField(label=gettext_lazy("LeiKa code"), max_length=30, required=False)
    kle_code = forms.CharField(label=gettext_lazy("KLE code"), max_length=30, required=False)
    allow_anonymous = forms.BooleanField(label=gettext_lazy("Anonymous use allowed"), required=False)
    allow_citizens = forms.BooleanField(label=gettext_lazy("Citizens with an account"), required=False)
    institution_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Institutions that may submit"),
        choices=Institution.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    routing = forms.ChoiceField(label=gettext_lazy("Routing"), choices=Service.Routing.choices)
    postal_code_link_id = forms.CharField(label=gettext_lazy("linkId of the postal code"), required=False)
    place_link_id = forms.CharField(label=gettext_lazy("linkId of the place"), required=False)

    def __init__(self, *args: Any, forms_queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].queryset = forms_queryset
        for lang in authoring.form_languages():
            name = LANGUAGE_NAMES[lang]
            self.fields[f"title_{lang}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name}, max_length=300, required=lang == "de"
            )
            self.fields[f"summary_{lang}"] = forms.CharField(
                label=_("Summary (%(language)s)") % {"language": name},
                required=False,
                widget=forms.Textarea({"rows": 3}),
            )

    def setting_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(("title_", "summary_"))]

    def text_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "lang": lang,
                "name": LANGUAGE_NAMES[lang],
                "rtl": lang in settings.LANGUAGES_BIDI,
                "title": self[f"title_{lang}"],
                "summary": self[f"summary_{lang}"],
            }
            for lang in authoring.form_languages()
        ]


# --- helpers of the views ----------------------------------------------------------------------


def _language_rows(values: dict[str, str], prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "lang": lang,
            "name": LANGUAGE_NAMES[lang],
            "rtl": lang in settings.LANGUAGES_BIDI,
            "input_name": f"{prefix}_{lang}",
            "value": values.get(lang, ""),
        }
        for lang in authoring.form_languages()
    ]


def _texts_from_post(request: HttpRequest, prefix: str) -> dict[str, str]:
    return {lang: request.POST.get(f"{prefix}_{lang}", "") for lang in authoring.form_languages()}


def _editable_form(request: HttpRequest, slug: str) -> FormDefinition:
    return authoring.get_form_for_user(user=request.user, office=request.office, slug=slug, for_edit=True)


def _render_editor(
    request: HttpRequest,
    form: FormDefinition,
    *,
    error: str = "",
    import_form: ImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    draft = authoring.draft_of(form)
    shown = draft or authoring.active_version_of(form) or form.versions.first()
    can_edit = authoring.can_edit_form(user=request.user, office=request.office, form=form)
    return render(
        request,
        "forms/authoring/editor.html",
        {
            "form_definition": form,
            "draft": draft,
            "shown": shown,
            "tree": authoring.item_tree(shown.resource) if shown else [],
            "versions": form.versions.all(),
            "can_edit": can_edit,
            "editable": can_edit and draft is not None,
            "import_form": import_form or ImportForm(),
            "error": error,
        },
        status=status,
    )


# --- forms -------------------------------------------------------------------------------------


@staff_required("forms.manage")
@require_GET
def form_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, NewFormForm())


def _render_list(request: HttpRequest, new_form: NewFormForm, status: int = 200) -> HttpResponse:
    definitions = authoring.forms_visible_to(user=request.user, office=request.office)
    rows = [
        {
            "form": definition,
            "versions": list(definition.versions.all()),
            "can_edit": authoring.can_edit_form(user=request.user, office=request.office, form=definition),
        }
        for definition in definitions
    ]
    return render(
        request,
        "forms/authoring/list.html",
        {
            "rows": rows,
            "form": new_form,
            "may_create_state_wide": has_permission(request.user, request.office, "state.manage"),
        },
        status=status,
    )


@staff_required("forms.manage")
@require_POST
def form_create(request: HttpRequest) -> HttpResponse:
    new_form = NewFormForm(request.POST)
    if new_form.is_valid():
        state_wide = new_form.cleaned_data["state_wide"]
        if state_wide and not has_permission(request.user, request.office, "state.manage"):
            raise Http404
        try:
            definition = authoring.create_form(
                actor=request.user,
                office=None if state_wide else request.office,
                slug=new_form.cleaned_data["slug"],
                title=new_form.cleaned_data["title"],
            )
        except authoring.NotAllowed as exc:
            raise Http404 from exc
        except authoring.AuthoringError as exc:
            new_form.add_error(exc.field or None, exc.message)
        else:
            messages.success(request, _("The form was created. Add its questions now."))
            return redirect("authoring:form_editor", slug=definition.slug)
    return _render_list(request, new_form, status=400)


@staff_required("forms.manage")
@require_GET
def form_editor(request: HttpRequest, slug: str) -> HttpResponse:
    form = authoring.get_form_for_user(user=request.user, office=request.office, slug=slug)
    return _render_editor(request, form)


@staff_required("forms.manage")
@require_POST
def form_start_draft(request: HttpRequest, slug: str) -> HttpResponse:
    form = _editable_form(request, slug)
    authoring.open_draft(actor=request.user, form=form)
    return redirect("authoring:form_editor", slug=form.slug)


def _item_initial(raw: dict) -> dict[str, Any]:
    extensions = {ext.get("url"): ext for ext in raw.get("extension") or []}

    def value(url: str) -> str:
        ext = extensions.get(url) or {}
        return next((str(v) for k, v in ext.items() if k.startswith("value")), "")

    return {
        "link_id": raw["linkId"],
        "type": raw["type"],
        "text": raw.get("text", ""),
        "required": raw.get("required", False),
        "repeats": raw.get("repeats", False),
        "read_only": raw.get("readOnly", False),
        "max_length": raw.get("maxLength"),
        "min_value": value(authoring.EXT_MIN_VALUE),
        "max_value": value(authoring.EXT_MAX_VALUE),
        "regex": value(authoring.EXT_REGEX),
        "options": _options_text(raw),
        "enable_behavior": raw.get("enableBehavior", "all"),
    }


def _options_text(raw: dict) -> str:
    lines = []
    for option in raw.get("answerOption") or []:
        code, display = authoring.option_label(option)
        lines.append(f"{code}|{display}" if display else code)
    return "\n".join(lines)


def _condition_rows(raw: dict) -> list[dict[str, str]]:
    rows = []
    for condition in raw.get("enableWhen") or []:
        answer = next((v for k, v in condition.items() if k.startswith("answer")), "")
        if isinstance(answer, dict):
            answer = answer.get("code") or answer.get("value") or ""
        elif isinstance(answer, bool):
            answer = "true" if answer else "false"
        rows.append({"question": condition["question"], "operator": condition["operator"], "answer": str(answer)})
    return rows


@staff_required("forms.manage")
@require_http_methods(["GET", "POST"])
def form_item(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit one item of the draft (``?item=``) or add one (``?parent=`` / ``?after=`` / neither)."""
    form = _editable_form(request, slug)
    draft = authoring.draft_of(form)
    if draft is None:
        messages.info(request, _("Start editing first: this creates a draft of the form."))
        return redirect("authoring:form_editor", slug=form.slug)
    params = request.POST if request.method == "POST" else request.GET
    original = params.get("item") or None
    parent = params.get("parent") or None
    after = params.get("after") or None
    raw = authoring.find_item(draft.resource, original) if original else {"linkId": "", "type": "string"}
    if raw is None:
        raise Http404
    initial = _item_initial(raw) if original else {"type": "string", "enable_behavior": "all"}
    initial_rows = _condition_rows(raw)
    questions = authoring.question_choices(draft.resource, exclude=original)
    data = request.POST if request.method == "POST" else None
    item_form = ItemForm(data, initial=initial)
    conditions = EnableWhenFormSet(data, initial=initial_rows, prefix="ew", form_kwargs={"questions": questions})
    error = ""
    if request.method == "POST":
        if item_form.is_valid() and conditions.is_valid():
            spec = _spec_from(item_form, conditions, initial, initial_rows)
            try:
                authoring.save_item(
                    actor=request.user,
                    form=form,
                    spec=spec,
                    original_link_id=original,
                    parent_link_id=parent,
                    after_link_id=after,
                )
            except authoring.NotAllowed as exc:
                raise Http404 from exc
            except authoring.AuthoringError as exc:
                if exc.field in item_form.fields:
                    item_form.add_error(exc.field, exc.message)
                else:
                    error = exc.message
            else:
                messages.success(request, _("The item %(link_id)s was saved.") % {"link_id": spec.link_id})
                return redirect("authoring:form_editor", slug=form.slug)
        if not error and not item_form.errors:
            error = _("Please check the conditions.")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "forms/authoring/item.html",
        {
            "form_definition": form,
            "form": item_form,
            "conditions": conditions,
            "original": original or "",
            "parent": parent or "",
            "after": after or "",
            "error": error,
        },
        status=status,
    )


def _spec_from(
    item_form: ItemForm, conditions: Any, initial: dict[str, Any], initial_rows: list[dict[str, str]]
) -> authoring.ItemSpec:
    data = item_form.cleaned_data
    # Untouched options and conditions are kept as they are (with their systems and value types).
    options = data["options"]
    keep_options = "\n".join(f"{c}|{d}" if d else c for c, d in options) == initial.get("options", "")
    rows = [
        (row["question"], row["operator"], row.get("answer", ""))
        for row in conditions.cleaned_data
        if row and row.get("question")
    ]
    keep_rows = rows == [(r["question"], r["operator"], r["answer"]) for r in initial_rows]
    return authoring.ItemSpec(
        link_id=data["link_id"],
        type=data["type"],
        text=data["text"],
        required=data["required"],
        repeats=data["repeats"],
        read_only=data["read_only"],
        max_length=data["max_length"],
        min_value=data["min_value"],
        max_value=data["max_value"],
        regex=data["regex"],
        options=None if keep_options else options,
        enable_when=None if keep_rows else rows,
        enable_behavior=data["enable_behavior"],
    )


@staff_required("forms.manage")
@require_POST
def form_item_action(request: HttpRequest, slug: str) -> HttpResponse:
    """Delete an item or move it one place up or down."""
    form = _editable_form(request, slug)
    link_id = request.POST.get("item", "")
    action = request.POST.get("action", "")
    try:
        if action == "delete":
            authoring.delete_item(actor=request.user, form=form, link_id=link_id)
            messages.success(request, _("The item %(link_id)s was deleted.") % {"link_id": link_id})
        elif action in ("up", "down"):
            authoring.move_item(actor=request.user, form=form, link_id=link_id, direction=action)
        else:
            return _render_editor(request, form, error=_("Unknown action."), status=400)
    except authoring.NotAllowed as exc:
        raise Http404 from exc
    except authoring.AuthoringError as exc:
        return _render_editor(request, form, error=exc.message, status=400)
    return redirect("authoring:form_editor", slug=form.slug)


@staff_required("forms.manage")
@require_http_methods(["GET", "POST"])
def form_item_translations(request: HttpRequest, slug: str) -> HttpResponse:
    """The item text and its option texts in every language, side by side with the German."""
    form = _editable_form(request, slug)
    draft = authoring.draft_of(form)
    link_id = (request.POST if request.method == "POST" else request.GET).get("item", "")
    raw = authoring.find_item(draft.resource, link_id) if draft and link_id else None
    if raw is None:
        raise Http404
    error = ""
    options = raw.get("answerOption") or []
    if request.method == "POST":
        texts = _texts_from_post(request, "text")
        option_texts = [_texts_from_post(request, f"option{index}") for index in range(len(options))]
        try:
            authoring.save_item_translations(
                actor=request.user, form=form, link_id=link_id, texts=texts, option_texts=option_texts
            )
        except authoring.NotAllowed as exc:
            raise Http404 from exc
        except authoring.AuthoringError as exc:
            error = exc.message
        else:
            messages.success(request, _("The translations of %(link_id)s were saved.") % {"link_id": link_id})
            return redirect("authoring:form_editor", slug=form.slug)
    else:
        texts = {"de": raw.get("text", ""), **authoring.translations_of(raw.get("_text"))}
        option_texts = []
        for option in options:
            coding = option.get("valueCoding")
            if coding is not None:
                option_texts.append(
                    {"de": coding.get("display", ""), **authoring.translations_of(coding.get("_display"))}
                )
            else:
                option_texts.append(
                    {"de": authoring.option_label(option)[0], **authoring.translations_of(option.get("_valueString"))}
                )
    blocks = [
        {
            "legend": _("Text of the item"),
            "base": raw.get("text", ""),
            "languages": _language_rows(texts, "text"),
        }
    ]
    for index, option in enumerate(options):
        code, display = authoring.option_label(option)
        blocks.append(
            {
                "legend": _("Option %(code)s") % {"code": code},
                "base": display or code,
                "languages": _language_rows(option_texts[index], f"option{index}"),
                "readonly_de": "valueCoding" not in option,
            }
        )
    return render(
        request,
        "forms/authoring/translations.html",
        {"form_definition": form, "link_id": link_id, "blocks": blocks, "error": error, "heading_item": True},
        status=400 if error else 200,
    )


@staff_required("forms.manage")
@require_http_methods(["GET", "POST"])
def form_title_translations(request: HttpRequest, slug: str) -> HttpResponse:
    """The form title in every language."""
    form = _editable_form(request, slug)
    draft = authoring.draft_of(form)
    if draft is None:
        raise Http404
    error = ""
    if request.method == "POST":
        texts = _texts_from_post(request, "title")
        try:
            authoring.save_title_translations(actor=request.user, form=form, texts=texts)
        except authoring.NotAllowed as exc:
            raise Http404 from exc
        except authoring.AuthoringError as exc:
            error = exc.message
        else:
            messages.success(request, _("The titles were saved."))
            return redirect("authoring:form_editor", slug=form.slug)
    else:
        texts = {"de": draft.resource.get("title", ""), **authoring.translations_of(draft.resource.get("_title"))}
    blocks = [
        {
            "legend": _("Title of the form"),
            "base": draft.resource.get("title", ""),
            "languages": _language_rows(texts, "title"),
        }
    ]
    return render(
        request,
        "forms/authoring/translations.html",
        {"form_definition": form, "link_id": "", "blocks": blocks, "error": error, "heading_item": False},
        status=400 if error else 200,
    )


@staff_required("forms.manage")
@require_GET
def form_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The draft (or ``?version=``) as citizens would see it, in ``?lang=``, page ``?page=``."""
    form = authoring.get_form_for_user(user=request.user, office=request.office, slug=slug)
    number = request.GET.get("version", "")
    if number.isdigit():
        version = authoring.get_version_for_user(
            user=request.user, office=request.office, slug=slug, version=int(number)
        )
    else:
        version = authoring.draft_of(form) or authoring.active_version_of(form)
        if version is None:
            raise Http404
    language = request.GET.get("lang", "de")
    if language not in LANGUAGE_NAMES:
        language = "de"
    try:
        definition = authoring.preview_definition(version)
    except QuestionnaireInvalid as exc:  # an old version stored before today's checks
        return _render_editor(request, form, error=str(exc), status=400)
    pages = rendering.pages_of(definition)
    page_param = request.GET.get("page", "0")
    page = int(page_param) if page_param.isdigit() and pages else 0
    if pages and page >= len(pages):
        page = len(pages) - 1
    html = (
        rendering.render_page(definition=definition, page=pages[page], items=[], issues=[], language=language)
        if pages
        else ""
    )
    return render(
        request,
        "forms/authoring/preview.html",
        {
            "form_definition": form,
            "version": version,
            "language": language,
            "rtl": language in settings.LANGUAGES_BIDI,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in authoring.form_languages()],
            "page": page,
            "pages": list(range(len(pages))),
            "page_html": html,
            "page_title": pages[page].title_in(language) if pages else "",
            "title": definition.title_in(language),
        },
    )


@staff_required("forms.manage")
@require_GET
def form_export(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    form_version = authoring.get_version_for_user(user=request.user, office=request.office, slug=slug, version=version)
    response = HttpResponse(authoring.export_version(form_version), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{authoring.export_filename(form_version)}"'
    return response


@staff_required("forms.manage")
@require_POST
def form_import(request: HttpRequest, slug: str) -> HttpResponse:
    form = _editable_form(request, slug)
    import_form = ImportForm(request.POST, request.FILES)
    if import_form.is_valid():
        try:
            authoring.import_questionnaire(actor=request.user, form=form, data=import_form.payload())
        except authoring.NotAllowed as exc:
            raise Http404 from exc
        except authoring.AuthoringError as exc:
            import_form.add_error(None, exc.message)
        else:
            messages.success(request, _("The Questionnaire was imported into the draft."))
            return redirect("authoring:form_editor", slug=form.slug)
    return _render_editor(request, form, import_form=import_form, status=400)


@staff_required("forms.manage")
@require_POST
def form_publish(request: HttpRequest, slug: str) -> HttpResponse:
    form = _editable_form(request, slug)
    try:
        version = authoring.publish_form_version(actor=request.user, form=form)
    except authoring.NotAllowed as exc:
        raise Http404 from exc
    except authoring.AuthoringError as exc:
        return _render_editor(request, form, error=exc.message, status=400)
    messages.success(request, _("Version %(version)s is now active.") % {"version": version.version})
    return redirect("authoring:form_editor", slug=form.slug)


# --- service catalogue -------------------------------------------------------------------------


@staff_required("forms.manage")
@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "forms/authoring/services.html",
        {
            "services": authoring.services_visible_to(user=request.user, office=request.office),
            "is_state_admin": has_permission(request.user, request.office, "state.manage"),
        },
    )


@staff_required("forms.manage")
@require_POST
def service_offer(request: HttpRequest, slug: str) -> HttpResponse:
    service = authoring.get_service_for_user(user=request.user, office=request.office, slug=slug)
    active = request.POST.get("active") == "1"
    try:
        authoring.set_service_offer(actor=request.user, service=service, office=request.office, active=active)
    except authoring.NotAllowed as exc:
        raise Http404 from exc
    if active:
        messages.success(request, _("%(service)s is now offered by your office.") % {"service": service.title})
    else:
        messages.success(request, _("%(service)s is no longer offered by your office.") % {"service": service.title})
    return redirect("authoring:service_list")


def _service_initial(service: Service) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(service, name) for name in Service.SETTINGS_FIELDS}
    initial["form"] = service.form_id
    for lang, entry in service.texts.items():
        for key in authoring.SERVICE_TEXT_KEYS:
            initial[f"{key}_{lang}"] = entry.get(key, "")
    return initial


@staff_required("forms.manage")
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """A service's texts in all languages and its settings (state administrators)."""
    service = authoring.get_service_for_user(user=request.user, office=request.office, slug=slug, state_wide=True)
    forms_queryset = authoring.forms_visible_to(user=request.user, office=request.office)
    service_form = ServiceForm(
        request.POST if request.method == "POST" else None,
        initial=_service_initial(service),
        forms_queryset=forms_queryset,
    )
    if request.method == "POST" and service_form.is_valid():
        data = service_form.cleaned_data
        texts = {
            lang: {key: data.get(f"{key}_{lang}", "") for key in authoring.SERVICE_TEXT_KEYS}
            for lang in authoring.form_languages()
        }
        values = authoring.ServiceSettings(
            kind=data["kind"],
            form=data["form"],
            case_type=data["case_type"],
            leika_code=data["leika_code"],
            kle_code=data["kle_code"],
            allow_anonymous=data["allow_anonymous"],
            allow_citizens=data["allow_citizens"],
            institution_kinds=list(data["institution_kinds"]),
            routing=data["routing"],
            postal_code_link_id=data["postal_code_link_id"].strip(),
            place_link_id=data["place_link_id"].strip(),
        )
        try:
            authoring.update_service(actor=request.user, service=service, texts=texts, values=values)
        except authoring.NotAllowed as exc:
            raise Http404 from exc
        except authoring.AuthoringError as exc:
            service_form.add_error(exc.field if exc.field in service_form.fields else None, exc.message)
        else:
            messages.success(request, _("The service was saved."))
            return redirect("authoring:service_list")
    status = 400 if service_form.errors else 200
    return render(
        request, "forms/authoring/service_edit.html", {"service": service, "form": service_form}, status=status
    )


@staff_required("forms.manage")
@require_POST
def service_publish_all(request: HttpRequest, slug: str) -> HttpResponse:
    """Crisis mode: offer the service in every office at once (state administrators)."""
    service = authoring.get_service_for_user(user=request.user, office=request.office, slug=slug, state_wide=True)
    try:
        count = authoring.publish_service_to_all_offices(actor=request.user, service=service)
    except authoring.NotAllowed as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("%(service)s is now offered by all offices (%(count)d newly switched on).")
        % {"service": service.title, "count": count},
    )
    return redirect(reverse("authoring:service_list"))
