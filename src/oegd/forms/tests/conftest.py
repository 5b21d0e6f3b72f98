import copy
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "demo" / "questionnaires" / "examples"


@pytest.fixture
def demo(db, settings, tmp_path):
    """The demo state with its offices, institutions and online services; returns the API tokens."""
    settings.MEDIA_ROOT = tmp_path
    from oegd.demo.data import load_demo

    return load_demo()


@pytest.fixture
def example():
    """A valid QuestionnaireResponse of a demo form (a fresh copy each call)."""

    def load(slug: str) -> dict:
        return copy.deepcopy(json.loads((EXAMPLES / f"{slug}.response.json").read_text(encoding="utf-8")))

    return load


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield
