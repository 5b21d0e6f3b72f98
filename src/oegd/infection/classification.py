"""Case classification by the RKI reference definitions (Falldefinitionen des RKI).

Three kinds of evidence decide the category of a case:

- clinical picture (klinisches Bild): the symptoms recorded on the case (SNOMED CT codes) match
  the disease's clinical picture from ``CLINICAL_PICTURES``; unknown when no symptom is recorded;
- laboratory evidence (labordiagnostischer Nachweis): a positive ``LabResult`` for the disease;
- epidemiological link (epidemiologische Bestätigung): the case belongs to an outbreak with a
  lab-confirmed case, or its person is a contact of a lab-confirmed case.

The categories:

    A  clinical picture only (klinisch diagnostiziert)
    B  clinical picture and epidemiological link (klinisch-epidemiologisch bestätigt)
    C  clinical picture and lab evidence (klinisch-labordiagnostisch bestätigt)
    D  lab evidence, clinical picture not met (labordiagnostisch bei nicht erfüllter Klinik)
    E  lab evidence, clinical picture unknown (labordiagnostisch bei unbekanntem klinischen Bild)

Only the categories in a disease's reference definition (Referenzdefinition) are transferred and
counted. The tables are a deliberately small approximation of the RKI definitions (2019 edition
and later updates); the office can always set the classification by hand.
"""

from __future__ import annotations

from django.db.models import Q

from oegd.infection.catalogue import disease_for_code
from oegd.infection.models import Contact, InfectionCase, LabResult

Classification = InfectionCase.Classification

# SNOMED CT codes (the same codes the case page offers, see services.COMMON_SYMPTOMS).
FEVER = "386661006"
COUGH = "49727002"
DYSPNOEA = "267036007"
SORE_THROAT = "162397003"
RHINITIS = "64531003"
ANOSMIA = "44169009"
AGEUSIA = "36955009"
HEADACHE = "25064002"
MYALGIA = "68962001"
DIARRHOEA = "62315008"
VOMITING = "422400008"
ABDOMINAL_PAIN = "21522001"
RASH = "271807003"
CONJUNCTIVITIS = "9826008"
PNEUMONIA = "233604007"
PAROTITIS = "74360001"  # swelling of the parotid gland (Mumps); uncertain code
PAROXYSMAL_COUGH = "43025008"  # Keuchhusten; uncertain code
JAUNDICE = "18165001"
MENINGITIS = "7180009"
SEPSIS = "91302008"

_ENTERIC = ("nor", "rtv", "ast", "sal", "cam", "ehc", "eco", "shi", "yer", "gil", "cry")
_GASTROENTERITIS = ((DIARRHOEA,), (VOMITING,), (ABDOMINAL_PAIN,))
_RESPIRATORY = ((COUGH,), (FEVER,), (DYSPNOEA,), (SORE_THROAT,), (RHINITIS,), (PNEUMONIA,))

# Disease key → alternatives; the clinical picture is met when ALL codes of ONE alternative are recorded.
CLINICAL_PICTURES: dict[str, tuple[tuple[str, ...], ...]] = {
    "cvd": (*_RESPIRATORY, (ANOSMIA,), (AGEUSIA,)),
    "inv": ((FEVER, COUGH), (FEVER, SORE_THROAT), (FEVER, MYALGIA), (FEVER, HEADACHE), (PNEUMONIA,)),
    "rsv": _RESPIRATORY,
    "msv": ((RASH, FEVER),),  # generalised maculopapular rash and fever (plus cough/rhinitis/conjunctivitis)
    "rub": ((RASH,),),
    "vzv": ((RASH,),),
    "mum": ((PAROTITIS,),),
    "ptv": ((PAROXYSMAL_COUGH,), (COUGH,)),
    "men": ((MENINGITIS,), (SEPSIS,), (FEVER, RASH)),
    "hin": ((MENINGITIS,), (SEPSIS,), (PNEUMONIA,)),
    "spn": ((MENINGITIS,), (SEPSIS,), (PNEUMONIA,)),
    "leg": ((PNEUMONIA,),),
    "adv": ((CONJUNCTIVITIS,),),
    "hav": ((JAUNDICE,), (FEVER, ABDOMINAL_PAIN)),
    "hev": ((JAUNDICE,), (FEVER, ABDOMINAL_PAIN)),
    **dict.fromkeys(_ENTERIC + ("cho", "lis"), _GASTROENTERITIS),
}

