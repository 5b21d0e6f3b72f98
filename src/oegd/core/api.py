from django.http import HttpRequest
from ninja import Router, Schema

from oegd.api import any_auth

router = Router(tags=["platform"])


class WhoAmI(Schema):
    kind: str
    name: str
    office: str | None = None
    scopes: list[str] = []


@router.get("/me", response=WhoAmI, auth=any_auth, summary="Who is calling")
def me(request: HttpRequest) -> WhoAmI:
    client = getattr(request, "api_client", None)
    if client is not None:
        return WhoAmI(kind="api_client", name=client.name, office=client.office.slug, scopes=client.scopes)
    office = getattr(request, "office", None)
    return WhoAmI(kind=request.user.kind, name=str(request.user), office=office.slug if office else None)
