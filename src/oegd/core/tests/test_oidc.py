"""OIDC login against a real OpenID provider (oidc-provider-mock) on loopback.

Our side runs in the Django test client; the browser's visit to the provider is a real HTTP
request with ``requests``, and the token exchange from Django to the provider is real HTTP too.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from django.contrib.auth import SESSION_KEY

from oegd.core.models import AuditEvent, CitizenProfile, User

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def provider_url() -> Iterator[str]:
    """A real OpenID provider on 127.0.0.1, for the whole module."""
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(2)


@pytest.fixture
def client(client):
    """Messages are asserted in their English source."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _provider(url: str, audience: str) -> dict:
    return {
        "audience": audience,
        "label": audience,
        "discovery_url": f"{url}/.well-known/openid-configuration" if url else "",
        "client_id": f"oegd-{audience}",
        "client_secret": "s3cret",
        "scope": "openid email profile",
    }


@pytest.fixture
def providers(settings, provider_url):
    settings.OIDC_PROVIDERS = {"eid": _provider(provider_url, "citizen"), "staff": _provider(provider_url, "staff")}
    return provider_url


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _authorize_at_provider(
    client, provider: str, sub: str, claims: dict, *, next_url: str = "", action: str = "allow"
) -> dict[str, str]:
    """Start our login, let the provider's user ``sub`` answer the consent form (``action``
    "deny" refuses); return the query the provider sends the browser back with."""
    response = client.get(f"/oidc/{provider}/login/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    authorize_url = response["Location"]
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] and query["state"]
    base = authorize_url.split("/oauth2/")[0]
    assert requests.put(f"{base}/users/{sub}", json=claims, timeout=5).status_code == 204
    consent = requests.post(authorize_url, data={"sub": sub, "action": action}, allow_redirects=False, timeout=5)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["Location"])
    assert back.path == f"/oidc/{provider}/callback/"
    return {key: values[0] for key, values in parse_qs(back.query).items()}


def _login_via(client, provider: str, sub: str, claims: dict, *, next_url: str = ""):
    params = _authorize_at_provider(client, provider, sub, claims, next_url=next_url)
    return client.get(f"/oidc/{provider}/callback/", params)


def _logged_in_user_id(client) -> str | None:
    return client.session.get(SESSION_KEY)


# --- citizens (state eID) -------------------------------------------------------------------------


