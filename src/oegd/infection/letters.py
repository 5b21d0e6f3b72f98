"""Letters of infection protection: isolation orders for cases (Absonderungsanordnung) and
quarantine orders for contacts (Quarantäneanordnung), filed in the infection case's e-file.

The letters use the cases app's document machinery (``oegd.cases.documents``): letter templates
with whitelisted placeholders, rendered to PDF by WeasyPrint, stored with their SHA-256 and a
verification code. An office gets the built-in German templates on first use and may edit them
like any other letter template (same key, new version).

A measure letter goes through ``generate_letter`` with an addressee of its own (for a contact
that is not the person of the e-file), is never shown in a citizen's area, and never supersedes an
earlier letter of the same template: every order is a document of its own.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from oegd.cases import documents
from oegd.cases.models import Case, CaseSubject, CaseType, Document, DocumentTemplate, Person
from oegd.cases.services import open_case
from oegd.core import audit
from oegd.forms.references import new_reference
from oegd.infection import catalogue
from oegd.infection.models import InfectionCase, Measure

CASE_TYPE_SLUG = "ifsg-case"
QUARANTINE_TEMPLATE = "ifsg-quarantine-order"
ISOLATION_TEMPLATE = "ifsg-isolation-order"

_LETTER_FOOT = """
<p>Bitte melden Sie sich umgehend beim Gesundheitsamt, wenn Sie Krankheitszeichen bemerken
(zum Beispiel Fieber, Husten, Durchfall oder Hautausschlag). Wir rufen Sie während der Absonderung an.</p>
<h2>Rechtsbehelfsbelehrung</h2>
<p>Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch erhoben werden, schriftlich
oder zur Niederschrift beim {{ office.name }} (Anschrift siehe oben).
Widerspruch und Anfechtungsklage haben nach § 16 Abs. 8 IfSG keine aufschiebende Wirkung.</p>
<p>Mit freundlichen Grüßen<br>{{ staff.name }}<br>{{ office.name }}</p>
"""

BUILT_IN_TEMPLATES: dict[str, tuple[str, str]] = {
    QUARANTINE_TEMPLATE: (
        "Quarantäneanordnung (Absonderung von Kontaktpersonen)",
        """<p>Guten Tag {{ citizen.name }},</p>
<p>Sie hatten am {{ extra.exposure_date }} Kontakt zu einer Person, bei der die Krankheit
<strong>{{ extra.disease }}</strong> festgestellt wurde.</p>
<p>Nach §§ 28, 30 Infektionsschutzgesetz (IfSG) ordnen wir an: Sie begeben sich
<strong>vom {{ extra.starts_on }} bis einschließlich {{ extra.ends_on }}</strong> in häusliche Quarantäne
(Absonderung) unter Ihrer Anschrift {{ citizen.street }}, {{ citizen.postal_code }} {{ citizen.place }}.</p>
<p>Während der Quarantäne dürfen Sie Ihre Wohnung nicht ohne Erlaubnis des Gesundheitsamtes verlassen
und keinen Besuch von Personen empfangen, die nicht zu Ihrem Haushalt gehören.</p>
"""
        + _LETTER_FOOT,
    ),
    ISOLATION_TEMPLATE: (
        "Absonderungsanordnung (Isolation erkrankter Personen)",
        """<p>Guten Tag {{ citizen.name }},</p>
