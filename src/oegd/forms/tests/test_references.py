from hypothesis import given
from hypothesis import strategies as st

from oegd.forms.references import ALPHABET, new_reference, normalize_reference


def test_new_references_are_valid_and_distinct():
    references = {new_reference() for _ in range(200)}
    assert len(references) == 200
    assert all(normalize_reference(reference) == reference for reference in references)


def test_typing_variants_are_accepted():
    reference = new_reference()
    assert normalize_reference(reference.lower().replace("-", " ")) == reference
    assert normalize_reference(" " + reference.replace("0", "o").replace("1", "l") + " ") == reference


def test_garbage_is_refused():
    assert normalize_reference("") is None
    assert normalize_reference("ABCD-EFGH") is None
    assert normalize_reference("ABCD-EFGH-!!") is None


@given(st.integers(0, 7), st.integers(1, 31))
def test_a_single_wrong_character_is_caught(position, shift):
    reference = new_reference()
    good = reference.replace("-", "")
    body = good[:8]
    wrong = ALPHABET[(ALPHABET.index(body[position]) + shift) % 32]
    typo = body[:position] + wrong + body[position + 1 :] + good[8]
    assert normalize_reference(typo) is None


@given(st.integers(0, 6))
def test_swapped_neighbours_are_caught(position):
    """Luhn mod N catches every swap of neighbours except of the first and last character ("0Z")."""
    reference = new_reference().replace("-", "")
    body = reference[:8]
    if body[position] == body[position + 1] or {body[position], body[position + 1]} == {"0", "Z"}:
        return
    swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
    assert normalize_reference(swapped + reference[8]) is None
