"""Staff pages for the transfer of infection cases (Übermittlung): a case's transfers with the
button to send the next version, the download of a payload as sent, and the office's list."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from oegd.core.access import has_permission, staff_required
from oegd.infection import classification, transfers
from oegd.infection.catalogue import disease_label
from oegd.infection.models import InfectionCase, Transfer
from oegd.infection.selectors import get_infection_case_for_user


def _case_page(request: HttpRequest, case: InfectionCase, *, error: str = "", status: int = 200) -> HttpResponse:
    suggested = classification.suggest_classification(case)
    context = {
        "infection_case": case,
        "disease_label": disease_label(case.disease),
        "suggested": InfectionCase.Classification(suggested).label,
        "reference_met": classification.reference_definition_met(case),
        "refusal": transfers.refusal_reason(case),
        "transfers": transfers.transfers_of_case(case),
        "formats": Transfer.Format.choices,
        "can_send": has_permission(request.user, request.office, "infection.edit"),
        "error": error,
    }
    return render(request, "infection/transfers/case.html", context, status=status)


@staff_required("infection.view")
@require_GET
def case_transfers(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_infection_case_for_user(user=request.user, office=request.office, reference=reference)
    return _case_page(request, case)


@staff_required("infection.edit")
@require_POST
def send(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_infection_case_for_user(user=request.user, office=request.office, reference=reference)
    format = request.POST.get("format", Transfer.Format.SURVNET)
    if format not in Transfer.Format.values:
        return _case_page(request, case, error=_("Please choose a transfer format."), status=400)
    try:
        transfer = transfers.transfer_case(actor=request.user, infection_case=case, format=format)
    except transfers.TransferRefused as exc:
        return _case_page(request, case, error=exc.message, status=409)
    messages.success(
        request,
        _("Version %(version)s of the case was transferred to %(receiver)s.")
        % {"version": transfer.version, "receiver": transfer.receiver_code},
    )
    return redirect(reverse("infection_transfers:case", args=[case.reference]))


@staff_required("infection.view")
@require_GET
def download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    transfer = transfers.get_transfer_for_user(user=request.user, office=request.office, reference=reference, pk=pk)
    response = HttpResponse(transfer.payload.encode(), content_type=transfers.MEDIA_TYPES[transfer.format])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=transfers.payload_filename(transfer)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required("infection.view")
@require_GET
def office_transfers(request: HttpRequest) -> HttpResponse:
    format = request.GET.get("format", "")
    if format not in Transfer.Format.values:
        format = ""
    rows = transfers.transfers_of_office(office=request.office, format=format)
    return render(
        request,
        "infection/transfers/list.html",
        {"transfers": rows, "formats": Transfer.Format.choices, "format": format},
    )
