"""Public directory API: the responsible health office by postal code, and the office list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from oegd.api import PUBLIC, Problem
from oegd.core.models import Office
from oegd.core.problems import problem_response
from oegd.directory import selectors
from oegd.directory.models import HealthAuthority

router = Router(tags=["directory"])


class AuthorityOut(Schema):
    code: str
    name: str
    department: str
    street: str
    postal_code: str
    place: str
    phone: str
    fax: str
    email: str
    office: str | None = None  # slug of the office on this platform, if it is here

    @classmethod
    def of(cls, authority: HealthAuthority, office: Office | None) -> AuthorityOut:
        return cls(
            code=authority.code,
            name=authority.name,
            department=authority.department,
            street=authority.street,
            postal_code=authority.postal_code,
            place=authority.place,
            phone=authority.phone,
            fax=authority.fax,
            email=authority.email,
            office=office.slug if office else None,
        )


class ResponsibilityOut(Schema):
    postal_code: str
    place: str
    needs_place: bool
    authority: AuthorityOut | None
    candidates: list[AuthorityOut]


class ResponsibilityQuery(Schema):
    # The pattern is documented, not enforced here: the selector answers with a friendlier message.
    postal_code: str = Field(
        description="German postal code (five digits)",
        json_schema_extra={"pattern": r"^[0-9]{5}$", "examples": ["24937"]},
    )
    place: str = ""


class AuthoritySearchQuery(Schema):
    q: str = ""
    limit: int = 50


@router.get(
    "/responsibility",
    response={200: ResponsibilityOut, 404: Problem, 422: Problem},
    auth=None,
    openapi_extra=PUBLIC,
    summary="The health office responsible for a postal code (and place)",
)
def responsibility(request: HttpRequest, filters: Query[ResponsibilityQuery]) -> ResponsibilityOut | HttpResponse:
    """``needs_place`` is true when several offices share the postal code and ``place`` did not
    decide; ``candidates`` then lists them."""
    try:
        result = selectors.route_by_postal_code(postal_code=filters.postal_code, place=filters.place)
    except selectors.PostalCodeInvalid as exc:
        return problem_response(
            422,
            _("The postal code is not valid."),
            exc.message,
            errors=[{"name": "postal_code", "reason": exc.message}],
        )
    except selectors.PostalCodeUnknown as exc:
        return problem_response(404, _("Unknown postal code."), exc.message)
    responsible = result.responsible
    return ResponsibilityOut(
        postal_code=result.postal_code,
        place=result.place,
        needs_place=result.needs_place,
        authority=AuthorityOut.of(responsible.authority, responsible.office) if responsible else None,
        candidates=[AuthorityOut.of(c.authority, c.office) for c in result.candidates],
    )


@router.get(
    "/authorities",
    response=list[AuthorityOut],
    auth=None,
    openapi_extra=PUBLIC,
    summary="Search health offices by name, place, postal code or RKI code",
)
def authorities(request: HttpRequest, filters: Query[AuthoritySearchQuery]) -> list[AuthorityOut]:
    limit = min(max(filters.limit, 1), 500)
    found = list(selectors.search_authorities(filters.q[:100], limit=limit))
    offices = selectors.platform_offices_by_code([authority.code for authority in found])
    return [AuthorityOut.of(authority, offices.get(authority.code)) for authority in found]
