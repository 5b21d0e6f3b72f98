from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from oegd.core.access import staff_is_verified


class PlatformAdminSite(admin.AdminSite):
    site_header = "ÖGD – Betrieb"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and staff_is_verified(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """No password-only door: operators log in like all staff, with the second factor."""
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), settings.LOGIN_URL)
