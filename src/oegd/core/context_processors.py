from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from oegd.core.middleware import is_staff_path


def platform(request: HttpRequest) -> dict[str, object]:
    staff_area = is_staff_path(request.path)
    codes = settings.STAFF_LANGUAGES if staff_area else [code for code, _ in settings.LANGUAGES]
    return {
        "STATE_NAME": settings.STATE_NAME,
        "LANGUAGE_CHOICES": [(code, dict(settings.LANGUAGES)[code]) for code in codes],
        "TEXT_DIRECTION": "rtl" if translation.get_language_bidi() else "ltr",
        "active_office": getattr(request, "office", None),
    }
