"""The public "which health office is responsible?" page and the staff directory."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from oegd.core.access import public, staff_required
from oegd.core.services import DomainError
from oegd.directory import selectors
from oegd.directory.forms import AuthoritySearchForm, ResponsibilityForm


@public
@require_GET
def responsibility(request: HttpRequest) -> HttpResponse:
    form = ResponsibilityForm(request.GET if "postal_code" in request.GET else None)
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = selectors.route_by_postal_code(
                postal_code=form.cleaned_data["postal_code"], place=form.cleaned_data["place"]
            )
        except DomainError as exc:
            form.add_error("postal_code", exc.message)
    status = 400 if form.errors else 200
    return render(request, "directory/responsibility.html", {"form": form, "result": result}, status=status)


@staff_required("directory.view")
@require_GET
def staff_directory(request: HttpRequest) -> HttpResponse:
    form = AuthoritySearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    authorities = list(selectors.search_authorities(query, limit=100))
    offices = selectors.platform_offices_by_code([authority.code for authority in authorities])
    rows = [(authority, offices.get(authority.code)) for authority in authorities]
    return render(request, "directory/staff_directory.html", {"form": form, "query": query, "rows": rows})
