"""The citizen portal shell: start page, the entry pages and "my area"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from oegd.core import selectors as core_selectors
from oegd.core import services as core_services
from oegd.core.access import portal_user_required, public
from oegd.core.forms import ProfileForm
from oegd.core.problems import operation_outcome, problem_response
from oegd.forms import selectors as form_selectors


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@public
def info(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/info.html")


@public
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/privacy.html")


@public
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/accessibility.html")


@portal_user_required
def my_area(request: HttpRequest) -> HttpResponse:
    if request.user.kind == request.user.Kind.INSTITUTION:
        return render(
            request,
            "portal/my_institution.html",
            {
                "institutions": request.user.institutions.all(),
                "submissions": form_selectors.submissions_of(request.user)[:50],
                "drafts": form_selectors.open_drafts_of(request.user),
            },
        )
    profile = getattr(request.user, "citizen_profile", None)
    initial = (
        {"postal_code": profile.postal_code, "place": profile.place, "accessibility_needs": profile.accessibility_needs}
        if profile
        else {}
    )
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        core_services.update_citizen_profile(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your details are saved."))
        return redirect("portal:my_area")
    return render(
        request,
        "portal/my_area.html",
        {
            "form": form,
            "access_log": core_selectors.access_log_for_citizen(user=request.user, limit=50),
            "submissions": form_selectors.submissions_of(request.user)[:50],
            "drafts": form_selectors.open_drafts_of(request.user),
        },
        status=400 if form.errors else 200,
    )


def _machine_error(request: HttpRequest, status: int, title: str) -> HttpResponse | None:
    if request.path.startswith("/api/"):
        return problem_response(status, title)
    if request.path.startswith("/fhir/"):
        return operation_outcome(status, title, code="not-found" if status == 404 else "processing")
    return None


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title = _("The request could not be understood.")
    return _machine_error(request, 400, title) or render(request, "portal/error.html", {"title": title}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title = _("You may not open this page.")
    return _machine_error(request, 403, title) or render(request, "portal/error.html", {"title": title}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title = _("This page does not exist.")
    return _machine_error(request, 404, title) or render(request, "portal/error.html", {"title": title}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    title = _("Something went wrong on our side. Please try again later.")
    return _machine_error(request, 500, title) or render(request, "portal/error.html", {"title": title}, status=500)
