"""Login, registration, second factor, the staff shell and the health endpoints."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from oegd.core import audit, selectors, services
from oegd.core.access import public, staff_is_verified, staff_required
from oegd.core.forms import (
    ApiClientForm,
    AuditFilterForm,
    LoginForm,
    OfficeSwitchForm,
    RegistrationForm,
    TotpForm,
)
from oegd.core.models import User
from oegd.core.qr import qr_svg_data_uri
from oegd.core.tasks import ping_worker


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _after_login(request: HttpRequest, user: User) -> HttpResponse:
    if user.kind == User.Kind.STAFF:
        return redirect(reverse("core:login_verify") + "?next=" + _safe_next(request, reverse("core:staff_home")))
    return redirect(_safe_next(request, reverse("portal:my_area")))


@public
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["email"].lower(), password=form.cleaned_data["password"]
        )
        if user is None:
            error = _("The e-mail address or the password is wrong.")
        elif user.kind == User.Kind.CITIZEN and user.email_verified_at is None:
            error = _("Please confirm your e-mail address first: open the link we sent you.")
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            audit.record(user, "auth.login", user, subject=user)
            return _after_login(request, user)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "core/login.html",
        {"form": form, "error": error, "next": _safe_next(request, ""), "oidc": _oidc_choices()},
        status=status,
    )


def _oidc_choices() -> list[dict[str, Any]]:
    return [
        {"key": key, "label": provider["label"], "audience": provider["audience"]}
        for key, provider in settings.OIDC_PROVIDERS.items()
        if provider.get("discovery_url")
    ]


def login_name_for_lockout(request: HttpRequest, credentials: dict | None = None) -> str:
    """The account name django-axes counts failures for: the e-mail, however it was typed."""
    name = (credentials or {}).get("username") or request.POST.get("email", "")
    return str(name).strip().lower()


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """Same answer for existing and unknown accounts, so a lockout reveals nothing."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "core/login.html",
        {
            "form": LoginForm(),
            "error": _("Too many failed attempts. Please wait %(minutes)d minutes and try again.")
            % {"minutes": minutes},
            "oidc": _oidc_choices(),
        },
        status=429,
    )


def _stamp_second_factor(view: Any) -> Any:
    view.oegd_access = "staff-second-factor"
    return view


@_stamp_second_factor
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second factor for staff: enter the TOTP code, or set up the authenticator the first time."""
    user = request.user
    if not user.is_authenticated or user.kind != User.Kind.STAFF:
        return redirect("core:login")
    next_url = _safe_next(request, reverse("core:staff_home"))
    if staff_is_verified(request):
        return redirect(next_url)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False
        )
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        verified, _message = device.verify_is_allowed()
        if verified and device.verify_token(form.cleaned_data["code"].strip()):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit.record(user, "auth.totp_enrolled", user, subject=user)
            otp_login(request, device)
            audit.record(user, "auth.second_factor", user, subject=user)
            return redirect(next_url)
        error = _("The code is not valid. Check the time on your phone and try again.")
    context: dict[str, Any] = {"form": form, "error": error, "enrolling": enrolling, "next": next_url}
    if enrolling:
        secret = base64.b32encode(device.bin_key).decode()
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        context["qr"] = qr_svg_data_uri(device.config_url)
    return render(request, "core/login_verify.html", context, status=400 if error or form.errors else 200)


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(request.user, "auth.logout", request.user, subject=request.user)
    logout(request)  # flushes the server-side session
    messages.success(request, _("You have logged out."))
    return redirect("portal:home")


@public
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.register_citizen(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password"],
            language=request.LANGUAGE_CODE,
        )
        return redirect("core:register_done")
    return render(request, "core/register.html", {"form": form}, status=400 if form.errors else 200)


@public
def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "core/register_done.html")


@public
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        services.verify_email(token=token)
    except services.VerificationLinkInvalid as exc:
        return render(request, "core/verify_email.html", {"error": exc.message}, status=400)
    messages.success(request, _("Thank you. Your e-mail address is confirmed; you can log in now."))
    return redirect("core:login")


@public
@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: Django's set_language, and the account remembers the choice
    so e-mails and letters go out in it."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.set_preferred_language(user=request.user, language=language)
    return response


@public
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/csrf_failure.html", status=403)


@public
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@public
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready when the database answers and the task queue takes work."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        checks["database"] = "unavailable"
    checks["tasks"] = "ok" if ping_worker() else "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


# --- staff shell -------------------------------------------------------------------------------


@staff_required("office.view")
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/staff/home.html",
        {
            "memberships": selectors.memberships_of(user=request.user),
            "offices": request.user.offices(),
        },
    )


@staff_required("office.view")
@require_POST
def staff_switch_office(request: HttpRequest) -> HttpResponse:
    form = OfficeSwitchForm(request.POST)
    if form.is_valid():
        try:
            office = services.switch_office(
                user=request.user, session=request.session, office_id=form.cleaned_data["office"]
            )
            messages.success(request, _("You are now working in %(office)s.") % {"office": office})
        except services.DomainError as exc:
            messages.error(request, exc.message)
            return redirect("core:staff_home")
    return redirect("core:staff_home")


@staff_required("office.manage")
def staff_people(request: HttpRequest) -> HttpResponse:
    return render(request, "core/staff/people.html", {"people": selectors.staff_of_office(office=request.office)})


@staff_required("office.manage")
def staff_person(request: HttpRequest, member_id: int) -> HttpResponse:
    member = selectors.get_staff_member_for_user(user=request.user, office=request.office, member_id=member_id)
    return render(
        request,
        "core/staff/person.html",
        {"member": member, "memberships": selectors.memberships_of(user=member).filter(office=request.office)},
    )


@staff_required("audit.view")
def staff_audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_events_for_office(office=request.office, **filters)
    return render(request, "core/staff/audit.html", {"form": form, "events": events})


@staff_required("api_clients.manage")
@require_http_methods(["GET", "POST"])
def staff_api_clients(request: HttpRequest) -> HttpResponse:
    form = ApiClientForm(request.POST or None)
    token = ""
    if request.method == "POST" and form.is_valid():
        try:
            _client, token = services.create_api_client(
                actor=request.user,
                office=request.office,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
            form = ApiClientForm()
        except services.DomainError as exc:
            form.add_error("name", exc.message)
    clients = request.office.api_clients.order_by("name")
    status = 400 if form.errors else 200
    return render(
        request, "core/staff/api_clients.html", {"form": form, "clients": clients, "token": token}, status=status
    )
