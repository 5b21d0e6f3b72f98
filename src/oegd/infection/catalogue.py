"""Catalogue of notifiable diseases (§ 6 IfSG) and pathogens (§ 7 IfSG) (Meldepflichtige Krankheiten
und Krankheitserreger), with the DEMIS codes they arrive under, the SurvNet short code they are
transferred under, and the quarantine/isolation periods where German guidance has a clear rule.

Keys are the three-letter RKI case categories that DEMIS codes are built from: the DEMIS
``notificationDiseaseCategory`` code is key + "d" (e.g. "cvdd"), the ``notificationCategory``
(pathogen) code is usually key + "p" (e.g. "cvdp"). The codes actually seen in the DEMIS example
bundles are cvdd, cvdp, hivd and hivp/HIVP; the remaining codes follow the DEMIS naming pattern and
are marked ``# uncertain`` where the real code system may spell them differently.

Quarantine and isolation days follow the RKI-Ratgeber (RKI guidance for physicians) and the
§ 34 IfSG exclusion periods of the "Empfehlungen für die Wiederzulassung zu Gemeinschaftseinrichtungen":
contacts are counted in days after the last exposure; cases in days after onset. Where the guidance
has no fixed period (ends after negative samples, after antibiotic treatment …) the value is None and
the office decides case by case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import translation


@dataclass(frozen=True)
class Disease:
    key: str
    name_de: str
    name_en: str
    paragraph: str  # "§ 6 / § 7.1", "§ 7.1", "§ 7.3", "§ 6"
    disease_code: str  # DEMIS notificationDiseaseCategory code ("" if notifiable as a pathogen only)
    pathogen_codes: tuple[str, ...]  # DEMIS notificationCategory codes, lower case
    non_nominal: bool = False  # § 7.3: notified without name (nichtnamentlich) directly to the RKI
    quarantine_days: int | None = None  # contacts: days after last exposure; None = no quarantine
    isolation_days: int | None = None  # cases: days after onset; None = no fixed period
    incubation_days_max: int | None = None
    survnet_code: str = ""  # SurvNet record element name, e.g. "CVD"

    @property
    def label(self) -> str:
        """The disease's name in the active language (German for "de", English otherwise)."""
        language = (translation.get_language() or "de").split("-")[0]
        return self.name_de if language == "de" else self.name_en

    @property
    def codes(self) -> tuple[str, ...]:
        """All DEMIS codes (disease and pathogen) this catalogue entry answers to."""
        return ((self.disease_code,) if self.disease_code else ()) + self.pathogen_codes

    def __str__(self) -> str:
        return self.label


def _d(
    key: str,
    name_de: str,
    name_en: str,
    paragraph: str,
    *,
    disease: bool = False,
    pathogens: tuple[str, ...] | None = None,
    non_nominal: bool = False,
    quarantine: int | None = None,
    isolation: int | None = None,
    incubation: int | None = None,
) -> Disease:
    return Disease(
        key=key,
        name_de=name_de,
        name_en=name_en,
        paragraph=paragraph,
        disease_code=f"{key}d" if disease else "",
        pathogen_codes=pathogens if pathogens is not None else (f"{key}p",),
        non_nominal=non_nominal,
        quarantine_days=quarantine,
        isolation_days=isolation,
        incubation_days_max=incubation,
        survnet_code=key.upper(),
    )