# Categories of the reference definition per disease; diseases not listed use DEFAULT_REFERENCE.
DEFAULT_REFERENCE = frozenset({"C", "D", "E"})
REFERENCE_DEFINITIONS: dict[str, frozenset[str]] = {
    # Gastrointestinal infections: clinical-epidemiological and clinical-laboratory cases.
    **dict.fromkeys(_ENTERIC, frozenset({"B", "C"})),
    # Vaccine-preventable childhood diseases: clinical-epidemiological cases count, lab cases too.
    **dict.fromkeys(("msv", "mum", "rub", "vzv", "ptv"), frozenset({"B", "C", "D", "E"})),
    # Diagnoses made clinically count on their own.
    **dict.fromkeys(("hus", "cjk", "bot", "tbc"), frozenset({"A", "B", "C", "D", "E"})),
    "inv": frozenset({"C", "D", "E"}),
    "cvd": frozenset({"C", "D", "E"}),
}


def clinical_picture_met(case: InfectionCase) -> bool | None:
    """True if the recorded symptoms match the disease's clinical picture, False if symptoms are
    recorded but do not match, None if nothing is recorded (clinical picture unknown)."""
    symptoms = {str(code) for code in (case.symptoms or [])}
    if not symptoms:
        return None
    pictures = CLINICAL_PICTURES.get(case.disease)
    if pictures is None:  # no table entry: any recorded symptom counts as the clinical picture
        return True
    return any(set(alternative) <= symptoms for alternative in pictures)


def _positive_for_disease(results, disease_key: str) -> bool:
    for pathogen in results:
        disease = disease_for_code(pathogen)
        if disease is None or disease.key == disease_key:
            return True
    return False


def has_lab_evidence(case: InfectionCase) -> bool:
    """A positive laboratory result for the case's disease (or for an uncatalogued pathogen)."""
    if case.pk is None:
        return False
    pathogens = LabResult.objects.filter(
        infection_case=case, interpretation=LabResult.Interpretation.POSITIVE
    ).values_list("pathogen", flat=True)
    return _positive_for_disease(pathogens, case.disease)


def _lab_confirmed_cases(case_ids) -> bool:
    return (
        LabResult.objects.filter(
            infection_case_id__in=case_ids, interpretation=LabResult.Interpretation.POSITIVE
        ).exists()
        or InfectionCase.objects.filter(pk__in=case_ids, classification__in=["C", "D", "E"]).exists()
    )


def has_epidemiological_link(case: InfectionCase) -> bool:
    """The case is in an outbreak with another lab-confirmed case, or its person is a contact of a
    lab-confirmed case (or the contact that became this case)."""
    if case.pk is None:
        return False
    outbreak_mates = (
        InfectionCase.objects.filter(outbreaks__cases=case, office_id=case.office_id)
        .exclude(pk=case.pk)
        .values_list("pk", flat=True)
    )
    if _lab_confirmed_cases(list(outbreak_mates)):
        return True
    contact_filter = Q(became_case=case)
    if case.person_id:
        contact_filter |= Q(person_id=case.person_id)
    index_cases = (
        Contact.objects.filter(contact_filter, office_id=case.office_id)
        .exclude(index_case=case)
        .values_list("index_case_id", flat=True)
    )
    return _lab_confirmed_cases(list(index_cases))


def suggest_classification(infection_case: InfectionCase) -> str:
    """The category (an ``InfectionCase.Classification`` value) the evidence on the case supports."""
    clinical = clinical_picture_met(infection_case)
    if has_lab_evidence(infection_case):
        if clinical is True:
            return Classification.C
        if clinical is False:
            return Classification.D
        return Classification.E
    if clinical is True:
        return Classification.B if has_epidemiological_link(infection_case) else Classification.A
    if clinical is False:
        return Classification.NOT_MET
    return Classification.PENDING


def reference_categories(disease_key: str) -> frozenset[str]:
    """The categories of a disease's reference definition."""
    disease = disease_for_code(disease_key)
    return REFERENCE_DEFINITIONS.get(disease.key if disease else disease_key, DEFAULT_REFERENCE)


def reference_definition_met(case: InfectionCase) -> bool:
    """Whether the case's (assessed) classification is in its disease's reference definition,
    i.e. whether the case counts and is transferred to the state authority / RKI."""
    return case.classification in reference_categories(case.disease)
