"""Reader of the RKI PLZ-Tool directory (``TransmittingSiteSearchText.xml``).

The file lists every German health office as a ``TransmittingSite`` with its address and the
search texts it answers for: five-digit postal codes and names of places or districts::

    <TransmittingSites xmlns="http://www.rki.de/PlzToolTransmittingSiteSearchText.xsd">
      <TransmittingSite Name="Stadt Flensburg" Code="1.01.0.01." Department="…" Street="…"
                        Postalcode="24939" Place="Flensburg" Phone="…" Fax="…" Email="…">
        <SearchText Value="24937"/><SearchText Value="Sandberg"/> …
      </TransmittingSite>
    </TransmittingSites>

Only the release-2.8.0 file still carries postal codes; newer DEMIS releases ship without them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - operator-supplied file; see parse_transmitting_sites
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

NAMESPACE = "http://www.rki.de/PlzToolTransmittingSiteSearchText.xsd"
_ROOT_TAG = f"{{{NAMESPACE}}}TransmittingSites"
_SITE_TAG = f"{{{NAMESPACE}}}TransmittingSite"
_SEARCH_TEXT_TAG = f"{{{NAMESPACE}}}SearchText"

_POSTAL_CODE = re.compile(r"\d{5}")


class RkiPlzFileInvalid(ValueError):
    """The file is not a readable PLZ-Tool directory."""


@dataclass(frozen=True, slots=True)
class TransmittingSite:
    """One health office of the PLZ-Tool with the postal codes and places it serves."""

    code: str
    name: str
    department: str
    street: str
    postal_code: str
    place: str
    phone: str
    fax: str
    email: str
    postal_codes: tuple[str, ...]
    places: tuple[str, ...]


def is_postal_code(value: str) -> bool:
    """True for a German postal code: exactly five digits."""
    return _POSTAL_CODE.fullmatch(value) is not None


def _attribute(element: ET.Element, name: str) -> str:
    return " ".join((element.get(name) or "").split())


def _site_from_element(element: ET.Element) -> TransmittingSite:
    postal_codes: dict[str, None] = {}
    places: dict[str, None] = {}
    for search_text in element.iter(_SEARCH_TEXT_TAG):
        value = " ".join((search_text.get("Value") or "").split())
        if not value:
            continue
        if is_postal_code(value):
            postal_codes[value] = None
        else:
            places[value] = None
    code = _attribute(element, "Code")
    if not code:
        raise RkiPlzFileInvalid(f"A TransmittingSite without Code: {_attribute(element, 'Name')!r}")
    return TransmittingSite(
        code=code,
        name=_attribute(element, "Name"),
        department=_attribute(element, "Department"),
        street=_attribute(element, "Street"),
        postal_code=_attribute(element, "Postalcode"),
        place=_attribute(element, "Place"),
        phone=_attribute(element, "Phone"),
        fax=_attribute(element, "Fax"),
        email=_attribute(element, "Email"),
        postal_codes=tuple(postal_codes),
        places=tuple(places),
    )


def parse_transmitting_sites(source: str | Path | IO[bytes]) -> Iterator[TransmittingSite]:
    """Yield the sites of a PLZ-Tool file one by one, without holding the whole tree.

    The file comes from the operator (RKI/gematik release), not from users; the standard
    library parser resolves no external entities and expat ≥ 2.4 caps entity expansion.
    Raises ``RkiPlzFileInvalid`` for a file that is not XML or not in the PLZ-Tool namespace.
    """
    if isinstance(source, Path):
        source = str(source)
    try:
        for _event, element in ET.iterparse(source, events=("end",)):  # noqa: S314
            if element.tag == _SITE_TAG:
                yield _site_from_element(element)
                element.clear()
            elif element.tag not in (_SEARCH_TEXT_TAG, _ROOT_TAG):
                raise RkiPlzFileInvalid(f"Not a PLZ-Tool file: unexpected element {element.tag!r}")
    except ET.ParseError as exc:
        raise RkiPlzFileInvalid(f"Not well-formed XML: {exc}") from exc
