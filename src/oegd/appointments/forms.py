"""Forms of the citizen booking pages: find the office, book a slot, join the waiting list."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PHONE_PATTERN = r"^\+?[0-9 ()/-]{6,30}$"


class OfficeSearchForm(forms.Form):
    """Postal code (and, where several offices share it, the place) of the person's home."""

    postal_code = forms.CharField(
        label=_("Your postal code"),
        max_length=10,
        help_text=_("We use it to find your health office."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    place = forms.CharField(
        label=_("Your town or district"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )

    def clean_postal_code(self) -> str:
        from oegd.directory.selectors import PostalCodeInvalid, clean_postal_code

        try:
            return clean_postal_code(self.cleaned_data["postal_code"])
        except PostalCodeInvalid as exc:
            raise forms.ValidationError(exc.message) from exc


class BookingForm(forms.Form):
    """Who comes to the appointment, and how we may remind them."""

    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send the confirmation and the links to move or cancel the appointment to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.RegexField(
        label=_("Mobile phone number"),
        regex=PHONE_PATTERN,
        required=False,
        max_length=30,
        help_text=_("Only if you want a reminder by text message (SMS)."),
        error_messages={"invalid": _("Enter a mobile phone number, for example 0151 23456789.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    reminder_consent = forms.BooleanField(
        label=_("Yes, remind me of the appointment by text message (SMS) to this number."), required=False
    )
    note = forms.CharField(
        label=_("Anything we should know?"),
        required=False,
        max_length=2000,
        help_text=_("For example: you need a sign-language interpreter, or you come with a wheelchair."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, offer_confidential: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if offer_confidential:  # only for a youth whose account is linked to a parent
            self.fields["confidential"] = forms.BooleanField(
                label=_("Keep this appointment private from my parents"),
                required=False,
                help_text=_("Your parents will not see this appointment on their page."),
            )

    def clean(self) -> dict:
        data = super().clean()
        phone = (data.get("phone") or "").strip()
        if phone and not data.get("reminder_consent"):
            self.add_error(
                "reminder_consent",
                _("Tick this box to get reminders by text message, or leave the phone number empty."),
            )
        if data.get("reminder_consent") and not phone and "phone" not in self.errors:
            self.add_error("phone", _("Enter your mobile phone number for the text message reminders."))
        return data


class WaitingListForm(forms.Form):
    """Be told by e-mail when a slot of this type frees up between two dates."""

    appointment_type = forms.TypedChoiceField(label=_("Appointment"), coerce=int)
    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    earliest = forms.DateField(
        label=_("From"),
        help_text=_("The first day you could come."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    latest = forms.DateField(
        label=_("Until"),
        help_text=_("The last day you could come."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, type_choices: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].choices = type_choices

    def clean(self) -> dict:
        data = super().clean()
        earliest: date | None = data.get("earliest")
        latest: date | None = data.get("latest")
        today = timezone.localdate()
        if earliest and earliest < today:
            self.add_error("earliest", _("Choose today or a later day."))
        if earliest and latest and latest < earliest:
            self.add_error("latest", _("This day must not be before the first day."))
        elif earliest and latest and latest - earliest > timedelta(days=366):
            self.add_error("latest", _("Choose a period of at most one year."))
        return data