<p>bei Ihnen wurde die Krankheit <strong>{{ extra.disease }}</strong> festgestellt
(Vorgang {{ extra.index_reference }}).</p>
<p>Nach §§ 28, 30 Infektionsschutzgesetz (IfSG) ordnen wir Ihre Absonderung (Isolation) an:
Sie begeben sich <strong>vom {{ extra.starts_on }} bis einschließlich {{ extra.ends_on }}</strong> in
häusliche Absonderung unter Ihrer Anschrift {{ citizen.street }}, {{ citizen.postal_code }} {{ citizen.place }}.</p>
<p>Bitte informieren Sie die Personen, mit denen Sie in den letzten Tagen engen Kontakt hatten,
und nennen Sie uns diese Personen.</p>
"""
        + _LETTER_FOOT,
    ),
}


def ensure_case_file(*, actor: Any, infection_case: InfectionCase) -> Case:
    """The e-file (Akte, a ``cases.Case`` of type "ifsg-case") of the infection case, opened on first
    use with the case's person as the person concerned. The case type is created when missing and
    has no process, so no BPMN process starts."""
    if infection_case.file is not None:
        return infection_case.file
    with transaction.atomic():
        locked = InfectionCase.objects.select_for_update().get(pk=infection_case.pk)
        if locked.file is not None:
            infection_case.file = locked.file
            return locked.file
        if not CaseType.objects.filter(slug=CASE_TYPE_SLUG, is_current=True).exists():
            CaseType.objects.create(slug=CASE_TYPE_SLUG, name="Infektionsschutz (IfSG)", process_key="")
        reference = new_reference()
        while Case.objects.filter(reference=reference).exists():
            reference = new_reference()
        case = open_case(
            actor=actor,
            office=locked.office,
            case_type=CASE_TYPE_SLUG,
            title=_("Infection case %(reference)s") % {"reference": locked.reference},
            reference=reference,
        )
        if locked.person_id:
            CaseSubject.objects.create(case=case, role=CaseSubject.Role.AFFECTED, person_id=locked.person_id)
        locked.file = case
        locked.save(update_fields=["file", "updated_at"])
        audit.record(actor, "infection.case.file_opened", locked, office=locked.office, purpose=case.reference)
    infection_case.file = case
    return case


def ensure_letter_templates(*, actor: Any, office: Any) -> None:
    """Give the office the built-in measure letter templates (German) unless it (or the state) has
    them, in one short transaction of its own. Call before ``write_measure_letter``."""
    with transaction.atomic():
        for key, (name, html) in BUILT_IN_TEMPLATES.items():
            exists = DocumentTemplate.objects.filter(Q(office=office) | Q(office__isnull=True), key=key).exists()
            if not exists:
                documents.save_document_template(
                    actor=actor, key=key, name=name, language="de", html=html, office=office
                )


def _addressee_values(person: Person, language: str) -> dict[str, str]:
    with override(language):
        birth = date_format(person.birth_date, "DATE_FORMAT") if person.birth_date else ""
    return {
        "citizen.name": f"{person.given_name} {person.family_name}".strip(),
        "citizen.given_name": person.given_name,
        "citizen.family_name": person.family_name,
        "citizen.birth_date": birth,
        "citizen.street": person.street,
        "citizen.postal_code": person.postal_code,
        "citizen.place": person.place,
    }


def write_measure_letter(*, actor: Any, measure: Measure, case_file: Case) -> Document:
    """Render the order letter of ``measure`` (saved or not yet saved) to PDF, addressed to the
    measure's person, and file it in ``case_file``; the office's templates must exist
    (``ensure_letter_templates``). The PDF is rendered before anything is written, so call this
    first in the caller's transaction, before any ``audit.record`` there: the audit chain lock is
    then held only for the short inserts, not while WeasyPrint renders. The document row, the
    progress entry and the audit event commit or roll back with the caller's transaction."""
    key = ISOLATION_TEMPLATE if measure.kind == Measure.Kind.ISOLATION else QUARANTINE_TEMPLATE
    template = documents.template_for(case=case_file, key=key)
    contact = measure.contact
    index_case = measure.infection_case or (contact.index_case if contact is not None else None)
    if index_case is None:
        raise ValueError("the measure has neither a case nor a contact to write a letter for")
    with override(template.language):
        disease_label = catalogue.disease_label(index_case.disease)
    person = measure.person
    return documents.generate_letter(
        actor=actor,
        case=case_file,
        template_key=key,
        title=f"{template.name} – {person.family_name}, {person.given_name}",
        citizen_visible=False,
        extra={
            "starts_on": measure.starts_on,
            "ends_on": measure.ends_on,
            "disease": disease_label,
            "index_reference": index_case.reference,
            "exposure_date": contact.exposure_date if contact is not None else "",
        },
        addressee=lambda language: _addressee_values(person, language),
        supersede=False,
    )