def test_new_citizen_gets_an_account_linked_to_the_eid_and_is_logged_in(client, providers):
    response = _login_via(
        client, "eid", "eid-1001", {"email": "New.Citizen@Example.org", "email_verified": True, "name": "Nina Neu"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/my/"
    user = User.objects.get(email="new.citizen@example.org")
    assert user.kind == User.Kind.CITIZEN
    assert user.full_name == "Nina Neu"
    assert user.language == "en"
    assert user.email_verified_at is not None
    assert not user.has_usable_password()
    profile = CitizenProfile.objects.get(user=user)
    assert (profile.oidc_provider, profile.oidc_subject) == ("eid", "eid-1001")
    assert _logged_in_user_id(client) == str(user.pk)
    actions = list(AuditEvent.objects.filter(subject=user).values_list("action", flat=True))
    assert actions == ["citizen.register", "auth.oidc_login"]


def test_citizen_logged_in_by_eid_reaches_my_area(client, providers):
    _login_via(client, "eid", "eid-1012", {"email": "myarea@example.org", "email_verified": True})

    assert client.get("/my/").status_code == 200


def test_the_same_subject_logs_into_the_same_account(client, providers):
    claims = {"email": "again@example.org", "email_verified": True, "name": "Anna Again"}
    _login_via(client, "eid", "eid-1002", claims)
    first = User.objects.get(email="again@example.org")
    client.logout()

    # The provider now reports another address: the subject decides, not the e-mail.
    response = _login_via(client, "eid", "eid-1002", {**claims, "email": "changed@example.org"}, next_url="/status/")

    assert response.status_code == 302
    assert response["Location"] == "/status/"
    assert _logged_in_user_id(client) == str(first.pk)
    assert User.objects.filter(email__in=["again@example.org", "changed@example.org"]).count() == 1


def test_unsafe_next_is_ignored(client, providers):
    response = _login_via(
        client, "eid", "eid-1003", {"email": "nx@example.org", "email_verified": True}, next_url="https://evil.example/"
    )

    assert response["Location"] == "/my/"


def test_existing_citizen_is_linked_when_the_provider_verified_the_address(client, providers, cast):
    response = _login_via(client, "eid", "eid-1004", {"email": "CLARA@example.org", "email_verified": True})

    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(cast.citizen.pk)
    profile = CitizenProfile.objects.get(user=cast.citizen)
    assert (profile.oidc_provider, profile.oidc_subject) == ("eid", "eid-1004")


def test_existing_citizen_is_not_linked_through_an_unverified_address(client, providers, cast):
    users_before = User.objects.count()

    response = _login_via(client, "eid", "eid-1005", {"email": "clara@example.org", "email_verified": False})

    assert response.status_code == 403
    assert "You cannot log in with this identity" in response.content.decode()
    assert _logged_in_user_id(client) is None
    assert User.objects.count() == users_before
    assert not CitizenProfile.objects.filter(oidc_subject="eid-1005").exists()


def test_eid_login_with_a_staff_address_does_not_open_the_staff_account(client, providers, cast):
    users_before = User.objects.count()

    response = _login_via(
        client, "eid", "eid-1006", {"email": "alice@musterstadt.example", "email_verified": True, "name": "Alice"}
    )

    assert response.status_code == 403
    assert _logged_in_user_id(client) is None
    assert User.objects.count() == users_before
    assert not CitizenProfile.objects.filter(user=cast.admin_a).exists()
    assert client.get("/staff/").status_code == 302


def test_eid_login_with_an_institution_address_is_refused(client, providers, cast):
    response = _login_via(client, "eid", "eid-1007", {"email": "school@example.org", "email_verified": True})

    assert response.status_code == 403
    assert _logged_in_user_id(client) is None


def test_citizen_without_verified_address_gets_an_account_and_a_confirmation_mail(
    client, providers, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _login_via(client, "eid", "eid-1008", {"email": "unverified@example.org", "email_verified": False})

    assert response.status_code == 302
    user = User.objects.get(email="unverified@example.org")
    assert user.email_verified_at is None
    assert [mail.to for mail in mailoutbox] == [["unverified@example.org"]]


# --- staff single sign-on -------------------------------------------------------------------------


def test_staff_sso_logs_in_an_existing_staff_member_without_totp(client, providers, cast):
    response = _login_via(client, "staff", "sso-alice", {"email": "Alice@Musterstadt.example"})

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert _logged_in_user_id(client) == str(cast.admin_a.pk)
    assert client.session["oegd_sso"] is True
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(actor=cast.admin_a, action="auth.oidc_login").exists()


def test_staff_sso_refuses_an_unknown_person_and_creates_nobody(client, providers, cast):
    users_before = User.objects.count()

    response = _login_via(client, "staff", "sso-nobody", {"email": "nobody@musterstadt.example"})

    assert response.status_code == 403
    assert "no active staff account" in response.content.decode()
    assert _logged_in_user_id(client) is None
    assert User.objects.count() == users_before


def test_staff_sso_refuses_an_address_the_provider_marks_unverified(client, providers, cast):
    response = _login_via(
        client, "staff", "sso-alice2", {"email": "alice@musterstadt.example", "email_verified": False}
    )

    assert response.status_code == 403
    assert _logged_in_user_id(client) is None


def test_staff_sso_refuses_a_citizen(client, providers, cast):
    response = _login_via(client, "staff", "sso-clara", {"email": "clara@example.org"})

    assert response.status_code == 403
    assert _logged_in_user_id(client) is None


def test_staff_sso_refuses_an_inactive_staff_member(client, providers, cast):
    User.objects.filter(pk=cast.clerk_a.pk).update(is_active=False)

    response = _login_via(client, "staff", "sso-carl", {"email": "carl@musterstadt.example"})

    assert response.status_code == 403
    assert _logged_in_user_id(client) is None


# --- errors ---------------------------------------------------------------------------------------


def test_tampered_state_is_refused_and_nobody_logged_in(client, providers):
    params = _authorize_at_provider(client, "eid", "eid-1009", {"email": "tamper@example.org", "email_verified": True})

    response = client.get("/oidc/eid/callback/", {**params, "state": params["state"] + "x"})

    assert response.status_code == 400
    assert "This login attempt has expired or is not valid" in response.content.decode()
    assert params["code"] not in response.content.decode()
    assert _logged_in_user_id(client) is None
    assert not User.objects.filter(email="tamper@example.org").exists()


def test_a_state_is_good_for_one_callback_only(client, providers):
    params = _authorize_at_provider(client, "eid", "eid-1010", {"email": "replay@example.org", "email_verified": True})
    assert client.get("/oidc/eid/callback/", params).status_code == 302
    client.logout()

    assert client.get("/oidc/eid/callback/", params).status_code == 400
    assert _logged_in_user_id(client) is None


def test_bad_code_is_refused(client, providers):
    params = _authorize_at_provider(client, "eid", "eid-1011", {"email": "badcode@example.org", "email_verified": True})

    response = client.get("/oidc/eid/callback/", {**params, "code": "forged"})

    assert response.status_code == 400
    assert _logged_in_user_id(client) is None
    assert not User.objects.filter(email="badcode@example.org").exists()


def test_refusal_at_the_provider_is_shown(client, providers):
    params = _authorize_at_provider(client, "eid", "eid-1013", {"email": "deny@example.org"}, action="deny")
    assert params["error"] == "access_denied"

    response = client.get("/oidc/eid/callback/", params)

    assert response.status_code == 400
    assert "The login was cancelled or refused by the login service." in response.content.decode()
    assert _logged_in_user_id(client) is None


def test_id_token_with_a_foreign_nonce_is_refused(client, providers):
    params = _authorize_at_provider(client, "eid", "eid-1014", {"email": "nonce@example.org", "email_verified": True})
    session = client.session
    session[f"_state_eid_{params['state']}"]["data"]["nonce"] = "not-the-nonce-we-sent"
    session.save()

    response = client.get("/oidc/eid/callback/", params)

    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert _logged_in_user_id(client) is None
    assert not User.objects.filter(email="nonce@example.org").exists()


def test_unreachable_provider_answers_502(client, settings):
    settings.OIDC_PROVIDERS = {"eid": _provider(f"http://127.0.0.1:{_closed_port()}", "citizen")}

    response = client.get("/oidc/eid/login/")

    assert response.status_code == 502
    assert _logged_in_user_id(client) is None


def test_disabled_or_unknown_provider_is_404(client, settings):
    settings.OIDC_PROVIDERS = {"eid": _provider("", "citizen")}

    assert client.get("/oidc/eid/login/").status_code == 404
    assert client.get("/oidc/eid/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert client.get("/oidc/nope/login/").status_code == 404


def test_login_page_links_enabled_providers(client, providers):
    response = client.get("/login/")

    assert response.status_code == 200
    assert 'href="/oidc/eid/login/"' in response.content.decode()
