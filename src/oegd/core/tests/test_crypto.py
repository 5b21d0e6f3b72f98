"""Free-text health data is stored only as ciphertext; keys rotate without losing data."""

import pytest
from django.core.management import call_command
from django.db import connection

from oegd.core import crypto
from oegd.core.models import CitizenProfile

pytestmark = pytest.mark.django_db

NEW_KEY = "k2:" + crypto.generate_key()


def _raw(profile):
    with connection.cursor() as cursor:
        cursor.execute("SELECT accessibility_needs FROM core_citizenprofile WHERE id = %s", [profile.pk])
        return cursor.fetchone()[0]


def test_text_is_ciphertext_in_the_database_and_plaintext_in_python(cast):
    profile = CitizenProfile.objects.create(user=cast.citizen, accessibility_needs="Rollstuhl, Gebärdensprache")
    raw = _raw(profile)
    assert raw.startswith("enc1:demo:")
    assert "Rollstuhl" not in raw and "Gebärden" not in raw
    assert CitizenProfile.objects.get(pk=profile.pk).accessibility_needs == "Rollstuhl, Gebärdensprache"


def test_same_text_encrypts_differently_each_time():
    assert crypto.encrypt("HIV positiv") != crypto.encrypt("HIV positiv")


def test_tampered_or_moved_ciphertext_is_refused():
    token = crypto.encrypt("Befund", context="core.citizenprofile.accessibility_needs")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="other.table.column")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, context="core.citizenprofile.accessibility_needs")


def test_key_rotation_keeps_old_data_readable_and_reencrypts(cast, settings):
    profile = CitizenProfile.objects.create(user=cast.citizen, accessibility_needs="braucht Dolmetscherin")
    settings.DATA_ENCRYPTION_KEYS = f"{NEW_KEY},{settings.DATA_ENCRYPTION_KEYS}"
    assert CitizenProfile.objects.get(pk=profile.pk).accessibility_needs == "braucht Dolmetscherin"
    assert _raw(profile).startswith("enc1:demo:")
    call_command("rotate_data_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _raw(profile).startswith("enc1:k2:")
    settings.DATA_ENCRYPTION_KEYS = NEW_KEY  # the old key can now be retired
    assert CitizenProfile.objects.get(pk=profile.pk).accessibility_needs == "braucht Dolmetscherin"
