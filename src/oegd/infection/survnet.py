"""The SurvNet transport XML (SurvNet-Transportdatei) for one infection case, pseudonymised.

The shape follows the RKI transport sample (``shared/data/survnet/controlXml.xml``, namespace
``http://www3.rki.de/ns/SurvNet/2021/01/Transport``): a ``Transport`` root with sender/receiver codes,
one record element named after the disease's SurvNet code (``CVD`` …) carrying the case-definition
attributes, its ``Field`` elements, a ``Track`` and an ``Addressee``.

What leaves the office (§ 11 IfSG, pseudonymised): disease, sex, age in years, the first three
digits of the postal code, onset, notification date, hospitalisation, death, vaccination status,
symptoms, the case-definition evidence and category. Never names, full birth date, street or full
postal code; the person is a stable keyed-hash pseudonym (``GuidPatient``), not its database id.
Pseudonyms and the record id are keyed with ``PSEUDONYM_KEY`` (not ``SECRET_KEY``); the record id of
a case's first transfer is also stored on it and reused for every later version (see ``transfers``).

Value codes of the status fields are not in the sample; we use the SurvNet catalogue convention
0 = not determined, 10 = no, 20 = yes (assumption, to be checked against the SurvNet metadata).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from lxml import etree

from oegd.core.crypto import pseudonym
from oegd.infection import classification
from oegd.infection.catalogue import disease_for_code
from oegd.infection.models import InfectionCase, LabResult, Sex

NAMESPACE = "http://www3.rki.de/ns/SurvNet/2021/01/Transport"
SCHEMA_VERSION = "9"  # as in the control file
SOFTWARE = "oegd"
RKI_CODE = "1."  # the RKI itself in the transmitting-site tree

# Status catalogue (assumption, see module docstring).
STATUS_UNKNOWN, STATUS_NO, STATUS_YES = "0", "10", "20"
SEX_CODES: dict[str, str] = {Sex.MALE: "1", Sex.FEMALE: "2", Sex.OTHER: "3", Sex.UNKNOWN: "0"}
CATEGORY_CODES = {"A": "1", "B": "2", "C": "3", "D": "4", "E": "5"}  # -1: not computed

# SNOMED CT symptom → SurvNet symptom field of the control file.
SYMPTOM_FIELDS = {
    classification.FEVER: "Symptom0088",
    classification.COUGH: "Symptom0130",
    classification.SORE_THROAT: "Symptom0103",
    classification.RHINITIS: "Symptom0225",
    classification.DYSPNOEA: "Symptom0064",
    classification.DIARRHOEA: "Symptom0062",
    classification.PNEUMONIA: "Symptom0158",
}

# Fields we fill that the control sample does not show (SurvNet field names from the record tables).
EXTRA_FIELD_NAMES = frozenset({"OnsetOfDisease", "PostalCodeShort", "DateOfHospitalization"})


def receiver_code(office_code: str) -> str:
    """The state authority (Landesstelle) the office reports to: ``SURVNET_RECEIVER_CODE`` if set,
    otherwise the state part of the office's RKI code ("1.01.0.03." → "1.01."), else the RKI."""
    configured = getattr(settings, "SURVNET_RECEIVER_CODE", "")
    if configured:
        return configured
    parts = [part for part in (office_code or "").split(".") if part]
    if len(parts) >= 2:
        return f"{parts[0]}.{parts[1]}."
    return RKI_CODE


def sender_code(case: InfectionCase) -> str:
    return case.office.rki_code or "0."


def _guid(hex_digest: str) -> str:
    h = hex_digest.upper()
    return f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}}}"


def patient_pseudonym(case: InfectionCase) -> str:
    """A stable keyed-hash pseudonym of the person (or, without a person, of the case), keyed with
    ``PSEUDONYM_KEY`` so a rotated ``SECRET_KEY`` leaves it unchanged."""
    subject = f"person:{case.person_id}" if case.person_id else f"case:{case.reference}"
    return _guid(pseudonym(f"survnet-patient:{subject}"))


def record_guid(case: InfectionCase) -> str:
    """The record id a case's first transfer gets (keyed with ``PSEUDONYM_KEY``); later versions reuse
    the one stored on that first transfer, so updates replace the record at the receiver."""
    return _guid(pseudonym(f"survnet-record:{case.reference}"))


def _timestamp(value: datetime) -> str:
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def birth_month(case: InfectionCase) -> str:
    """ "YYYY-MM" (or "YYYY") of the case, taken from the person if the case has none."""
    if case.birth_month:
        return case.birth_month[:7]
    person = case.person
    if person is not None and person.birth_date:
        return person.birth_date.strftime("%Y-%m")
    return ""


def age_in_years(case: InfectionCase, on: date) -> int | None:
    """Age at ``on`` from the birth month only (the day is unknown: counted from the month's last day)."""
    month = birth_month(case)
    if not month:
        return None
    year = int(month[:4])
    mon = int(month[5:7]) if len(month) >= 7 else 12
    # Within the birth month we cannot tell whether the birthday has passed: count it as not yet.
    age = on.year - year - (1 if on.month <= mon else 0)
    return max(age, 0)


