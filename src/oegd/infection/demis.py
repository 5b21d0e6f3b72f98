"""DEMIS notification bundles (FHIR R4): structural validation and mapping to plain data.

A laboratory (§ 7.1, § 7.3 non-nominal or anonymous, § 7.4 negative) or disease (§ 6, § 7.3)
notification arrives as a FHIR ``Bundle`` of type ``document`` (or wrapped in the ``Parameters``
input of ``$process-notification``). We check what the profiles require and what we rely on: a
bundle identifier, a notification Composition first, a notified person as its subject, a known
pathogen code (DiagnosticReport) or disease code (Condition), parseable dates. The result is a
``ParsedNotification`` of plain dataclasses; nothing here touches the database.

Speed matters (a state receives tens of thousands of bundles a day): the JSON is parsed with
orjson and walked as dicts; the fhir.resources models are not used on this path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.utils.translation import gettext as _

STRUCTURE_DEFINITION = "https://demis.rki.de/fhir/StructureDefinition/"
BERLIN = ZoneInfo("Europe/Berlin")

# Bundle profile → Notification.Kind value (see models.Notification.Kind).
BUNDLE_KINDS = {
    "NotificationBundleLaboratory": "lab",
    "NotificationBundleLaboratoryNonNominal": "lab73",
    "NotificationBundleLaboratoryAnonymous": "lab73a",
    "NotificationBundleLaboratoryNegative": "lab74",
    "NotificationBundleDisease": "dis",
    "NotificationBundleDiseaseNonNominal": "dis73",
}
LABORATORY_KINDS = {"lab", "lab73", "lab73a", "lab74"}
DISEASE_KINDS = {"dis", "dis73"}
NOMINAL_KINDS = {"lab", "dis"}  # § 7.3 and § 7.4 notifications never name the person
PERSON_PROFILES = {"NotifiedPerson", "NotifiedPersonNotByName", "NotifiedPersonAnonymous"}
_INTERPRETATIONS = {"POS": "pos", "NEG": "neg", "IND": "ind", "DET": "pos", "ND": "neg"}
_CONCLUSIONS = {"pathogenDetected": "pos", "pathogenNotDetected": "neg"}
_SEXES = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


class NotificationRefused(Exception):
    """A bundle we do not accept; ``message`` is translated, ``status`` the HTTP answer (400/422)."""

    def __init__(self, message: str, *, code: str = "invalid", expression: str = "", status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.expression = expression
        self.status = status


@dataclass(frozen=True)
class Address:
    street: str = ""
    postal_code: str = ""
    place: str = ""
    country: str = ""
    use: str = ""  # DEMIS addressUse: "primary" (Hauptwohnsitz), "current", "ordinary"


@dataclass(frozen=True)
class NotifiedPerson:
    """The notified person (Betroffene/r); names only in nominal notifications."""

    profile: str  # NotifiedPerson, NotifiedPersonNotByName, NotifiedPersonAnonymous
    given_name: str = ""
    family_name: str = ""
    birth_date: date | None = None
    birth_month: str = ""  # "YYYY-MM" or "YYYY" when only that is known (or kept)
    sex: str = "unknown"
    addresses: tuple[Address, ...] = ()
    phone: str = ""
    email: str = ""

    @property
    def residence(self) -> Address:
        """The address responsibility is decided by: the main residence, else the current stay."""
        for use in ("primary", "current", "ordinary", ""):
            for address in self.addresses:
                if address.use == use and (address.postal_code or address.place):
                    return address
        return self.addresses[0] if self.addresses else Address()


@dataclass(frozen=True)
class LabFinding:
    """One pathogen detection (Observation) of a laboratory report."""

    pathogen: str
    interpretation: str  # LabResult.Interpretation value: pos / neg / ind
    method: str = ""
    material: str = ""
    value: str = ""
    code: str = ""  # LOINC of the test
    collected_at: datetime | None = None
    reported_at: datetime | None = None


@dataclass(frozen=True)
class Diagnosis:
    """The disease of a § 6 notification (Condition)."""

    disease: str
    verification: str = ""
    onset_date: date | None = None
    recorded_date: date | None = None
    symptoms: tuple[str, ...] = ()  # SNOMED CT codes


@dataclass(frozen=True)
class ParsedNotification:
    kind: str
    bundle_profile: str
    composition_profile: str
    bundle_identifier: str
    notification_id: str
    notified_at: datetime
    person: NotifiedPerson
    notifier: str = ""
    laboratory: str = ""
    pathogen: str = ""  # DEMIS notification category (lab), e.g. "cvdp"
    disease: str = ""  # catalogue key, e.g. "cvd"
    disease_code: str = ""  # DEMIS code as sent (e.g. "cvdd" or "cvdp")
    findings: tuple[LabFinding, ...] = ()
    diagnosis: Diagnosis | None = None
    hospitalised: bool | None = None
    hospitalised_on: date | None = None
    deceased: bool | None = None
    vaccination: str = "unknown"  # InfectionCase.Vaccination value
    vaccinations: tuple[tuple[str, str], ...] = ()  # (vaccine code, date as sent)
    sha256: str = ""
    raw: bytes = field(default=b"", repr=False)

    @property
    def nominal(self) -> bool:
        """Whether a person record with a name is kept (§ 7.1 / § 6 with a named person)."""
        return (
            self.kind in NOMINAL_KINDS
            and self.person.profile == "NotifiedPerson"
            and bool(self.person.family_name or self.person.given_name)
        )

    @property
    def interpretation(self) -> str:
        values = {finding.interpretation for finding in self.findings}
        if "pos" in values:
            return "pos"
        if values == {"neg"}:
            return "neg"
        return "ind" if values else ""


# --- small readers --------------------------------------------------------------------------------


def _profile_name(resource: dict[str, Any]) -> str:
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    if not isinstance(profiles, list):
        return ""
    for profile in profiles:
        if isinstance(profile, str) and profile.startswith(STRUCTURE_DEFINITION):
            return profile[len(STRUCTURE_DEFINITION) :].split("|", 1)[0]
    return ""


def _first_coding(concept: Any) -> dict[str, Any]:
    if isinstance(concept, dict):
        codings = concept.get("coding")
        if isinstance(codings, list):
            for coding in codings:
                if isinstance(coding, dict) and coding.get("code"):
                    return coding
    return {}


def _code(concept: Any) -> str:
    return str(_first_coding(concept).get("code", ""))


def _code_and_display(concept: Any) -> str:
    coding = _first_coding(concept)
    if not coding:
        return str(concept.get("text", ""))[:200] if isinstance(concept, dict) else ""
    display = coding.get("display")
    return (f"{coding['code']} {display}" if display else str(coding["code"]))[:200]


def parse_datetime(value: Any, where: str) -> datetime | None:
    """A FHIR date or dateTime ("2021", "2021-07", "2021-07-04", "2021-07-04T09:50:00+01:00"),
    aware; partial dates count from their start, dates without a zone are German time."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _bad_date(where)
    try:
        if len(value) == 4:
            moment = datetime(int(value), 1, 1)  # noqa: DTZ001 - made aware below
        elif len(value) == 7:
            moment = datetime(int(value[:4]), int(value[5:7]), 1)  # noqa: DTZ001
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise _bad_date(where) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BERLIN)


