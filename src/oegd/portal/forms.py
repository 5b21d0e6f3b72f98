"""Forms of the citizen's own area."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DependantForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date of birth, for example 2016-05-31.")},
    )
    declared_guardian = forms.BooleanField(
        label=_("I am the legal guardian of this child"),
        error_messages={"required": _("Please confirm that you are the legal guardian.")},
    )


class CloseAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Please enter your password.")},
    )


class LinkAccountForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your parent"),
        max_length=30,
        help_text=_("12 characters, for example 7KQ2-M9XD-4T0B."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        error_messages={"required": _("Please enter the code.")},
    )
