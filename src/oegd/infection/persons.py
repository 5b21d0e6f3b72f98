"""Person records and their duplicates: merging two records, undoing a merge, deciding a review item
(Dublettenprüfung, Zusammenführung von Personendatensätzen).

A merge moves everything that points at the merged record over to the kept one and remembers which
rows it moved (`PersonMerge.moved`), so that undoing it restores exactly the state before. The
merged record stays (with `merged_into` set) — it is history, not deleted.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.cases.models import Person
from oegd.core import audit
from oegd.core.services import DomainError
from oegd.infection.ingestion import hold_notifications_of_other_persons, settle_reviewed_notifications
from oegd.infection.models import PersonMatch, PersonMerge

# Person fields a merge fills on the kept record when it has none; the address only as a whole.
FILLED_FIELDS = ("birth_date", "sex", "email", "phone", "user")
ADDRESS_FIELDS = ("street", "postal_code", "place")
FILLED_KEY = "_filled"  # key in PersonMerge.moved: {field: value filled in}


class PersonMergeRefused(DomainError):
    """A merge or its undo cannot be done; `message` says why, in the user's language."""


class AlreadyDecided(DomainError):
    """The review item was decided by someone else already (HTTP 409)."""

    def __init__(self, match: PersonMatch) -> None:
        super().__init__(
            _("This possible duplicate has already been decided: %(status)s.") % {"status": match.get_status_display()}
        )
        self.match = match


def person_references() -> list[models.ForeignKey]:
    """Every foreign key to a person record that a merge moves, found generically (also those of apps
    added later): all of them except the merge bookkeeping (`merged_into`, PersonMatch, PersonMerge)."""
    references: list[models.ForeignKey] = []
    for relation in Person._meta.get_fields(include_hidden=True):
        if not isinstance(relation, models.ManyToOneRel):  # the reverse side of a ForeignKey / OneToOneField
            continue
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        field = relation.field
        if field.model in (PersonMatch, PersonMerge) or (field.model is Person and field.name == "merged_into"):
            continue
        references.append(field)
    return references


def _reference_key(field: models.ForeignKey) -> str:
    return f"{field.model._meta.label}.{field.name}"


def _unique_field_sets(field: models.ForeignKey) -> list[tuple[str, ...]]:
    """The unique field combinations of the model that include this field (constraints without condition)."""
    meta = field.model._meta
    sets = [tuple(names) for names in meta.unique_together]
    sets += [
        tuple(constraint.fields)
        for constraint in meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields and constraint.condition is None
    ]
    if field.one_to_one or field.unique:
        sets.append((field.name,))
    return [names for names in sets if field.name in names]


def _clashes(field: models.ForeignKey, source: Person, target: Person) -> bool:
    """Whether moving source's rows to target would break a unique constraint (e.g. a contact of the same
    index case recorded for both persons)."""
    manager = field.model._base_manager
    for names in _unique_field_sets(field):
        others = [name for name in names if name != field.name]
        if not others:
            if manager.filter(**{field.name: target}).exists() and manager.filter(**{field.name: source}).exists():
                return True
            continue
        source_values = manager.filter(**{field.name: source}).values_list(*others)
        for values in source_values:
            if manager.filter(**{field.name: target}, **dict(zip(others, values, strict=True))).exists():
                return True
    return False


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _lock_persons(*persons: Person) -> dict[int, Person]:
    """Lock the person rows (in pk order, so two merges never deadlock) and return fresh copies."""
    pks = sorted({person.pk for person in persons})
    return {person.pk: person for person in Person.objects.select_for_update().filter(pk__in=pks).order_by("pk")}


def merge_persons(*, actor: Any, kept: Person, merged: Person, match: PersonMatch | None = None) -> PersonMerge:
    """Merge the record `merged` into `kept` (same office): every row pointing at `merged` now points at
    `kept`, empty fields of `kept` are filled from `merged`, and `merged.merged_into` is set. What moved is
    recorded for `undo_merge`. Refused (PersonMergeRefused) across offices, for a record already merged,
    or when a move would break a unique constraint (then nothing changes)."""
    if kept.pk == merged.pk:
        raise PersonMergeRefused(_("A person record cannot be merged with itself."))
    if kept.office_id != merged.office_id:
        raise PersonMergeRefused(_("Only person records of the same office can be merged."))
    with transaction.atomic():
        locked = _lock_persons(kept, merged)
        kept, merged = locked[kept.pk], locked[merged.pk]
        if kept.merged_into_id or merged.merged_into_id:
            raise PersonMergeRefused(_("One of the two records has already been merged into another record."))
        references = person_references()
        for field in references:
            if _clashes(field, merged, kept):
                raise PersonMergeRefused(
                    _(
                        "Both records are linked to the same %(what)s, which allows only one of them."
                        " Remove one of the two links first."
                    )
                    % {"what": field.model._meta.verbose_name}
                )
        moved: dict[str, Any] = {}
        for field in references:
            pks = list(field.model._base_manager.filter(**{field.name: merged}).values_list("pk", flat=True))
            if pks:
                field.model._base_manager.filter(pk__in=pks).update(**{field.name: kept})
                moved[_reference_key(field)] = sorted(pks)
        filled: dict[str, Any] = {}
        for name in FILLED_FIELDS:
            if _empty(getattr(kept, name)) and not _empty(getattr(merged, name)):
                filled[name] = getattr(merged, name)
        if all(_empty(getattr(kept, name)) for name in ADDRESS_FIELDS):
            filled.update({name: getattr(merged, name) for name in ADDRESS_FIELDS if not _empty(getattr(merged, name))})
        for name, value in filled.items():
            setattr(kept, name, value)
        if filled:
            kept.save(update_fields=[*filled, "updated_at"])
            moved[FILLED_KEY] = {
                name: (
                    value.isoformat()
                    if hasattr(value, "isoformat")
                    else value.pk
                    if isinstance(value, models.Model)
                    else value
                )
                for name, value in filled.items()
            }
        merged.merged_into = kept
        merged.save(update_fields=["merged_into", "updated_at"])
        merge = PersonMerge.objects.create(
            office_id=kept.office_id, kept=kept, merged=merged, moved=moved, merged_by=_user(actor)
        )
        if match is None:
            match = (
                PersonMatch.objects.filter(status=PersonMatch.Status.PENDING)
                .filter(models.Q(person=kept, candidate=merged) | models.Q(person=merged, candidate=kept))
                .first()
            )
        if match is not None:
            match.status = PersonMatch.Status.MERGED
            match.decided_at = timezone.now()
            match.decided_by = _user(actor)
            match.save(update_fields=["status", "decided_at", "decided_by"])
        audit.record(actor, "infection.person.merged", kept, office=kept.office, purpose=f"merge {merge.pk}")
        audit.record(actor, "infection.person.merged", merged, office=kept.office, purpose=f"merge {merge.pk}")
    return merge


