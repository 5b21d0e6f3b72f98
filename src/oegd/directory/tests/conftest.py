import pytest

from oegd.core.audit import SystemActor
from oegd.directory.services import import_rki_plz
from oegd.directory.tests.factories import write_small_file


@pytest.fixture
def small_directory(db, tmp_path):
    """Flensburg alone for 24937; Mitte and Friedrichshain-Kreuzberg share 10117."""
    return import_rki_plz(path=write_small_file(tmp_path), actor=SystemActor("test"))


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English source texts; the German ones are checked in core."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"accept-language": "en"})
