from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from oegd.core.models import ApiClient


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TotpForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits shown in your authenticator app.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class RegistrationForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 10 characters; not only digits and not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_repeat = forms.CharField(
        label=_("Repeat the password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    privacy = forms.BooleanField(label=_("I have read the privacy notice."), required=True)

    def clean(self) -> dict:
        data = super().clean()
        password = data.get("password")
        if password and data.get("password_repeat") != password:
            self.add_error("password_repeat", _("The two passwords are not the same."))
        if password:
            try:
                validate_password(password)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ProfileForm(forms.Form):
    postal_code = forms.RegexField(
        label=_("Postal code"),
        regex=r"^\d{4,5}$",
        required=False,
        error_messages={"invalid": _("A postal code has four or five digits.")},
    )
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    accessibility_needs = forms.CharField(
        label=_("What should we know to make your visit accessible?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OfficeSwitchForm(forms.Form):
    office = forms.IntegerField(widget=forms.HiddenInput)


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=100)
    actor = forms.CharField(label=_("Actor contains"), required=False, max_length=200)


class ApiClientForm(forms.Form):
    name = forms.CharField(label=_("Name of the system"), max_length=200)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiClient.Scope.choices, widget=forms.CheckboxSelectMultiple
    )
