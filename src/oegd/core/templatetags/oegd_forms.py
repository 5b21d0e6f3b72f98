from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def kern_widget(field: BoundField) -> SafeString:
    """Render a widget with KERN classes and its hint and error tied to it for screen readers."""
    widget = field.field.widget
    css = "kern-form-input__select" if getattr(widget, "input_type", "") == "select" else "kern-form-input__input"
    if field.errors:
        css += " " + css + "--error"
    described = []
    if field.help_text:
        described.append(f"{field.id_for_label}-hint")
    if field.errors:
        described.append(f"{field.id_for_label}-error")
    attrs = {"class": css}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
