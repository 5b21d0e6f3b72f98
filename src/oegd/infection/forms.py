"""Forms of the infection protection staff pages: inbox and directory filters, the case panels."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oegd.infection import catalogue
from oegd.infection.models import InfectionCase, Notification, SavedView
from oegd.infection.selectors import (
    MINE,
    RESPONSIBILITY_OTHER,
    RESPONSIBILITY_OURS,
    RESPONSIBILITY_UNCLEAR,
    UNASSIGNED,
    CaseFilters,
    InboxFilters,
)
from oegd.infection.services import COMMON_SYMPTOMS

ASSIGNEE_CHOICES = [("", _("Anyone")), (MINE, _("Me")), (UNASSIGNED, _("Unassigned"))]
RESPONSIBILITY_CHOICES = [
    ("", _("Any")),
    (RESPONSIBILITY_OURS, _("Our office")),
    (RESPONSIBILITY_OTHER, _("Another health office (to forward)")),
    (RESPONSIBILITY_UNCLEAR, _("Not clear from the address")),
]
TRISTATE = [("", _("unknown")), ("yes", _("yes")), ("no", _("no"))]


def _with_any(choices) -> list[tuple[str, str]]:
    return [("", _("All")), *choices]


class _FilterForm(forms.Form):
    """A GET filter form: invalid values are left out of ``cleaned_data`` (not applied)."""

    def value(self, name: str):
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None


class InboxFilterForm(_FilterForm):
    state = forms.ChoiceField(label=_("State"), required=False, choices=_with_any(Notification.State.choices))
    disease = forms.CharField(label=_("Disease"), required=False, max_length=10)
    pathogen = forms.CharField(label=_("Pathogen"), required=False, max_length=10)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_with_any(Notification.Kind.choices))
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, choices=ASSIGNEE_CHOICES)
    responsibility = forms.ChoiceField(label=_("Responsible office"), required=False, choices=RESPONSIBILITY_CHOICES)
    received_from = forms.DateField(label=_("Received from"), required=False)
    received_to = forms.DateField(label=_("Received until"), required=False)

    def filters(self) -> InboxFilters:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return InboxFilters(
            state=data.get("state") or "",
            disease=(data.get("disease") or "").strip(),
            pathogen=(data.get("pathogen") or "").strip(),
            kind=data.get("kind") or "",
            assignee=data.get("assignee") or "",
            responsibility=data.get("responsibility") or "",
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
        )


class CaseFilterForm(_FilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_with_any(InfectionCase.Status.choices))
    disease = forms.CharField(label=_("Disease"), required=False, max_length=10)
    classification = forms.ChoiceField(
        label=_("Classification"), required=False, choices=_with_any(InfectionCase.Classification.choices)
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, choices=ASSIGNEE_CHOICES)
    notified_from = forms.DateField(label=_("Notified from"), required=False)
    notified_to = forms.DateField(label=_("Notified until"), required=False)
    postal_code = forms.RegexField(label=_("Postal code starts with"), required=False, regex=r"^\d{1,5}$", max_length=5)
    q = forms.CharField(label=_("Reference or family name"), required=False, max_length=100)
    sort = forms.ChoiceField(
        label=_("Sort by notification date"),
        required=False,
        choices=[("", _("Newest first")), ("oldest", _("Oldest first"))],
    )

    def filters(self) -> CaseFilters:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return CaseFilters(
            status=data.get("status") or "",
            disease=(data.get("disease") or "").strip(),
            classification=data.get("classification") or "",
            assignee=data.get("assignee") or "",
            notified_from=data.get("notified_from"),
            notified_to=data.get("notified_to"),
            postal_code=data.get("postal_code") or "",
            query=(data.get("q") or "").strip(),
            oldest_first=data.get("sort") == "oldest",
        )


def disease_filter_choices() -> list[tuple[str, str]]:
    return _with_any(catalogue.disease_choices())


class ClassificationForm(forms.Form):
    classification = forms.ChoiceField(label=_("Classification"), choices=InfectionCase.Classification.choices)


def _tristate(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class ClinicalForm(forms.Form):
    """Onset, symptoms, hospitalisation, death and vaccination status of a case."""

    onset_date = forms.DateField(label=_("Onset of illness"), required=False)
    symptoms = forms.MultipleChoiceField(label=_("Symptoms"), required=False, choices=())
    hospitalised = forms.ChoiceField(label=_("Hospitalised"), required=False, choices=TRISTATE)
    hospitalised_on = forms.DateField(label=_("Admitted to hospital on"), required=False)
    deceased = forms.ChoiceField(label=_("Deceased"), required=False, choices=TRISTATE)
    vaccination = forms.ChoiceField(label=_("Vaccination status"), choices=InfectionCase.Vaccination.choices)

    def __init__(self, *args, recorded_symptoms: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(code, label) for code, label in COMMON_SYMPTOMS.items()]
        choices += [(code, code) for code in recorded_symptoms or [] if code not in COMMON_SYMPTOMS]
        self.fields["symptoms"].choices = choices

    def clean_onset_date(self) -> date | None:
        value = self.cleaned_data.get("onset_date")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("The onset of illness cannot be in the future."))
        return value

    def clean_hospitalised_on(self) -> date | None:
        value = self.cleaned_data.get("hospitalised_on")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("The date of admission cannot be in the future."))
        return value

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "onset_date": data.get("onset_date"),
            "symptoms": list(data.get("symptoms") or []),
            "hospitalised": _tristate(data.get("hospitalised") or ""),
            "hospitalised_on": data.get("hospitalised_on"),
            "deceased": _tristate(data.get("deceased") or ""),
            "vaccination": data["vaccination"],
        }


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea)


class ForwardForm(forms.Form):
    to_office = forms.IntegerField(label=_("Receiving office"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of the view"), max_length=100)
    page = forms.ChoiceField(choices=SavedView.Page.choices)
    query = forms.CharField(required=False, max_length=500)
