"""Forms of the process library and the case types (staff)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oegd.cases import case_types
from oegd.cases.engine import MAX_DIAGRAM_BYTES
from oegd.cases.models import CaseType

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _text_of(upload: Any, label: str) -> str:
    if upload.size > MAX_DIAGRAM_BYTES:
        raise forms.ValidationError(
            _("The %(file)s file is larger than %(size)s MB.") % {"file": label, "size": MAX_DIAGRAM_BYTES // 1_000_000}
        )
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise forms.ValidationError(_("The %(file)s file is not UTF-8 text.") % {"file": label}) from exc


class ProcessVersionForm(forms.Form):
    """A new version of a process: an uploaded .bpmn file, or the XML from the modeler or pasted in."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    comment = forms.CharField(
        label=gettext_lazy("Change note"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("What changed and why, e.g. “Deadline for the approval shortened to 7 days”."),
    )
    bpmn_file = forms.FileField(
        label=gettext_lazy("BPMN file (.bpmn)"),
        required=False,
        help_text=gettext_lazy("An uploaded file takes precedence over the diagram below."),
    )
    bpmn_xml = forms.CharField(
        label=gettext_lazy("BPMN diagram as XML"),
        required=False,
        strip=False,
        widget=forms.Textarea({"rows": 12, "spellcheck": "false", "class": "oegd-code"}),
        help_text=gettext_lazy("Edited by the modeler above; without JavaScript, paste or edit the XML here."),
    )
    dmn_file = forms.FileField(label=gettext_lazy("DMN decision tables (.dmn)"), required=False)
    dmn_xml = forms.CharField(
        label=gettext_lazy("DMN decision tables as XML"),
        required=False,
        strip=False,
        widget=forms.Textarea({"rows": 6, "spellcheck": "false", "class": "oegd-code"}),
        help_text=gettext_lazy("Only for processes with business rule tasks. Leave empty if there are none."),
    )

    def clean_bpmn_file(self) -> str:
        upload = self.cleaned_data.get("bpmn_file")
        return _text_of(upload, "BPMN") if upload else ""

    def clean_dmn_file(self) -> str:
        upload = self.cleaned_data.get("dmn_file")
        return _text_of(upload, "DMN") if upload else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        bpmn = data.get("bpmn_file") or data.get("bpmn_xml") or ""
        if "bpmn_file" in data and "bpmn_xml" in data and not bpmn.strip():
            self.add_error("bpmn_xml", _("Please upload a BPMN file or enter the diagram."))
        data["bpmn"] = bpmn
        data["dmn"] = data.get("dmn_file") or data.get("dmn_xml") or ""
        return data


class NewProcessForm(ProcessVersionForm):
    """A process new to the state library; its key names it in case types."""

    key = forms.SlugField(
        label=gettext_lazy("Key"),
        max_length=100,
        help_text=gettext_lazy(
            "Lower-case letters, digits and hyphens, e.g. “instruction-43”. Case types refer to it."
        ),
    )
    field_order = ["key", "name"]


class CaseTypeForm(forms.Form):
    """The settings of a case type; milestones come in a formset of their own."""

    slug = forms.SlugField(label=gettext_lazy("Key"), max_length=100)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    process_key = forms.ChoiceField(
        label=gettext_lazy("Process"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("The state library has no published process with this key.")},
    )
    checklist = forms.CharField(
        label=gettext_lazy("Checklist"),
        required=False,
        widget=forms.Textarea({"rows": 5}),
        help_text=gettext_lazy("One point per line; every new case of this type gets these points."),
    )
    filing_code = forms.CharField(
        label=gettext_lazy("Filing plan code"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("The code of the filing plan (Aktenplan) for the e-file export."),
    )
    retention_days = forms.IntegerField(
        label=gettext_lazy("Retention period (days after closure)"),
        required=False,
        help_text=gettext_lazy("Empty: cases of this type are kept."),
    )
    retention_action = forms.ChoiceField(
        label=gettext_lazy("After the retention period"), choices=CaseType.RetentionAction.choices
    )

    def __init__(self, *args: Any, process_keys: list[tuple[str, str]], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["process_key"].choices = [("", _("No process (handled by hand)")), *process_keys]
        if editing:
            self.fields["slug"].disabled = True

    def checklist_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("checklist", "").splitlines() if line.strip()]


class MilestoneForm(forms.Form):
    """One milestone citizens see, with its label in every citizen language."""

    code = forms.RegexField(
        label=gettext_lazy("Code"),
        max_length=40,
        required=False,
        regex=case_types.MILESTONE_CODE,
        error_messages={"invalid": gettext_lazy("Lower-case letters, digits and underscores, starting with a letter.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for language in case_types.milestone_languages():
            self.fields[f"label_{language}"] = forms.CharField(
                label=LANGUAGE_NAMES[language],
                max_length=200,
                required=False,
            )

    def label_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "field": self[f"label_{language}"],
                "lang": language,
                "rtl": language in settings.LANGUAGES_BIDI,
                "required": language in case_types.REQUIRED_LABEL_LANGUAGES,
            }
            for language in case_types.milestone_languages()
        ]

    def milestone(self) -> dict[str, Any] | None:
        """The milestone as stored on the case type; None for an empty row."""
        data = self.cleaned_data
        labels = {
            language: data.get(f"label_{language}", "").strip()
            for language in case_types.milestone_languages()
            if data.get(f"label_{language}", "").strip()
        }
        code = (data.get("code") or "").strip()
        if not code and not labels:
            return None
        return {"code": code, "labels": labels}


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=2, max_num=30, validate_max=True)


def milestone_initial(milestones: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for milestone in milestones:
        row = {"code": milestone.get("code", "")}
        for language, text in (milestone.get("labels") or {}).items():
            row[f"label_{language}"] = text
        rows.append(row)
    return rows