def parse_date(value: Any, where: str) -> date | None:
    moment = parse_datetime(value, where)
    return moment.date() if moment is not None else None


def _bad_date(where: str) -> NotificationRefused:
    return NotificationRefused(
        _("The date in %(where)s is not a valid FHIR date.") % {"where": where}, code="value", expression=where
    )


def _reference(value: Any) -> str:
    return value.get("reference", "") if isinstance(value, dict) else ""


class _Index:
    """The bundle's resources by fullUrl, "Type/id" and "urn:uuid:id" (how DEMIS references)."""

    def __init__(self, entries: list[Any]) -> None:
        self.by_ref: dict[str, dict[str, Any]] = {}
        self.by_type: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                continue
            kind = resource.get("resourceType", "")
            self.by_type.setdefault(kind, []).append(resource)
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str) and full_url:
                self.by_ref[full_url] = resource
                tail = full_url.rsplit("/", 2)
                if len(tail) == 3 and not full_url.startswith("urn:"):
                    self.by_ref.setdefault(f"{tail[1]}/{tail[2]}", resource)
            rid = resource.get("id")
            if isinstance(rid, str) and rid:
                self.by_ref.setdefault(f"{kind}/{rid}", resource)
                self.by_ref.setdefault(f"urn:uuid:{rid}", resource)

    def resolve(self, reference: Any) -> dict[str, Any] | None:
        ref = _reference(reference) if isinstance(reference, dict) else reference
        if not isinstance(ref, str) or not ref:
            return None
        found = self.by_ref.get(ref)
        if found is None and ref.count("/") > 1:  # absolute URL to a resource in the bundle
            parts = ref.rsplit("/", 2)
            found = self.by_ref.get(f"{parts[1]}/{parts[2]}")
        return found


