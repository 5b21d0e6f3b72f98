from django import forms
from django.utils.translation import gettext_lazy as _


class ResponsibilityForm(forms.Form):
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    place = forms.CharField(
        label=_("Place or district"),
        max_length=100,
        required=False,
        help_text=_("Only needed when several health offices serve your postal code."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )


class AuthoritySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, place, postal code or RKI code"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
