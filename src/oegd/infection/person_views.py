"""Staff pages for person records and possible duplicates: the review queue, a pair side by side with
merge and "different persons", a person with its cases and merge history, undoing a merge.

Writes are POSTs through one service in `persons`; a refusal shows its message on the page it came from
(400, or 409 for an item someone else decided first) and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oegd.cases.models import Person
from oegd.core.access import has_permission, staff_required
from oegd.infection import person_selectors as selectors
from oegd.infection.models import PersonMatch
from oegd.infection.persons import AlreadyDecided, PersonMergeRefused, mark_distinct, merge_match, undo_merge

PAGE_SIZE = 50


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isascii() and raw.isdigit() else 1


@staff_required("infection.view")
def review_queue(request: HttpRequest) -> HttpResponse:
    page = _page_number(request)
    start = (page - 1) * PAGE_SIZE
    rows = list(selectors.review_queue(request.office)[start : start + PAGE_SIZE + 1])
    return render(
        request,
        "infection/persons/review.html",
        {"matches": rows[:PAGE_SIZE], "page": page, "has_next": len(rows) > PAGE_SIZE},
    )


def _match_page(request: HttpRequest, match: PersonMatch, *, error: str = "", status: int = 200) -> HttpResponse:
    labels = {
        "family_name": _("Family name"),
        "given_name": _("Given name"),
        "birth_date": _("Date of birth"),
        "sex": _("Sex"),
        "postal_code": _("Postal code"),
        "street": _("Street"),
    }
    agreement = [
        (labels[name], level, agrees)
        for name, level, agrees in selectors.field_agreement(match.person, match.candidate)
    ]
    older, newer = sorted((match.person, match.candidate), key=lambda person: (person.created_at, person.pk))
    return render(
        request,
        "infection/persons/match.html",
        {
            "match": match,
            "records": [
                {"person": match.candidate, "counts": selectors.counts_of(match.candidate)},
                {"person": match.person, "counts": selectors.counts_of(match.person)},
            ],
            "agreement": agreement,
            "default_keep": older.pk,
            "newer": newer,
            "is_pending": match.status == PersonMatch.Status.PENDING,
            "can_edit": has_permission(request.user, request.office, "infection.edit"),
            "error": error,
            "score_percent": round(match.score * 100),
        },
        status=status,
    )


@staff_required("infection.view")
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    match = selectors.get_match_for_user(user=request.user, office=request.office, pk=pk)
    return _match_page(request, match)


def _decide(request: HttpRequest, pk: int, decide) -> HttpResponse:  # type: ignore[no-untyped-def]
    match = selectors.get_match_for_update(office=request.office, pk=pk)
    try:
        success = decide(match)
    except AlreadyDecided as exc:
        match.refresh_from_db()
        return _match_page(request, match, error=exc.message, status=409)
    except PersonMergeRefused as exc:
        match.refresh_from_db()
        return _match_page(request, match, error=exc.message, status=400)
    messages.success(request, success)
    return redirect("infection_persons:review")


@staff_required("infection.edit")
@require_POST
def match_merge(request: HttpRequest, pk: int) -> HttpResponse:
    def merge(match: PersonMatch) -> str:
        raw = request.POST.get("keep", "")
        keep_pk = int(raw) if raw.isascii() and raw.isdigit() else None
        if match.status == PersonMatch.Status.PENDING and keep_pk not in (match.person_id, match.candidate_id):
            raise PersonMergeRefused(_("Choose which of the two records to keep."))
        keep = match.person if keep_pk == match.person_id else match.candidate
        merge_match(actor=request.user, match=match, keep=keep)
        return _("The records were merged into %(person)s.") % {"person": keep}

    return _decide(request, pk, merge)


@staff_required("infection.edit")
@require_POST
def match_distinct(request: HttpRequest, pk: int) -> HttpResponse:
    def distinct(match: PersonMatch) -> str:
        mark_distinct(actor=request.user, match=match)
        return _("Marked as different persons.")

    return _decide(request, pk, distinct)


def _person_page(request: HttpRequest, person: Person, *, error: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "infection/persons/person.html",
        {
            "person": person,
            "counts": selectors.counts_of(person),
            "infection_cases": selectors.infection_cases_of(person),
            "contacts": selectors.contacts_of(person),
            "notifications": selectors.notifications_of(person),
            "merges": selectors.merges_of(person),
            "can_edit": has_permission(request.user, request.office, "infection.edit"),
            "error": error,
        },
        status=status,
    )


@staff_required("infection.view")
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.get_person_for_user(user=request.user, office=request.office, pk=pk)
    return _person_page(request, person)


@staff_required("infection.edit")
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = selectors.get_merge_for_office(office=request.office, pk=pk)
    try:
        undo_merge(actor=request.user, merge=merge)
    except PersonMergeRefused as exc:
        person = selectors.get_person_for_user(user=request.user, office=request.office, pk=merge.kept_id)
        return _person_page(request, person, error=exc.message, status=409)
    messages.success(
        request, _("The merge was undone: %(merged)s is a record of its own again.") % {"merged": merge.merged}
    )
    return redirect("infection_persons:person", pk=merge.kept_id)