_ENTRIES: tuple[Disease, ...] = (
    # --- § 6 (1) diseases, mostly also § 7.1 pathogens -------------------------------------------------
    _d("bot", "Botulismus", "Botulism", "§ 6 / § 7.1", disease=True, incubation=8),
    # Cholera: pathogen Vibrio cholerae O1/O139. # uncertain pathogen code
    _d("cho", "Cholera", "Cholera", "§ 6 / § 7.1", disease=True, pathogens=("vchp",), incubation=5),
    # Diphtherie: RKI-Ratgeber: close contacts excluded for 7 days (chemoprophylaxis, swabs). # uncertain code
    _d("dip", "Diphtherie", "Diphtheria", "§ 6 / § 7.1", disease=True, quarantine=7, incubation=10),
    _d(
        "hus",
        "Hämolytisch-urämisches Syndrom (HUS)",
        "Haemolytic uraemic syndrome (HUS)",
        "§ 6",
        disease=True,
        pathogens=(),
    ),
    # Viral haemorrhagic fevers: RKI/STAKOB: contacts observed/quarantined 21 days after last exposure.
    _d(
        "ebv",
        "Ebolafieber",
        "Ebola virus disease",
        "§ 6 / § 7.1",
        disease=True,
        quarantine=21,
        isolation=None,
        incubation=21,
    ),  # uncertain code (Ebolavirus)
    _d(
        "mbv", "Marburgfieber", "Marburg virus disease", "§ 6 / § 7.1", disease=True, quarantine=21, incubation=21
    ),  # uncertain code
    _d("lsv", "Lassafieber", "Lassa fever", "§ 6 / § 7.1", disease=True, quarantine=21, incubation=21),  # uncertain
    # Krim-Kongo-Fieber: incubation up to 13 days; STAKOB: observation 14 days. # uncertain code
    _d(
        "cch",
        "Krim-Kongo-Hämorrhagisches Fieber",
        "Crimean-Congo haemorrhagic fever",
        "§ 6 / § 7.1",
        disease=True,
        quarantine=14,
        incubation=13,
    ),
    _d("gfv", "Gelbfieber", "Yellow fever", "§ 6 / § 7.1", disease=True, incubation=6),
    _d("hav", "Hepatitis A", "Hepatitis A", "§ 6 / § 7.1", disease=True, incubation=50),
    _d("hbv", "Hepatitis B", "Hepatitis B", "§ 6 / § 7.1", disease=True, incubation=180),
    _d("hcv", "Hepatitis C", "Hepatitis C", "§ 6 / § 7.1", disease=True, incubation=180),
    _d("hdv", "Hepatitis D", "Hepatitis D", "§ 6 / § 7.1", disease=True, incubation=180),
    _d("hev", "Hepatitis E", "Hepatitis E", "§ 6 / § 7.1", disease=True, incubation=64),
    # Masern: RKI-Ratgeber: contacts without immunity excluded up to 21 days after exposure;
    # cases until the 5th day after rash onset.
    _d("msv", "Masern", "Measles", "§ 6 / § 7.1", disease=True, quarantine=21, isolation=5, incubation=21),
    # Meningokokken: contacts get chemoprophylaxis, no quarantine; cases isolated until 24 h after
    # start of effective antibiotic treatment. # uncertain pathogen code (Neisseria meningitidis)
    _d(
        "men",
        "Meningokokken-Meningitis oder -Sepsis",
        "Meningococcal meningitis or sepsis",
        "§ 6 / § 7.1",
        disease=True,
        pathogens=("nmep",),
        isolation=1,
        incubation=10,
    ),
    _d(
        "ant", "Milzbrand", "Anthrax", "§ 6 / § 7.1", disease=True, pathogens=("banp",), incubation=60
    ),  # uncertain pathogen code (Bacillus anthracis)
    # Mumps: RKI-Ratgeber: contacts without immunity excluded up to 18 days; cases 5 days after parotitis onset.
    _d("mum", "Mumps", "Mumps", "§ 6 / § 7.1", disease=True, quarantine=18, isolation=5, incubation=25),
    # Pest: RKI-Ratgeber: contacts of pneumonic plague quarantined 7 days with chemoprophylaxis.
    _d(
        "pes", "Pest", "Plague", "§ 6 / § 7.1", disease=True, pathogens=("yppp",), quarantine=7, incubation=7
    ),  # uncertain pathogen code (Yersinia pestis)
    _d("pol", "Poliomyelitis", "Poliomyelitis", "§ 6 / § 7.1", disease=True, incubation=35),
    # Röteln: RKI-Ratgeber: contacts without immunity excluded up to 21 days; cases until day 8 after rash.
    _d("rub", "Röteln", "Rubella", "§ 6 / § 7.1", disease=True, quarantine=21, isolation=8, incubation=21),
    _d("rab", "Tollwut", "Rabies", "§ 6 / § 7.1", disease=True, incubation=365),  # uncertain code (SurvNet TOL?)
    _d(
        "typ", "Typhus abdominalis", "Typhoid fever", "§ 6 / § 7.1", disease=True, pathogens=("styp",), incubation=60
    ),  # uncertain pathogen code (Salmonella Typhi)
    _d(
        "par", "Paratyphus", "Paratyphoid fever", "§ 6 / § 7.1", disease=True, pathogens=("sptp",), incubation=10
    ),  # uncertain pathogen code (Salmonella Paratyphi)
    # Tuberkulose: isolation until no longer infectious (no fixed period); contacts screened, not quarantined.
    _d("tbc", "Tuberkulose", "Tuberculosis", "§ 6 / § 7.1", disease=True, pathogens=("mytp",)),  # mytp as in DEMIS
    # Windpocken: RKI-Ratgeber: contacts without immunity excluded 16 days after exposure (post-exposure);
    # cases until all lesions are crusted, usually 5–7 days after rash onset.
    _d(
        "vzv",
        "Windpocken",
        "Chickenpox (varicella)",
        "§ 6 / § 7.1",
        disease=True,
        quarantine=16,
        isolation=7,
        incubation=21,
    ),
    # Keuchhusten: contacts get chemoprophylaxis; cases 5 days after start of antibiotic treatment.
    _d(
        "ptv",
        "Keuchhusten (Pertussis)",
        "Whooping cough (pertussis)",
        "§ 6 / § 7.1",
        disease=True,
        pathogens=("ptvp", "ppvp"),
        isolation=5,
        incubation=20,
    ),  # uncertain codes (B. pertussis/parapertussis)
    _d("cjk", "Creutzfeldt-Jakob-Krankheit", "Creutzfeldt-Jakob disease", "§ 6", disease=True, pathogens=()),
    # COVID-19: since 2023 no quarantine or isolation obligation (RKI: recommendation to stay home 5 days).
    _d("cvd", "COVID-19", "COVID-19", "§ 6 / § 7.1", disease=True, incubation=14),
    _d(
        "cdi",
        "Clostridioides difficile, schwere Verlaufsform",
        "Clostridioides difficile, severe course",
        "§ 6",
        disease=True,
        pathogens=(),
    ),
    # Mpox: RKI (2024): no quarantine for contacts, 21 days self-observation; cases isolated until lesions healed.
    _d("mpx", "Mpox", "Mpox", "§ 6 / § 7.1", disease=True, incubation=21),  # uncertain codes
    # Zoonotic influenza (§ 6) and influenza virus detection (§ 7.1)
    _d("inv", "Influenza", "Influenza", "§ 6 / § 7.1", disease=True, incubation=4),
    # --- § 7 (1) pathogens only ----------------------------------------------------------------------------
    _d("adv", "Adenovirus-Konjunktivitis", "Adenoviral conjunctivitis", "§ 7.1", incubation=12),
    _d("ast", "Astrovirus-Enteritis", "Astrovirus enteritis", "§ 7.1", incubation=4),
    _d("bru", "Brucellose", "Brucellosis", "§ 7.1", incubation=60),
    _d("cam", "Campylobacter-Enteritis", "Campylobacter enteritis", "§ 7.1", incubation=10),
    _d("chl", "Ornithose (Chlamydia psittaci)", "Psittacosis (Chlamydia psittaci)", "§ 7.1"),  # uncertain code
    _d("cox", "Q-Fieber", "Q fever", "§ 7.1", incubation=40),  # uncertain code (Coxiella burnetii)
    _d("cry", "Kryptosporidiose", "Cryptosporidiosis", "§ 7.1", incubation=12),
    _d("den", "Denguefieber", "Dengue fever", "§ 7.1", incubation=14),
    _d("chk", "Chikungunyafieber", "Chikungunya fever", "§ 7.1", incubation=12),
    _d("zik", "Zikavirus-Infektion", "Zika virus infection", "§ 7.1", incubation=14),
    _d("wnv", "West-Nil-Fieber", "West Nile fever", "§ 7.1", incubation=14),
    _d("ehc", "EHEC-Erkrankung", "EHEC infection", "§ 7.1", incubation=10),
    _d("eco", "E. coli, sonstige darmpathogene Stämme", "E. coli, other enteropathogenic strains", "§ 7.1"),
    _d("fsv", "FSME", "Tick-borne encephalitis", "§ 7.1", incubation=28),
    _d("gil", "Giardiasis", "Giardiasis", "§ 7.1", incubation=25),
    _d("hin", "Haemophilus influenzae, invasiv", "Haemophilus influenzae, invasive", "§ 7.1"),
    _d("htv", "Hantavirus-Erkrankung", "Hantavirus disease", "§ 7.1", incubation=42),  # uncertain code
    _d("leg", "Legionellose", "Legionnaires' disease", "§ 7.1", incubation=10),
    _d("lep", "Leptospirose", "Leptospirosis", "§ 7.1", incubation=30),
    _d("lis", "Listeriose", "Listeriosis", "§ 7.1", incubation=70),
    _d("lpr", "Lepra", "Leprosy", "§ 7.1"),  # uncertain code (Mycobacterium leprae)
    _d("nor", "Norovirus-Gastroenteritis", "Norovirus gastroenteritis", "§ 7.1", incubation=2),
    _d("rtv", "Rotavirus-Gastroenteritis", "Rotavirus gastroenteritis", "§ 7.1", incubation=3),
    _d("rsv", "RSV-Infektion", "RSV infection", "§ 7.1", incubation=8),
    _d("sal", "Salmonellose", "Salmonellosis", "§ 7.1", incubation=7),
    _d("shi", "Shigellose", "Shigellosis", "§ 7.1", incubation=4),
    _d("spn", "Streptococcus pneumoniae, invasiv", "Streptococcus pneumoniae, invasive", "§ 7.1"),
    _d("tri", "Trichinellose", "Trichinellosis", "§ 7.1", incubation=46),
    _d("tul", "Tularämie", "Tularaemia", "§ 7.1", incubation=21),  # uncertain code (Francisella tularensis)
    _d("ric", "Fleckfieber", "Epidemic typhus", "§ 7.1", incubation=14),  # uncertain code (Rickettsia prowazekii)
    _d("yer", "Yersiniose", "Yersiniosis", "§ 7.1", pathogens=("yenp",), incubation=11),  # uncertain code
    _d("mrs", "MRSA, invasiv", "MRSA, invasive", "§ 7.1"),  # uncertain code
    _d("acb", "Acinetobacter mit Carbapenem-Resistenz", "Acinetobacter with carbapenem resistance", "§ 7.1"),
    _d(
        "ebc", "Enterobacterales mit Carbapenem-Resistenz", "Enterobacterales with carbapenem resistance", "§ 7.1"
    ),  # uncertain code
    _d(
        "ngo", "Gonorrhoe mit verminderter Empfindlichkeit", "Gonorrhoea with reduced susceptibility", "§ 7.1"
    ),  # uncertain code
    # --- § 7 (3) non-nominal (nichtnamentlich) directly to the RKI ------------------------------------------
    _d("hiv", "HIV-Infektion", "HIV infection", "§ 7.3", disease=True, non_nominal=True),
    _d(
        "trp", "Syphilis (Treponema pallidum)", "Syphilis (Treponema pallidum)", "§ 7.3", non_nominal=True
    ),  # uncertain code
    _d("ech", "Echinokokkose", "Echinococcosis", "§ 7.3", non_nominal=True),
    _d("mal", "Malaria", "Malaria", "§ 7.3", pathogens=("plsp",), non_nominal=True),  # uncertain code (Plasmodium)
    _d("tox", "Toxoplasmose, konnatal", "Toxoplasmosis, congenital", "§ 7.3", non_nominal=True),
)

