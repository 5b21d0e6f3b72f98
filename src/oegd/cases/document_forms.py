"""Forms of the document pages: upload, generate a letter, edit a letter template."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

SCOPE_OFFICE = "office"
SCOPE_STATE = "state"


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class LetterForm(forms.Form):
    template = forms.ChoiceField(label=_("Letter template"))
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Empty: the template's name.")
    )
    citizen_visible = forms.BooleanField(label=_("The citizen may see the letter"), required=False, initial=True)

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = choices


class LetterTemplateForm(forms.Form):
    key = forms.CharField(
        label=_("Key"),
        max_length=100,
        help_text=_("Processes name the template by this key, e.g. ifsg43-certificate."),
        validators=[
            RegexValidator(
                r"^[a-z0-9]+(-[a-z0-9]+)*$", _("Use only lowercase letters, digits and hyphens, e.g. reply-letter.")
            )
        ],
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    language = forms.ChoiceField(label=_("Language"))
    scope = forms.ChoiceField(label=_("Valid for"))
    html = forms.CharField(
        label=_("Letter text (HTML)"),
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        help_text=_("The body of the letter; letterhead, address, date and reference are added. Placeholders below."),
    )

    def __init__(self, *args, can_manage_state: bool, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.LANGUAGES)
        scopes = [(SCOPE_OFFICE, _("This office (its own version)"))]
        if can_manage_state:
            scopes.append((SCOPE_STATE, _("All offices of the state")))
        self.fields["scope"].choices = scopes
        if editing:  # a new version of the same template: key and language stay
            self.fields["key"].disabled = True
            self.fields["language"].disabled = True
