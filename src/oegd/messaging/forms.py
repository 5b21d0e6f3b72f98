"""Forms of secure messaging: writing, files, access code and PIN, the team's tools."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from oegd.core.models import Department, Office, User
from oegd.forms.attachments import AttachmentRefused, check_upload, max_attachment_bytes, read_upload
from oegd.messaging.models import TextBlock, Topic
from oegd.messaging.services import MAX_BODY_CHARS, MAX_FILES_PER_MESSAGE, MAX_SUBJECT_CHARS, IncomingFile

PHONE_PATTERN = r"^\+?[0-9 ()/-]{6,30}$"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Up to five files, each checked like a form attachment (PDF, JPEG, PNG; size limit; by content)."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[IncomingFile]:
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(uploads) > MAX_FILES_PER_MESSAGE:
            raise forms.ValidationError(
                _("You can send at most %(count)s files at once.") % {"count": MAX_FILES_PER_MESSAGE}
            )
        limit = max_attachment_bytes()
        accepted = []
        for upload in uploads:
            content = read_upload(upload, limit)
            try:
                checked = check_upload(
                    data=content,
                    filename=upload.name or "",
                    declared_type=getattr(upload, "content_type", "") or "",
                    item=None,  # type: ignore[arg-type]  # the general rules, no questionnaire item
                )
            except AttachmentRefused as exc:
                raise forms.ValidationError(f"{upload.name}: {exc.message}") from exc
            accepted.append(IncomingFile(accepted=checked, data=content))
        return accepted


def files_field() -> FilesField:
    return FilesField(label=_("Files"))


class WithFiles(forms.Form):
    """Says in the hint which files are accepted (the limit is a setting, read when the form is made)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "files" in self.fields:
            self.fields["files"].help_text = gettext(
                "Optional. Up to %(count)s files: PDF, JPEG or PNG, each at most %(size)s."
            ) % {"count": MAX_FILES_PER_MESSAGE, "size": filesizeformat(max_attachment_bytes())}


def body_field(label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Your message"),
        max_length=MAX_BODY_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class OfficeSearchForm(forms.Form):
    """Find the health office by postal code, or pick it from the list."""

    postal_code = forms.CharField(
        label=_("Your postal code"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    office = forms.ModelChoiceField(
        label=_("Or choose the health office"), queryset=Office.objects.none(), required=False
    )

    def __init__(self, *args: Any, offices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["office"].empty_label = "—"

    def clean_postal_code(self) -> str:
        from oegd.directory.selectors import PostalCodeInvalid, clean_postal_code

        value = self.cleaned_data.get("postal_code", "").strip()
        if not value:
            return ""
        try:
            return clean_postal_code(value)
        except PostalCodeInvalid as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("postal_code") and not data.get("office") and not self.errors:
            raise forms.ValidationError(_("Enter your postal code or choose a health office."))
        return data


class TopicChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Topic) -> str:
        return obj.name


class StartForm(WithFiles):
    """The first message of a conversation (citizens and institutions)."""

    topic = TopicChoiceField(
        label=_("What is it about?"), queryset=Topic.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT_CHARS)
    body = body_field()
    files = files_field()

    def __init__(self, *args: Any, topics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics
        if not topics.exists():
            del self.fields["topic"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files") and "body" not in self.errors:
            self.add_error("body", _("Please write a message."))
        return data


class CitizenStartForm(StartForm):
    confidential = forms.BooleanField(
        label=_("Keep this conversation private from my parents"),
        required=False,
        help_text=_("Your parents will not see it, even if they can see your other messages."),
    )
    phone = forms.RegexField(
        label=_("Mobile phone number"),
        regex=PHONE_PATTERN,
        required=False,
        max_length=30,
        help_text=_("Optional. We send a text message when we answer. It never contains the message itself."),
        error_messages={"invalid": _("Enter a mobile phone number, for example 0151 23456789.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        from oegd.appointments.notifications import InvalidPhoneNumber, normalise_phone_number

        value = (self.cleaned_data.get("phone") or "").strip()
        if not value:
            return ""
        try:
            return normalise_phone_number(value)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(exc.message) from exc

    def __init__(self, *args: Any, may_be_confidential: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_be_confidential:  # only for young people whose parents may see their messages
            del self.fields["confidential"]


class InstitutionStartForm(StartForm):
    institution = forms.ModelChoiceField(label=_("For which institution?"), queryset=None, empty_label=None)

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions


class AnonymousStartForm(StartForm):
    """The youth's first message: no name, no contact; a PIN of their own to come back."""

    pin = forms.CharField(
        label=_("Choose a PIN"),
        max_length=8,
        help_text=_("4 to 8 digits. You need it with your access code to come back. Do not tell anyone."),
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )
    pin_again = forms.CharField(
        label=_("Enter the PIN again"),
        max_length=8,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )

    def clean_pin(self) -> str:
        from oegd.messaging.services import PinInvalid, check_pin

        try:
            return check_pin(self.cleaned_data.get("pin", ""))
        except PinInvalid as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("pin") and data.get("pin_again", "").strip() != data["pin"]:
            self.add_error("pin_again", _("The two PINs are not the same."))
        return data


class ReplyForm(WithFiles):
    body = body_field(_("Your answer"))
    files = files_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files") and "body" not in self.errors:
            self.add_error("body", _("Please write a message."))
        return data


class AccessForm(forms.Form):
    """Access code and PIN of an anonymous conversation."""

    code = forms.CharField(
        label=_("Your access code"),
        max_length=40,
        help_text=_("20 letters and numbers, for example 7KQ2-M9XD-4T0B-HC8W-ZP3N."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    pin = forms.CharField(
        label=_("Your PIN"),
        max_length=8,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


# --- staff ---------------------------------------------------------------------------------------


class StaffReplyForm(WithFiles):
    body = forms.CharField(
        label=_("Answer"), max_length=MAX_BODY_CHARS, required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    files = files_field()
    text_block = forms.ChoiceField(label=_("Text block"), required=False)

    def __init__(self, *args: Any, blocks: list[TextBlock], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text_block"].choices = [("", "—")] + [(str(block.pk), block.title) for block in blocks]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note (not shown to the person)"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


class ManageForm(forms.Form):
    assignee = StaffChoiceField(label=_("Assigned to"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Department.objects.none(), required=False)
    due_on = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    case = forms.CharField(label=_("Case reference"), max_length=20, required=False)

    def __init__(self, *args: Any, staff: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff
        self.fields["team"].queryset = teams


class TopicForm(forms.Form):
    slug = forms.SlugField(label=_("Short name"), max_length=50)
    name_de = forms.CharField(label=_("Name (German)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Department.objects.none(), required=False)
    open_to_anonymous = forms.BooleanField(label=_("Young people may write without an account"), required=False)
    notify_email = forms.EmailField(label=_("Team mailbox for notices"), required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class TextBlockForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 6}))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Department.objects.none(), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