DISEASES: dict[str, Disease] = {entry.key: entry for entry in _ENTRIES}

# Other spellings of keys that callers may hold (e.g. "inf" for influenza).
_KEY_ALIASES = {"inf": "inv"}

_BY_CODE: dict[str, Disease] = {}
for _entry in _ENTRIES:
    for _code in _entry.codes:
        _BY_CODE.setdefault(_code.lower(), _entry)


def disease_for_code(code: str) -> Disease | None:
    """The catalogue entry for a DEMIS disease code ("cvdd", "hivd"), pathogen code ("cvdp", "HIVP")
    or catalogue key ("cvd"), case-insensitive; None if unknown."""
    code = (code or "").strip().lower()
    if not code:
        return None
    if code in _BY_CODE:
        return _BY_CODE[code]
    code = _KEY_ALIASES.get(code, code)
    if code in DISEASES:
        return DISEASES[code]
    # Codes we have not listed but that follow the DEMIS pattern (key + "d"/"p").
    if len(code) == 4 and code[-1] in "dp":
        return DISEASES.get(code[:3])
    return None


def disease_label(key: str) -> str:
    """The label for a catalogue key, or the key itself when the catalogue does not know it."""
    entry = disease_for_code(key)
    return entry.label if entry else key


def disease_choices() -> list[tuple[str, str]]:
    """(key, label) pairs sorted by label in the active language, for filters and forms."""
    return sorted(((d.key, d.label) for d in _ENTRIES), key=lambda pair: pair[1].casefold())


def quarantine_end(disease_key: str, category: str, exposure_date: date) -> date | None:
    """Last day of quarantine of a contact (Kontaktperson), or None when none is due.

    Household and close contacts (category I) are quarantined for the disease's quarantine days
    counted from the last exposure; other contacts (category II) and diseases without a quarantine rule
    get None.
    """
    if category not in ("household", "close"):
        return None
    entry = disease_for_code(disease_key)
    if entry is None or entry.quarantine_days is None or exposure_date is None:
        return None
    return exposure_date + timedelta(days=entry.quarantine_days)
