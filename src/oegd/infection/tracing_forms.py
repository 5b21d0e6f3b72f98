"""Forms of contact tracing, follow-up calls, outbreaks and measures: they parse what staff type;
the rules (exposure not in the future, quarantine end, same office) live in ``tracing.py``."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oegd.infection import catalogue
from oegd.infection.models import Contact


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):  # type: ignore[no-untyped-def]
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ContactForm(forms.Form):
    """A new contact person of a case (Kontaktperson)."""

    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    street = forms.CharField(label=_("Street"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=Contact.Category.choices)
    setting = forms.ChoiceField(label=_("Setting"), choices=Contact.Setting.choices, initial=Contact.Setting.OTHER)
    exposure_date = forms.DateField(label=_("Last exposure"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_exposure_date(self):  # type: ignore[no-untyped-def]
        value = self.cleaned_data["exposure_date"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The last exposure cannot be in the future."))
        return value

    def clean_birth_date(self):  # type: ignore[no-untyped-def]
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        return value


class ContactUpdateForm(forms.Form):
    """Category, setting and last exposure of a contact."""

    category = forms.ChoiceField(label=_("Category"), choices=Contact.Category.choices)
    setting = forms.ChoiceField(label=_("Setting"), choices=Contact.Setting.choices)
    exposure_date = forms.DateField(label=_("Last exposure"), widget=DateInput())

    clean_exposure_date = ContactForm.clean_exposure_date


class CallOutcomeForm(forms.Form):
    """The outcome of a follow-up call."""

    OUTCOMES = [
        ("well", _("Reached, no symptoms")),
        ("symptoms", _("Reached, reports symptoms")),
        ("missed", _("Not reached")),
    ]
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class OutbreakForm(forms.Form):
    """A new outbreak."""

    name = forms.CharField(label=_("Name"), max_length=200)
    disease = forms.ChoiceField(label=_("Disease"), choices=())
    setting = forms.ChoiceField(label=_("Setting"), choices=Contact.Setting.choices, initial=Contact.Setting.OTHER)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["disease"].choices = catalogue.disease_choices()


class CaseReferenceForm(forms.Form):
    reference = forms.CharField(label=_("Case reference"), max_length=30)


class OutbreakNoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))


class IsolationForm(forms.Form):
    ends_on = forms.DateField(label=_("Last day of isolation"), required=False, widget=DateInput())