def undo_merge(*, actor: Any, merge: PersonMerge) -> PersonMerge:
    """Undo a merge: the recorded rows point at the merged record again, the fields filled on the kept
    record are emptied again (where still unchanged), and the merged record is a record of its own again.
    Refused when already undone, or when the kept record was itself merged since (undo that first)."""
    with transaction.atomic():
        merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            raise PersonMergeRefused(_("This merge has already been undone."))
        locked = _lock_persons(merge.kept, merge.merged)
        kept, merged = locked[merge.kept_id], locked[merge.merged_id]
        if kept.merged_into_id:
            raise PersonMergeRefused(
                _("The kept record has since been merged into another record. Undo that merge first.")
            )
        fields = {_reference_key(field): field for field in person_references()}
        try:
            with transaction.atomic():
                for key, pks in merge.moved.items():
                    if key == FILLED_KEY or key not in fields:
                        continue
                    field = fields[key]
                    field.model._base_manager.filter(pk__in=pks, **{field.name: kept}).update(**{field.name: merged})
        except IntegrityError as exc:
            raise PersonMergeRefused(
                _("The merge cannot be undone: a record of the merged person would now be there twice.")
            ) from exc
        restored: list[str] = []
        for name, value in merge.moved.get(FILLED_KEY, {}).items():
            current = getattr(kept, f"{name}_id" if name == "user" else name)
            current = current.isoformat() if hasattr(current, "isoformat") else current
            if current == value:  # changed since the merge: leave it as it is now
                setattr(kept, name, None if name in ("birth_date", "user") else "")
                restored.append(name)
        if restored:
            kept.save(update_fields=[*restored, "updated_at"])
        merged.merged_into = None
        merged.save(update_fields=["merged_into", "updated_at"])
        merge.undone_at = timezone.now()
        merge.undone_by = _user(actor)
        merge.save(update_fields=["undone_at", "undone_by"])
        PersonMatch.objects.filter(status=PersonMatch.Status.MERGED).filter(
            models.Q(person=kept, candidate=merged) | models.Q(person=merged, candidate=kept)
        ).update(status=PersonMatch.Status.PENDING, decided_at=None, decided_by=None)
        audit.record(actor, "infection.person.merge_undone", kept, office=kept.office, purpose=f"merge {merge.pk}")
        audit.record(actor, "infection.person.merge_undone", merged, office=kept.office, purpose=f"merge {merge.pk}")
        hold_notifications_of_other_persons(actor=actor, person=merged)
    return merge


def _locked_pending(match: PersonMatch) -> PersonMatch:
    locked = PersonMatch.objects.select_for_update().get(pk=match.pk)
    if locked.status != PersonMatch.Status.PENDING:
        raise AlreadyDecided(locked)
    return locked


def merge_match(*, actor: Any, match: PersonMatch, keep: Person) -> PersonMerge:
    """Decide a review item as the same person: merge the other record into `keep` (one of the pair)."""
    with transaction.atomic():
        match = _locked_pending(match)
        if keep.pk not in (match.person_id, match.candidate_id):
            raise PersonMergeRefused(_("The record to keep must be one of the two records."))
        other_pk = match.candidate_id if keep.pk == match.person_id else match.person_id
        merge = merge_persons(actor=actor, kept=keep, merged=Person.objects.get(pk=other_pk), match=match)
        settle_reviewed_notifications(actor=actor, person=merge.kept)
        return merge


def mark_distinct(*, actor: Any, match: PersonMatch) -> PersonMatch:
    """Decide a review item as two different persons; the pair is not suggested again."""
    with transaction.atomic():
        match = _locked_pending(match)
        match.status = PersonMatch.Status.DISTINCT
        match.decided_at = timezone.now()
        match.decided_by = _user(actor)
        match.save(update_fields=["status", "decided_at", "decided_by"])
        audit.record(actor, "infection.person.marked_distinct", match, office=match.office)
        for person in (match.person, match.candidate):
            settle_reviewed_notifications(actor=actor, person=person)
    return match


def _user(actor: Any):
    from oegd.core.models import User

    return actor if isinstance(actor, User) else None
