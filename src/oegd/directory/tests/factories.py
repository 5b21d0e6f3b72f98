"""A small PLZ-Tool file for tests: two offices share 10117, Flensburg serves 24937 alone."""

from __future__ import annotations

from pathlib import Path

SMALL_XML = """<?xml version="1.0" encoding="utf-8"?>
<TransmittingSites xmlns="http://www.rki.de/PlzToolTransmittingSiteSearchText.xsd">
  <TransmittingSite Name="Stadt Flensburg" Code="1.01.0.01." Department="Gesundheitsdienste"
      Street="Norderstr. 58-60" Postalcode="24939" Place="Flensburg" Phone="0461 85-2113"
      Fax="0461 85-1960" Email="infektionsschutz@flensburg.de " Covid19Hotline="">
    <SearchText Value="24937"/><SearchText Value="24939"/><SearchText Value="Sandberg"/>
    <SearchText Value="Flensburg"/>
  </TransmittingSite>
  <TransmittingSite Name="Bezirksamt Mitte von Berlin" Code="1.11.0.01." Department="Gesundheitsamt"
      Street="Reinickendorfer Str. 60b" Postalcode="13347" Place="Berlin" Phone="030 9018-0" Fax=""
      Email="gesundheitsamt@ba-mitte.berlin.de">
    <SearchText Value="10117"/><SearchText Value="10115"/><SearchText Value="Mitte"/>
    <SearchText Value="Moabit"/>
  </TransmittingSite>
  <TransmittingSite Name="Bezirksamt Friedrichshain-Kreuzberg" Code="1.11.0.02." Department=""
      Street="Urbanstr. 24" Postalcode="10967" Place="Berlin" Phone="030 90298-0" Fax="" Email="">
    <SearchText Value="10117"/><SearchText Value="10967"/><SearchText Value="Kreuzberg"/>
    <SearchText Value="Friedrichshain"/><SearchText Value="Görlitzer Straße"/>
  </TransmittingSite>
</TransmittingSites>
"""


def write_small_file(directory: Path, text: str = SMALL_XML) -> Path:
    path = directory / "TransmittingSiteSearchText.xml"
    path.write_text(text, encoding="utf-8")
    return path