# --- the parser -----------------------------------------------------------------------------------


def load_bundle(raw: bytes | str) -> dict[str, Any]:
    """The JSON of a bundle, unwrapped from a ``Parameters`` resource if needed (400 otherwise)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise NotificationRefused(_("The body is not valid JSON."), code="structure", status=400) from None
    if not isinstance(data, dict):
        raise NotificationRefused(_("The body is not a FHIR resource."), code="structure", status=400)
    if data.get("resourceType") == "Parameters":
        content = next(
            (
                p.get("resource")
                for p in data.get("parameter") or []
                if isinstance(p, dict) and p.get("name") == "content"
            ),
            None,
        )
        if not isinstance(content, dict):
            raise NotificationRefused(
                _("The Parameters resource has no parameter 'content' with the notification bundle."),
                code="required",
                expression="Parameters.parameter",
                status=400,
            )
        data = content
    if data.get("resourceType") != "Bundle":
        raise NotificationRefused(
            _("Expected a FHIR Bundle, got '%(type)s'.") % {"type": str(data.get("resourceType", ""))[:50]},
            code="structure",
            status=400,
        )
    return data


def parse_notification(raw: bytes | str) -> ParsedNotification:
    """Check a DEMIS notification bundle and map it; raise ``NotificationRefused`` when it is not one.

    The checks name what is missing; an element of an unexpected type deeper down (a list where an
    object belongs, a string for a coding) is refused as a whole, never a server error, so that a
    bad bundle cannot stop the pull client either."""
    raw_bytes = raw.encode() if isinstance(raw, str) else bytes(raw)
    try:
        return _parse_notification(raw_bytes)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise NotificationRefused(
            _("The bundle does not have the structure of a DEMIS notification: an element has the wrong type."),
            code="structure",
        ) from exc


def _parse_notification(raw_bytes: bytes) -> ParsedNotification:
    from oegd.infection.catalogue import disease_for_code

    bundle = load_bundle(raw_bytes)
    profile = _profile_name(bundle)
    kind = BUNDLE_KINDS.get(profile)
    if kind is None:
        raise NotificationRefused(
            _("The bundle profile '%(profile)s' is not a DEMIS notification profile.")
            % {"profile": profile or _("(none)")},
            code="not-supported",
            expression="Bundle.meta.profile",
        )
    if bundle.get("type") != "document":
        raise NotificationRefused(
            _("A notification bundle must be of type 'document'."), code="value", expression="Bundle.type"
        )
    identifier = bundle.get("identifier")
    bundle_identifier = str(identifier.get("value", "")).strip() if isinstance(identifier, dict) else ""
    if not bundle_identifier or len(bundle_identifier) > 200:
        raise NotificationRefused(
            _("The bundle has no identifier (Bundle.identifier.value)."),
            code="required",
            expression="Bundle.identifier",
        )
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise NotificationRefused(_("The bundle has no entries."), code="required", expression="Bundle.entry")
    index = _Index(entries)
    first = entries[0].get("resource") if isinstance(entries[0], dict) else None
    family = "NotificationLaboratory" if kind in LABORATORY_KINDS else "NotificationDisease"
    composition_profile = _profile_name(first) if isinstance(first, dict) else ""
    if (
        not isinstance(first, dict)
        or first.get("resourceType") != "Composition"
        or not composition_profile.startswith(family)
    ):
        raise NotificationRefused(
            _("The first entry of the bundle must be a notification Composition (%(profile)s).") % {"profile": family},
            code="structure",
            expression="Bundle.entry[0]",
        )
    notified_at = parse_datetime(first.get("date"), "Composition.date")
    if notified_at is None:
        raise NotificationRefused(_("The Composition has no date."), code="required", expression="Composition.date")
    patient = index.resolve(first.get("subject"))
    person_profile = _profile_name(patient) if patient else ""
    if patient is None or patient.get("resourceType") != "Patient" or person_profile not in PERSON_PROFILES:
        raise NotificationRefused(
            _("The Composition's subject must be the notified person (a Patient of a NotifiedPerson profile)."),
            code="required",
            expression="Composition.subject",
        )
    person = _notified_person(patient, person_profile, nominal=kind in NOMINAL_KINDS)
    notifier = _organisation_name(index, first.get("author"))

    values: dict[str, Any] = {}
    if kind in LABORATORY_KINDS:
        values.update(_laboratory(index, kind, disease_for_code))
    else:
        values.update(_disease(index, disease_for_code))
    return ParsedNotification(
        kind=kind,
        bundle_profile=profile,
        composition_profile=composition_profile,
        bundle_identifier=bundle_identifier,
        notification_id=str((first.get("identifier") or {}).get("value", ""))[:100]
        if isinstance(first.get("identifier"), dict)
        else "",
        notified_at=notified_at,
        person=person,
        notifier=notifier,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        raw=raw_bytes,
        **values,
    )


def _notified_person(patient: dict[str, Any], profile: str, *, nominal: bool) -> NotifiedPerson:
    given = family = ""
    names = patient.get("name")
    if nominal and profile == "NotifiedPerson" and isinstance(names, list) and names:
        name = next((n for n in names if isinstance(n, dict) and n.get("use") == "official"), names[0])
        if isinstance(name, dict):
            family = str(name.get("family", "")).strip()[:100]
            given_value = name.get("given")
            given_list = given_value if isinstance(given_value, list) else []
            given = " ".join(str(g).strip() for g in given_list if g)[:100]
    birth = patient.get("birthDate")
    birth_date = None
    birth_month = ""
    if birth is not None:
        if not isinstance(birth, str) or len(birth) not in (4, 7, 10):
            raise _bad_date("Patient.birthDate")
        parsed = parse_date(birth, "Patient.birthDate")
        if len(birth) == 10:
            birth_date = parsed
        birth_month = birth[:7]
    addresses = []
    for item in patient.get("address") or []:
        if not isinstance(item, dict):
            continue
        use = ""
        for extension in item.get("extension") or []:
            if isinstance(extension, dict) and str(extension.get("url", "")).endswith("/AddressUse"):
                use = str((extension.get("valueCoding") or {}).get("code", ""))
        line_value = item.get("line")
        lines = line_value if isinstance(line_value, list) else []
        addresses.append(
            Address(
                street=" ".join(str(line) for line in lines)[:200],
                postal_code=str(item.get("postalCode", "")).strip()[:10],
                place=str(item.get("city", "")).strip()[:100],
                country=str(item.get("country", ""))[:10],
                use=use,
            )
        )
    phone = email = ""
    if nominal:
        for telecom in patient.get("telecom") or []:
            if isinstance(telecom, dict):
                if telecom.get("system") == "phone" and not phone:
                    phone = str(telecom.get("value", ""))[:50]
                elif telecom.get("system") == "email" and not email:
                    email = str(telecom.get("value", ""))[:254]
    return NotifiedPerson(
        profile=profile,
        given_name=given,
        family_name=family,
        birth_date=birth_date if nominal and profile == "NotifiedPerson" else None,
        birth_month=birth_month,
        sex=_SEXES.get(str(patient.get("gender", "")), "unknown"),
        addresses=tuple(addresses),
        phone=phone,
        email=email,
    )


def _organisation_name(index: _Index, authors: Any) -> str:
    for author in authors if isinstance(authors, list) else []:
        role = index.resolve(author)
        if role is None:
            continue
        organisation = (
            index.resolve(role.get("organization")) if role.get("resourceType") == "PractitionerRole" else role
        )
        if organisation is not None and organisation.get("name"):
            return str(organisation["name"])[:200]
    for organisation in index.by_type.get("Organization", []):
        if _profile_name(organisation) == "NotifierFacility" and organisation.get("name"):
            return str(organisation["name"])[:200]
    return ""


def _laboratory(index: _Index, kind: str, disease_for_code: Any) -> dict[str, Any]:
    reports = index.by_type.get("DiagnosticReport", [])
    if not reports:
        raise NotificationRefused(
            _("A laboratory notification needs a DiagnosticReport."),
            code="required",
            expression="Bundle.entry.resource.ofType(DiagnosticReport)",
        )
    report = reports[0]
    pathogen = _code(report.get("code"))
    disease = disease_for_code(pathogen) if pathogen else None
    if disease is None:
        raise NotificationRefused(
            _("Unknown pathogen/disease code '%(code)s'.") % {"code": pathogen[:50]},
            code="code-invalid",
            expression="DiagnosticReport.code",
        )
    reported_at = parse_datetime(report.get("issued"), "DiagnosticReport.issued")
    conclusion = _CONCLUSIONS.get(_code((report.get("conclusionCode") or [None])[0]), "")
    laboratory = _organisation_name(index, report.get("performer")) if report.get("performer") else ""
    findings = []
    observations: Sequence[dict[str, Any] | None] = [index.resolve(ref) for ref in report.get("result") or []]
    if not any(observations):
        observations = index.by_type.get("Observation", [])
    for observation in observations:
        if observation is None or observation.get("resourceType") != "Observation":
            continue
        interpretation = _INTERPRETATIONS.get(_code((observation.get("interpretation") or [None])[0]), "")
        if kind == "lab74":
            interpretation = "neg"  # § 7.4: the notification is of a negative result
        specimen = index.resolve(observation.get("specimen")) or {}
        collection_value = specimen.get("collection")
        collection = collection_value if isinstance(collection_value, dict) else {}
        findings.append(
            LabFinding(
                pathogen=pathogen.lower(),
                interpretation=interpretation or conclusion or "ind",
                method=_code_and_display(observation.get("method")),
                material=_code_and_display(specimen.get("type")),
                value=_observation_value(observation),
                code=_code(observation.get("code"))[:50],
                collected_at=parse_datetime(collection.get("collectedDateTime"), "Specimen.collection")
                or parse_datetime(observation.get("effectiveDateTime"), "Observation.effective"),
                reported_at=reported_at,
            )
        )
    if not findings:
        findings.append(
            LabFinding(
                pathogen=pathogen.lower(),
                interpretation="neg" if kind == "lab74" else conclusion or "ind",
                reported_at=reported_at,
            )
        )
    return {
        "pathogen": pathogen.lower()[:10],
        "disease": disease.key,
        "disease_code": pathogen[:10],
        "findings": tuple(findings),
        "laboratory": laboratory,
    }


def _observation_value(observation: dict[str, Any]) -> str:
    if "valueCodeableConcept" in observation:
        return _code_and_display(observation["valueCodeableConcept"])
    quantity = observation.get("valueQuantity")
    if isinstance(quantity, dict):
        return f"{quantity.get('comparator', '')}{quantity.get('value', '')} {quantity.get('unit', '')}".strip()[:200]
    if isinstance(observation.get("valueString"), str):
        return observation["valueString"][:200]
    return ""


def _disease(index: _Index, disease_for_code: Any) -> dict[str, Any]:
    conditions = index.by_type.get("Condition", [])
    if not conditions:
        raise NotificationRefused(
            _("A disease notification needs a Condition."),
            code="required",
            expression="Bundle.entry.resource.ofType(Condition)",
        )
    condition = conditions[0]
    code = _code(condition.get("code"))
    disease = disease_for_code(code) if code else None
    if disease is None:
        raise NotificationRefused(
            _("Unknown pathogen/disease code '%(code)s'.") % {"code": code[:50]},
            code="code-invalid",
            expression="Condition.code",
        )
    onset = condition.get("onsetDateTime")
    if onset is None and isinstance(condition.get("onsetPeriod"), dict):
        onset = condition["onsetPeriod"].get("start")
    symptoms = []
    for evidence in condition.get("evidence") or []:
        for concept in evidence.get("code") or [] if isinstance(evidence, dict) else []:
            symptom = _code(concept)
            if symptom and symptom not in symptoms:
                symptoms.append(symptom)
    diagnosis = Diagnosis(
        disease=disease.key,
        verification=_code(condition.get("verificationStatus")),
        onset_date=parse_date(onset, "Condition.onset"),
        recorded_date=parse_date(condition.get("recordedDate"), "Condition.recordedDate"),
        symptoms=tuple(symptoms),
    )
    answers = _questionnaire_answers(index)
    hospitalised = _yes_no(answers.get("hospitalized"))
    admission_days = [
        parse_date((encounter.get("period") or {}).get("start"), "Encounter.period")
        for encounter in index.by_type.get("Encounter", [])
        if _profile_name(encounter) == "Hospitalization"
    ]
    admissions = [day for day in admission_days if day is not None]
    if admissions and hospitalised is None:
        hospitalised = True
    vaccinations = []
    for immunization in index.by_type.get("Immunization", []):
        coding = _first_coding(immunization.get("vaccineCode"))
        if coding.get("system", "").endswith("v3-NullFlavor"):
            continue
        occurred = immunization.get("occurrenceDateTime")
        parse_date(occurred, "Immunization.occurrence")
        vaccinations.append((str(coding.get("code", ""))[:50], str(occurred or "")[:30]))
    immunised = _yes_no(answers.get("immunization"))
    if immunised is False:
        vaccination = "none"
    elif len(vaccinations) >= 2:
        vaccination = "complete"
    elif vaccinations:
        vaccination = "partial"
    else:
        vaccination = "unknown"
    return {
        "disease": disease.key,
        "disease_code": code[:10],
        "diagnosis": diagnosis,
        "hospitalised": hospitalised,
        "hospitalised_on": min(admissions) if admissions else None,
        "deceased": _yes_no(answers.get("isDead")),
        "vaccination": vaccination,
        "vaccinations": tuple(vaccinations),
    }


def _questionnaire_answers(index: _Index) -> dict[str, Any]:
    """The first answer to each linkId of the bundle's QuestionnaireResponses (nested items too)."""
    answers: dict[str, Any] = {}

    def walk(items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            for answer in item.get("answer") or []:
                if isinstance(answer, dict):
                    answers.setdefault(str(item.get("linkId", "")), answer)
                    walk(answer.get("item"))
            walk(item.get("item"))

    for response in index.by_type.get("QuestionnaireResponse", []):
        walk(response.get("item"))
    return answers


def _yes_no(answer: Any) -> bool | None:
    code = str((answer or {}).get("valueCoding", {}).get("code", "")) if isinstance(answer, dict) else ""
    return {"yes": True, "no": False}.get(code)