def postal_code_short(case: InfectionCase) -> str:
    """First three digits of the postal code of residence (never the full code)."""
    code = case.postal_code or (case.person.postal_code if case.person is not None else "")
    digits = "".join(ch for ch in code if ch.isdigit())
    return digits[:3] if len(digits) >= 3 else ""


def _status(value: bool | None) -> str:
    if value is None:
        return STATUS_UNKNOWN
    return STATUS_YES if value else STATUS_NO


def _vaccination(case: InfectionCase) -> str:
    codes: dict[str, str] = {
        InfectionCase.Vaccination.COMPLETE: STATUS_YES,
        InfectionCase.Vaccination.PARTIAL: STATUS_YES,
        InfectionCase.Vaccination.UNVACCINATED: STATUS_NO,
    }
    return codes.get(case.vaccination, STATUS_UNKNOWN)


def record_element_name(case: InfectionCase) -> str:
    disease = disease_for_code(case.disease)
    return disease.survnet_code if disease and disease.survnet_code else case.disease.upper()


def build_survnet_xml(
    case: InfectionCase,
    *,
    version: int = 1,
    transport_number: int = 1,
    now: datetime | None = None,
    record_id: str = "",
) -> str:
    """The transport XML for one version of a case's record, as a UTF-8 string (``record_id``: the
    stored record GUID of the case's earlier transfers, else a fresh ``record_guid``)."""
    now = now or timezone.now()
    sender = sender_code(case)
    notified_on = timezone.localdate(case.notified_at) if case.notified_at else timezone.localdate(now)
    clinical = classification.clinical_picture_met(case)
    lab = classification.has_lab_evidence(case)
    epi = classification.has_epidemiological_link(case)
    age = age_in_years(case, notified_on)
    has_labs = case.pk is not None and LabResult.objects.filter(infection_case=case).exists()

    root = etree.Element(
        f"{{{NAMESPACE}}}Transport",
        nsmap={None: NAMESPACE},
        GuidTransport=f"{{{uuid.uuid4()}}}",
        CodeSiteSender=sender,
        CodeSiteReceiver=receiver_code(case.office.rki_code),
        TransportNumber=str(min(max(transport_number, 1), 32767)),
        CreatedAt=_timestamp(now),
    )
    record = etree.SubElement(
        root,
        f"{{{NAMESPACE}}}{record_element_name(case)}",
        GuidRecord=record_id or record_guid(case),
        VersionNo=str(min(version, 127)),
        Schema=SCHEMA_VERSION,
        CodeRecordOwner=sender,
        CodeVersionEditor=sender,
        Token=case.reference,
        ToTransportManual="false",
        ChangedAt=_timestamp(case.updated_at or now),
        TransportRequestType="1",
        ReferenceDefComputed="true" if classification.reference_definition_met(case) else "false",
        ReportingDate=f"{notified_on.isoformat()}T00:00:00.000",
        ReportingCounty="0",  # Landkreis catalogue number not held; 0 = unknown
        CaseDefClinComputed={True: "1", False: "0", None: "-1"}[clinical],
        CaseDefClinManual="false",
        CaseDefLabComputed="true" if lab else "false",
        CaseDefLabManual="false",
        CaseDefEpiManual="true" if epi else "false",
        CaseDefCategoryComputed=CATEGORY_CODES.get(case.classification, "-1"),
    )

    def field(name: str, value: str) -> None:
        etree.SubElement(record, f"{{{NAMESPACE}}}Field", Name=name, Value=value)

    field("GuidPatient", patient_pseudonym(case))
    field("BirthdayComputed", "")  # the birth date is never transferred; AgeComputed carries the age
    field("Sex", SEX_CODES.get(case.sex, "0"))
    field("StatusDeceased", _status(case.deceased))
    field("DeceasedDate", "")
    field("StatusHospitalization", _status(case.hospitalised))
    field("DateOfHospitalization", _day(case.hospitalised_on) if case.hospitalised else "")
    symptoms = {str(code) for code in (case.symptoms or [])}
    for code, name in SYMPTOM_FIELDS.items():
        field(name, "true" if code in symptoms else "false")
    field("ClinicalInfoAvailable", _status(None if clinical is None else True))
    field("LabInfoAvailable", STATUS_YES if has_labs else STATUS_UNKNOWN)
    field("StatusVaccination", _vaccination(case))
    field("OnsetOfDisease", _day(case.onset_date))
    field("PostalCodeShort", postal_code_short(case))
    etree.SubElement(
        record,
        f"{{{NAMESPACE}}}Track",
        GuidTrack=f"{{{uuid.uuid4()}}}",
        Action="1" if version <= 1 else "2",
        TrackedAt=_timestamp(now),
        CodeSite=sender,
        VersionNoSite=str(min(version, 127)),
        Software=SOFTWARE,
    )
    etree.SubElement(record, f"{{{NAMESPACE}}}Addressee", CodeSite=RKI_CODE, Implicit="true", Explicit="false")
    field("AgeComputed", str(age) if age is not None else "-1")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True, pretty_print=True).decode()
